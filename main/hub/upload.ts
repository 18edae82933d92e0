/**
 * POST /upload?lesson=<id>&name=<file name>: a teacher's console adds a
 * courseware file to a lesson from a browser (browser mode, or a teacher
 * laptop on the school LAN). The body is the file's bytes. Console token only.
 *
 * A password-protected file is answered IMPORT_PASSWORD_REQUIRED; the console
 * asks the teacher (此文件有密码) and sends the file again with the password in
 * the X-Ketang-Password header, percent-encoded UTF-8 (header values are
 * bytes; a Chinese password would not survive as one). A header, never the
 * query string: URLs end up in logs and browser history. The password is
 * passed to this one import and nowhere else.
 */
import type http from 'node:http';
import { KetangError, type Lesson, type Reply } from '../../common/protocol.ts';
import { ImportError, type ImportErrorCode } from '../courseware/import.ts';
import { bearer } from '../base/http.ts';

export interface UploadTarget {
  /** Only the teacher console's token may upload. */
  isTeacherToken(token: string): boolean;
  /**
   * The one exception: the board saving a snapshot of a cast (投屏截图, written over at
   * the board) as a PNG into the lesson of the class running now. Casts are shown and
   * written over on the board, which holds the board token, not the console's.
   */
  mayAddSnapshot?(token: string, lessonId: string): boolean;
  importStream(lessonId: string, body: NodeJS.ReadableStream, name: string, opts?: { password?: string }): Promise<Lesson>;
}

export const PASSWORD_HEADER = 'x-ketang-password';

const STATUS: Record<ImportErrorCode, number> = {
  NOT_FOUND: 400,
  EMPTY: 400,
  TOO_LARGE: 413,
  UNSUPPORTED: 415,
  EXTENSION_MISMATCH: 415,
  CORRUPT: 422,
  NOT_OFFICE: 415,
  TOO_LARGE_UNPACKED: 413,
  TOO_MANY_PAGES: 413,
  // 422, not 401: the console's token is fine; the file wants a password.
  PASSWORD_REQUIRED: 422,
  PASSWORD_WRONG: 422,
  PASSWORD_UNSUPPORTED: 422,
  NEEDS_LIBREOFFICE: 422,
  CONVERSION_FAILED: 422,
  TIMEOUT: 422,
};

/** The file's password from its header; undefined when absent, empty or not valid percent-encoding. */
function filePassword(req: http.IncomingMessage): string | undefined {
  const raw = req.headers[PASSWORD_HEADER];
  if (typeof raw !== 'string' || raw === '') return undefined;
  try {
    return decodeURIComponent(raw) || undefined;
  } catch {
    return undefined;
  }
}

export function handleUpload(req: http.IncomingMessage, res: http.ServerResponse, url: URL, target: UploadTarget | undefined): boolean {
  if (url.pathname !== '/upload') return false;
  const reply = (status: number, body: Reply<Lesson> | { ok: false; error: { code: string; message: string } }): void => {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  };
  if (req.method !== 'POST') {
    res.writeHead(405, { Allow: 'POST' }).end();
    return true;
  }
  const token = bearer(req.headers.authorization) ?? url.searchParams.get('t');
  const lessonId = url.searchParams.get('lesson') ?? '';
  const name = url.searchParams.get('name') ?? '';
  // The importer checks the bytes are a PNG (a .png name on anything else is refused).
  const snapshot = !!token && /\.png$/i.test(name) && target?.mayAddSnapshot?.(token, lessonId) === true;
  if (!target || !token || !(target.isTeacherToken(token) || snapshot)) {
    req.resume();
    reply(401, { ok: false, error: { code: 'UNAUTHENTICATED', message: 'Only the teacher console may add courseware' } });
    return true;
  }
  if (!lessonId || !name) {
    req.resume();
    reply(400, { ok: false, error: { code: 'INVALID', message: 'Give ?lesson=<id>&name=<file name>' } });
    return true;
  }
  const password = filePassword(req);
  target.importStream(lessonId, req, name, password ? { password } : {}).then(
    (lesson) => reply(201, { ok: true, data: lesson }),
    (err: unknown) => {
      // Stop reading a body we no longer want; the reply still goes out.
      req.unpipe();
      req.resume();
      if (err instanceof ImportError) reply(STATUS[err.code], { ok: false, error: { code: `IMPORT_${err.code}`, message: err.message } });
      else if (err instanceof KetangError) reply(err.code === 'NOT_FOUND' ? 404 : 400, { ok: false, error: { code: err.code, message: err.message } });
      else reply(500, { ok: false, error: { code: 'INTERNAL', message: (err as Error).message } });
    },
  );
  return true;
}
