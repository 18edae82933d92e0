/** Ids and tokens: one way to make them, one way to hash and compare them. */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';

/** A short random id for rows, devices, members (20 hex characters). */
export const newId = (): string => randomUUID().replace(/-/g, '').slice(0, 20);

/** What is stored of a bearer or resume token: its SHA-256, never the token. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** Equal-length buffers compared in constant time; different lengths are simply unequal (after the same work). */
export function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

/** Two secrets (tokens) compared without leaking where they differ. */
export const sameSecret = (a: string, b: string): boolean => constantTimeEqual(Buffer.from(a), Buffer.from(b));
