/**
 * Courseware uploads from the console (导入课件): each file is POSTed to the
 * hub's /upload with its bytes as the body, one after the other, with the
 * bytes sent so far for a progress bar. The URL is relative to the page: the
 * hub's own http:// page in a browser, app://ketang/upload in the desktop app
 * (whose protocol handler passes it to the local hub).
 */
import type { Lesson } from '../../../../../common/protocol.ts';
import { readUploadReply, UploadError, uploadUrl } from './uploadReply.ts';

export { ACCEPT, isPasswordError, readUploadReply, UploadError, uploadUrl, type UploadErrorCode } from './uploadReply.ts';

export interface UploadRequest {
  lessonId: string;
  file: Blob & { name: string };
  /** Console token (browser mode); the desktop app's protocol handler adds its own. */
  token: string | null;
  /**
   * The file's password, for this request only: sent in the X-Ketang-Password
   * header, percent-encoded UTF-8 (header values are bytes; a Chinese password
   * would not survive raw). Never in the URL, which ends up in logs and history.
   */
  password?: string;
  onProgress?: (sent: number, total: number) => void;
  signal?: AbortSignal;
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
    if (req.password) xhr.setRequestHeader('X-Ketang-Password', encodeURIComponent(req.password));
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
