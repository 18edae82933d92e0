/**
 * common/sha256.ts (devices check downloads with it where crypto.subtle is
 * missing) against node:crypto: the FIPS examples, every length around the
 * block and padding boundaries, and a large buffer fed in uneven pieces.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Sha256, sha256Hex } from '../../../common/sha256.ts';

const node = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('Sha256', () => {
  it('gives the FIPS 180-4 example digests', () => {
    expect(sha256Hex(new Uint8Array())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex(new TextEncoder().encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  it('equals node:crypto for every length from 0 to 200 bytes (block and padding edges)', () => {
    const data = randomBytes(200);
    for (let n = 0; n <= 200; n++) expect(sha256Hex(data.subarray(0, n)), `length ${n}`).toBe(node(data.subarray(0, n)));
  });

  it('equals node:crypto on 5 MB fed in uneven pieces', () => {
    const data = randomBytes(5 * 1024 * 1024 + 17);
    const h = new Sha256();
    let at = 0;
    for (let step = 1; at < data.length; step = (step * 7 + 13) % 300_000) {
      h.update(data.subarray(at, Math.min(data.length, at + step)));
      at += step;
    }
    expect(h.hex()).toBe(node(data));
  });

  it('refuses more data after the digest', () => {
    const h = new Sha256().update(new Uint8Array([1]));
    h.hex();
    expect(() => h.update(new Uint8Array([2]))).toThrow(/after digest/);
  });
});
