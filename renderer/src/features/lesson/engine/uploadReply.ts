/**
 * The plain half of courseware uploads (no DOM, so Node tests load it): the
 * refusal codes the console knows, the file types the picker offers, the
 * /upload URL and reading the hub's reply. upload.ts sends the bytes.
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
  | 'IMPORT_NOT_OFFICE'
  | 'IMPORT_TOO_LARGE_UNPACKED'
  | 'IMPORT_TOO_MANY_PAGES'
  | 'IMPORT_PASSWORD_REQUIRED'
  | 'IMPORT_PASSWORD_WRONG'
  | 'IMPORT_PASSWORD_UNSUPPORTED'
  | 'IMPORT_TIMEOUT'
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
  'IMPORT_NOT_OFFICE',
  'IMPORT_TOO_LARGE_UNPACKED',
  'IMPORT_TOO_MANY_PAGES',
  'IMPORT_PASSWORD_REQUIRED',
  'IMPORT_PASSWORD_WRONG',
  'IMPORT_PASSWORD_UNSUPPORTED',
  'IMPORT_TIMEOUT',
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
export const ACCEPT = [
  '.pdf,.png,.jpg,.jpeg,.webp,.mp4,.m4v,.webm,.mp3',
  // Presentations: PowerPoint (shows, macro decks, templates), WPS 演示, OpenDocument.
  '.pptx,.ppt,.ppsx,.pps,.pptm,.potx,.pot,.dps,.dpt,.odp',
  // Documents: Word, WPS 文字, OpenDocument.
  '.docx,.doc,.docm,.dot,.dotx,.wps,.wpt,.odt',
  // Spreadsheets: Excel, WPS 表格, OpenDocument.
  '.xlsx,.xlsm,.xls,.et,.ett,.ods',
  'application/pdf,image/png,image/jpeg,image/webp,video/mp4,video/webm,audio/mpeg',
].join(',');

/** The hub wants the file's password (none given, or the one given is wrong): ask the teacher and send it again. */
export const isPasswordError = (code: UploadErrorCode): boolean => code === 'IMPORT_PASSWORD_REQUIRED' || code === 'IMPORT_PASSWORD_WRONG';

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
