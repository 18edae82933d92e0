/**
 * Courseware uploads from the console (导入课件): each file is POSTed to the
 * hub's /upload with its bytes as the body, one after the other, with the
 * bytes sent so far for a progress bar. The URL is relative to the page: the
 * hub's own http:// page in a browser, app://ketang/upload in the desktop app
 * (whose protocol handler passes it to the local hub).
 */
import type { Lesson } from '../../../../../common/protocol.ts';

/** What can go wrong, as the hub words it (IMPORT_* from the importer) or as the network does. */
export type UploadErrorCode =
  | 'IMPORT_NOT_FOUND'
  | 'IMPORT_EMPTY'
  | 'IMPORT_TOO_LARGE'
  | 'IMPORT_UNSUPPORTED'
  | 'IMPORT_EXTENSION_MISMATCH'
  | 'IMPORT_CORRUPT'
  | 'IMPORT_NEEDS_LIBREOFFICE'
  | 'IMPORT_CONVERSION_FAILED'
  | 'UNAUTHENTICATED'
  | 'NOT_FOUND'
  | 'INVALID'
  | 'INTERNAL'
  | 'NETWORK'
  | 'ABORTED';

const KNOWN: ReadonlySet<string> = new Set<UploadErrorCode>([
  'IMPORT_NOT_FOUND',
  'IMPORT_EMPTY',
  'IMPORT_TOO_LARGE',
  'IMPORT_UNSUPPORTED',
  'IMPORT_EXTENSION_MISMATCH',
  'IMPORT_CORRUPT',
  'IMPORT_NEEDS_LIBREOFFICE',
  'IMPORT_CONVERSION_FAILED',
  'UNAUTHENTICATED',
  'NOT_FOUND',
  'INVALID',
  'INTERNAL',
]);

export class UploadError extends Error {
  readonly code: UploadErrorCode;
  constructor(code: UploadErrorCode, message: string) {
    super(message);
    this.name = 'UploadError';
    this.code = code;
  }
}

/** The file types the importer takes (the picker shows these first; the hub checks the bytes). */
export const ACCEPT = '.pdf,.png,.jpg,.jpeg,.webp,.mp4,.m4v,.webm,.mp3,.pptx,.ppt,.docx,.doc,application/pdf,image/png,image/jpeg,image/webp,video/mp4,video/webm,audio/mpeg';

export interface UploadRequest {
  lessonId: string;
  file: Blob & { name: string };
  /** Console token (browser mode); the desktop app's protocol handler adds its own. */
  token: string | null;
  onProgress?: (sent: number, total: number) => void;
  signal?: AbortSignal;
}

/** The /upload URL for one file, relative to the page. */
export function uploadUrl(lessonId: string, name: string, token: string | null): string {
  const q = new URLSearchParams({ lesson: lessonId, name });
  if (token) q.set('t', token);
  return `upload?${q.toString()}`;
}

/** Read the hub's `{ ok, data | error }` reply into the lesson or an UploadError. */
export function readUploadReply(status: number, body: string): Lesson {
  let reply: unknown;
  try {
    reply = JSON.parse(body);
  } catch {
    throw new UploadError(status >= 500 ? 'INTERNAL' : 'NETWORK', `Unexpected reply (HTTP ${status})`);
  }
  const r = reply as { ok?: boolean; data?: Lesson; error?: { code?: string; message?: string } };
  if (r.ok && r.data) return r.data;
  const code = r.error?.code ?? '';
  throw new UploadError(KNOWN.has(code) ? (code as UploadErrorCode) : 'INTERNAL', r.error?.message ?? `HTTP ${status}`);
}

/**
 * Send one file. XHR rather than fetch: fetch has no upload progress, and a
 * 500 MB video needs a moving bar. Resolves with the lesson as it is now.
 */
export function uploadFile(req: UploadRequest): Promise<Lesson> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', uploadUrl(req.lessonId, req.file.name, req.token));
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => req.onProgress?.(e.loaded, e.lengthComputable ? e.total : req.file.size);
    xhr.onload = () => {
      try {
        resolve(readUploadReply(xhr.status, xhr.responseText));
      } catch (err) {
        reject(err as Error);
      }
    };
    xhr.onerror = () => reject(new UploadError('NETWORK', 'The upload did not reach the classroom hub'));
    xhr.onabort = () => reject(new UploadError('ABORTED', 'Upload cancelled'));
    req.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(req.file);
  });
}
