/**
 * POST /answer-photo: a student tablet uploads a photo of written work for a
 * photo question (拍照作答). The body is the image (JPEG, PNG or WebP, up to
 * 8 MB; the web client scales photos down first); the device proves who it
 * is with its resume token (Authorization: Bearer …). The image goes into
 * the content cache by hash; the answer itself (quiz.answer with the hash)
 * goes through the protocol, so the event row holds a hash, never an image.
 */
import fs from 'node:fs';
import type http from 'node:http';
import { Transform } from 'node:stream';
import type { ContentCache } from '../courseware/cache.ts';
import { wipeFile } from '../base/crypto/sealed-files.ts';
import { bearer } from '../base/http.ts';
import { hashToken } from '../base/ids.ts';
import type { SealedContentStore } from '../base/crypto/sealed-store.ts';
import type { Logger } from '../base/log.ts';
import type { Store } from '../store/store.ts';
import { SyncRepo } from '../store/sync.ts';

export const MAX_PHOTO_BYTES = 8 * 1024 * 1024;

/** How many answer photos, and how many bytes of them, one device and one class may store. */
export interface PhotoQuota {
  perDevice: { count: number; bytes: number };
  perSession: { count: number; bytes: number };
}
/** A pupil retakes a photo a few times per question; a class of 60 answers a handful of photo questions. */
export const PHOTO_QUOTA: PhotoQuota = {
  perDevice: { count: 12, bytes: 48 * 1024 * 1024 },
  perSession: { count: 600, bytes: 1024 * 1024 * 1024 },
};

export interface AnswerPhotoTarget {
  /** The student device a resume token belongs to, in a running class; null otherwise. */
  deviceFor(token: string): { deviceId: string; sessionId: string } | null;
  /** The open photo question this device may answer; null: no photo is taken (issue 17). */
  photoQuestionFor(device: { deviceId: string; sessionId: string }): string | null;
  /** Room left in the device's and the class's quotas, held until `release` says what was stored. */
  reserve(device: { deviceId: string; sessionId: string }): PhotoReservation | { refused: string };
  /** Stream the bytes into the content cache, aborting past maxBytes. */
  put(body: NodeJS.ReadableStream, maxBytes: number): Promise<{ sha256: string; size: number }>;
  /** Record the stored file (its type is known once the bytes were checked). */
  remember(file: { sha256: string; size: number; mime: string }): void;
  log(level: 'info' | 'warn', msg: string, fields: Record<string, unknown>): void;
}

export interface PhotoReservation {
  /** Most bytes this upload may have. */
  maxBytes: number;
  /** True when maxBytes is the quota's, not MAX_PHOTO_BYTES: going past it is a quota refusal. */
  byQuota: boolean;
  /** The upload ended: `stored` bytes kept (null: nothing kept). Call exactly once. */
  release(stored: number | null): void;
}

/**
 * Photos stored per class and per device, in memory: a hub restart starts the
 * counts again (at worst one more quota's worth, still bounded), and nothing
 * about pupils is written for it.
 */
export class PhotoQuotas {
  private readonly sessions = new Map<string, { count: number; bytes: number; held: number; devices: Map<string, { count: number; bytes: number }> }>();
  readonly quota: PhotoQuota;

  constructor(quota: Partial<PhotoQuota> = {}) {
    this.quota = { ...PHOTO_QUOTA, ...quota };
  }

  reserve(device: { deviceId: string; sessionId: string }): PhotoReservation | { refused: string } {
    const q = this.quota;
    let s = this.sessions.get(device.sessionId);
    if (!s) this.sessions.set(device.sessionId, (s = { count: 0, bytes: 0, held: 0, devices: new Map() }));
    let d = s.devices.get(device.deviceId);
    if (!d) s.devices.set(device.deviceId, (d = { count: 0, bytes: 0 }));
    if (d.count >= q.perDevice.count) return { refused: `This device already sent ${q.perDevice.count} photos in this class` };
    if (s.count >= q.perSession.count) return { refused: `This class already has ${q.perSession.count} photos` };
    // `held`: bytes other devices' uploads in flight may still take, so parallel uploads cannot overrun the class's quota.
    const room = Math.min(q.perDevice.bytes - d.bytes, q.perSession.bytes - s.bytes - s.held);
    if (room <= 0) return { refused: 'No room left for photos in this class' };
    const maxBytes = Math.min(MAX_PHOTO_BYTES, room);
    s.held += maxBytes;
    const [sess, dev] = [s, d];
    let done = false;
    return {
      maxBytes,
      byQuota: maxBytes < MAX_PHOTO_BYTES,
      release: (stored) => {
        if (done) return;
        done = true;
        sess.held -= maxBytes;
        if (stored === null) return;
        sess.count++;
        sess.bytes += stored;
        dev.count++;
        dev.bytes += stored;
      },
    };
  }
}

/** The hub's target: devices by resume token (hashed as ClassroomService stores it), the content cache, the files table. */
export function answerPhotoTarget(opts: {
  store: Store;
  cache: Pick<ContentCache, 'putStream'>;
  log: Logger;
  /** The interaction feature's open photo question for a device (main/interaction/interaction.ts). */
  photoQuestionFor: (sessionId: string, deviceId: string) => string | null;
  quota?: Partial<PhotoQuota>;
}): AnswerPhotoTarget {
  const { store, cache, log } = opts;
  const quotas = new PhotoQuotas(opts.quota);
  return {
    photoQuestionFor: (d) => opts.photoQuestionFor(d.sessionId, d.deviceId),
    reserve: (d) => quotas.reserve(d),
    deviceFor(token) {
      const d = store.deviceByResumeHash(hashToken(token));
      if (!d || d.leftAt || d.kicked || d.role !== 'student') return null;
      return store.session(d.sessionId)?.endedAt === null ? { deviceId: d.id, sessionId: d.sessionId } : null;
    },
    put: (body, maxBytes) => cache.putStream(body, { maxBytes }),
    remember: (file) => store.putFileMeta(file),
    log: (level, msg, fields) => log[level](msg, fields),
  };
}

/** The image type the first bytes say, or null: the Content-Type header is only a hint. */
export function imageType(head: Buffer): string | null {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (head.length >= 8 && head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (head.length >= 12 && head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return null;
}

/** One upload at a time per device: a tablet retrying in a loop cannot fill the disk in parallel. */
const inFlight = new Set<string>();

export function handleAnswerPhoto(req: http.IncomingMessage, res: http.ServerResponse, url: URL, target: AnswerPhotoTarget | undefined): boolean {
  if (url.pathname !== '/answer-photo') return false;
  const reply = (status: number, body: unknown): void => {
    if (!res.headersSent) res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  };
  const refuse = (status: number, code: string, message: string, fields: Record<string, unknown> = {}): void => {
    target?.log('warn', 'answer photo refused', { code, message, from: req.socket.remoteAddress, ...fields });
    req.resume();
    reply(status, { ok: false, error: { code, message } });
  };
  if (req.method !== 'POST') {
    res.writeHead(405, { Allow: 'POST' }).end();
    return true;
  }
  const token = bearer(req.headers.authorization);
  const device = token && target ? target.deviceFor(token) : null;
  if (!target || !device) {
    refuse(401, 'UNAUTHENTICATED', 'Only a student device in a running class may upload an answer photo');
    return true;
  }
  // A photo is an answer: none is stored while no photo question is open for this device.
  const question = target.photoQuestionFor(device);
  if (!question) {
    refuse(409, 'NO_QUESTION', 'No photo question is open for this device; photos are taken only as an answer', { device: device.deviceId, session: device.sessionId });
    return true;
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_PHOTO_BYTES) {
    refuse(413, 'TOO_LARGE', `A photo may be at most ${MAX_PHOTO_BYTES} bytes`, { device: device.deviceId });
    return true;
  }
  if (inFlight.has(device.deviceId)) {
    refuse(429, 'RATE_LIMITED', 'This device is already uploading a photo', { device: device.deviceId });
    return true;
  }
  const quota = target.reserve(device);
  if ('refused' in quota) {
    refuse(429, 'QUOTA_EXCEEDED', quota.refused, { device: device.deviceId, session: device.sessionId });
    return true;
  }
  if (declared > quota.maxBytes) {
    quota.release(null);
    refuse(429, 'QUOTA_EXCEEDED', `This photo is larger than the room left for photos (${quota.maxBytes} bytes)`, { device: device.deviceId, session: device.sessionId });
    return true;
  }
  inFlight.add(device.deviceId);
  let mime: string | null = null;
  let head = Buffer.alloc(0);
  // Check the magic bytes as they arrive: a non-image is refused before it is stored.
  const sniff = new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (mime === null) {
        head = Buffer.concat([head, chunk]);
        if (head.length < 12) return done();
        mime = imageType(head);
        if (!mime) return done(Object.assign(new Error('Not a JPEG, PNG or WebP image'), { code: 'UNSUPPORTED' }));
        const out = head;
        head = Buffer.alloc(0);
        return done(null, out);
      }
      done(null, chunk);
    },
    flush(done) {
      if (mime === null) {
        mime = imageType(head);
        if (!mime) return done(Object.assign(new Error('Not a JPEG, PNG or WebP image'), { code: 'UNSUPPORTED' }));
        this.push(head);
      }
      done();
    },
  });
  req.pipe(sniff);
  req.on('error', (err) => sniff.destroy(err));
  target
    .put(sniff, quota.maxBytes)
    .then(
      (entry) => {
        quota.release(entry.size);
        target.remember({ sha256: entry.sha256, size: entry.size, mime: mime ?? 'application/octet-stream' });
        target.log('info', 'answer photo stored', { device: device.deviceId, session: device.sessionId, question, sha256: entry.sha256, size: entry.size });
        reply(201, { ok: true, data: { sha256: entry.sha256, size: entry.size, mime } });
      },
      (err: Error & { code?: string }) => {
        quota.release(null);
        req.unpipe(sniff);
        if (err.code === 'TOO_LARGE' && quota.byQuota) refuse(429, 'QUOTA_EXCEEDED', `This photo is larger than the room left for photos (${quota.maxBytes} bytes)`, { device: device.deviceId });
        else if (err.code === 'TOO_LARGE') refuse(413, 'TOO_LARGE', `A photo may be at most ${MAX_PHOTO_BYTES} bytes`, { device: device.deviceId });
        else if (err.code === 'UNSUPPORTED') refuse(415, 'UNSUPPORTED', err.message, { device: device.deviceId });
        else refuse(400, 'INVALID', err.message, { device: device.deviceId });
      },
    )
    .finally(() => inFlight.delete(device.deviceId));
  return true;
}

/** Set once every clear answer photo of an older build is sealed. */
export const LEGACY_PHOTOS_DONE = 'answer-photos.sealed';

export interface LegacyPhotoResult {
  /** Sealed now and their clear copies wiped. */
  sealed: number;
  /** Already sealed (a run cut short before wiping): only the clear copy wiped. */
  wiped: number;
  /** Named by an answer but in neither store (nothing to protect, nothing lost here). */
  missing: number;
  /** A clear copy that no longer matches its hash: left as it is, reported, tried again at the next start. */
  damaged: number;
}

/**
 * One-time, at start-up: answer photos uploaded before they were sealed at
 * rest went into the clear courseware cache. Each photo an answer names
 * (quiz.answer events with a photo hash) is sealed into the personal store,
 * checked against its hash, and only then is the clear copy overwritten and
 * removed. A run cut short (power cut) is simply run again: what is sealed
 * stays sealed, and the flag is set only when every photo is done. Photos
 * the platform is still to receive are unaffected: answers carry the hash,
 * and /files/<sha256> serves the sealed copy.
 */
export async function sealLegacyAnswerPhotos(o: { store: Store; cache: Pick<ContentCache, 'has' | 'pathFor'>; sealed: Pick<SealedContentStore, 'has' | 'putStream'>; log: Logger }): Promise<LegacyPhotoResult | null> {
  if (o.store.getMeta(LEGACY_PHOTOS_DONE)) return null;
  const result: LegacyPhotoResult = { sealed: 0, wiped: 0, missing: 0, damaged: 0 };
  const photos = new Set<string>();
  const repo = SyncRepo.of(o.store);
  for (let seq = 0; ; ) {
    const page = repo.eventsAfter(seq, 5000);
    if (page.length === 0) break;
    for (const e of page) {
      if (e.type !== 'quiz.answer') continue;
      const photo = (JSON.parse(e.payloadJson) as { photo?: unknown }).photo;
      if (typeof photo === 'string' && /^[0-9a-f]{64}$/.test(photo)) photos.add(photo);
    }
    seq = page[page.length - 1]!.seq;
  }
  for (const sha of photos) {
    const clear = o.cache.has(sha) ? o.cache.pathFor(sha) : null;
    if (!clear) {
      if (!o.sealed.has(sha)) result.missing++;
      continue;
    }
    if (o.sealed.has(sha)) {
      result.wiped++;
    } else {
      // Hash-checked while sealing: a clear copy that no longer matches its name is refused and left where it is.
      try {
        await o.sealed.putStream(fs.createReadStream(clear), { expectSha256: sha });
      } catch (err) {
        result.damaged++;
        o.log.error('an answer photo kept in clear could not be sealed; it is left as it is', { sha256: sha, error: (err as Error).message });
        continue;
      }
      result.sealed++;
    }
    wipeFile(clear);
  }
  if (result.damaged === 0) o.store.setMeta(LEGACY_PHOTOS_DONE, new Date().toISOString());
  if (result.sealed || result.wiped || result.missing || result.damaged) o.log.info('sealed the answer photos an earlier version kept in clear', { ...result });
  return result;
}
