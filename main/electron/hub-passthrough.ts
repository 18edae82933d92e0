/**
 * Courseware under the app:// protocol. The desktop windows load pages from
 * app://ketang and ask for files with the same relative URLs as browser pages
 * on the hub (`files/<sha256>` for pdf.js, <img>, <video>; `upload?…` for 导入课件).
 * Those two paths are passed to the local hub here, in the main process, with
 * the token of the window's session added (window-tokens.ts: the console's
 * or the board's, never one for all): the renderer never holds a token, and range
 * requests (pdf.js pages, video seeking) and upload bodies go straight through.
 *
 * Fetch API only (no electron import), so it is tested in plain Node.
 */

export interface HubPassthroughOptions {
  /** The local hub, e.g. http://127.0.0.1:8080. */
  hubUrl: string;
  /** The token of the window session this handler serves (window-tokens.ts). */
  token: string;
}

const FILE_PATH = /^\/files\/[0-9a-f]{64}$/;
/** Recordings (main/recording/http.ts): chunks in from the console's recorder, the recording out to its player. */
const RECORDING_CHUNK = /^\/recordings\/[A-Za-z0-9_-]{1,64}\/chunks\/\d{1,9}$/;
const RECORDING_MEDIA = /^\/recordings\/[A-Za-z0-9_-]{1,64}\/media$/;
/** Request headers worth passing on (ranges, caching, and a protected file's password for its one upload); everything else stays behind. */
const REQUEST_HEADERS = ['range', 'if-range', 'if-none-match', 'content-type', 'content-length', 'x-ketang-password'];
/** Response headers the page may see. */
const RESPONSE_HEADERS = ['content-type', 'content-length', 'content-range', 'accept-ranges', 'etag', 'cache-control'];

/**
 * A handler for the paths it knows, else null (the app protocol serves the
 * file from the built renderer).
 */
export function makeHubPassthrough(opts: HubPassthroughOptions): (request: Request, url: URL) => Promise<Response> | null {
  const hub = opts.hubUrl.replace(/\/+$/, '');
  return (request, url) => {
    const isFile = (FILE_PATH.test(url.pathname) || RECORDING_MEDIA.test(url.pathname)) && (request.method === 'GET' || request.method === 'HEAD');
    const isUpload = (url.pathname === '/upload' || RECORDING_CHUNK.test(url.pathname)) && request.method === 'POST';
    if (!isFile && !isUpload) return null;
    return forward(request, url, isUpload);
  };

  async function forward(request: Request, url: URL, isUpload: boolean): Promise<Response> {
    const query = new URLSearchParams(url.search);
    query.delete('t'); // the page's own token, if any, is not needed
    const target = `${hub}${url.pathname}${query.size ? `?${query.toString()}` : ''}`;
    const headers = new Headers({ Authorization: `Bearer ${opts.token}` });
    for (const h of REQUEST_HEADERS) {
      const v = request.headers.get(h);
      if (v !== null) headers.set(h, v);
    }
    let res: Response;
    try {
      res = await fetch(target, {
        method: request.method,
        headers,
        ...(isUpload ? { body: request.body, duplex: 'half' } : {}),
        redirect: 'error',
      } as RequestInit);
    } catch (err) {
      const body = isUpload
        ? JSON.stringify({ ok: false, error: { code: 'INTERNAL', message: `The classroom hub did not answer: ${(err as Error).message}` } })
        : 'The classroom hub did not answer.\n';
      return new Response(body, { status: 502, headers: { 'Content-Type': isUpload ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8' } });
    }
    const out = new Headers({ 'X-Content-Type-Options': 'nosniff' });
    for (const h of RESPONSE_HEADERS) {
      const v = res.headers.get(h);
      if (v !== null) out.set(h, v);
    }
    // fetch has already decoded any content-encoding, so the length is the body's own.
    if (res.headers.get('content-encoding')) out.delete('content-length');
    return new Response(request.method === 'HEAD' || res.status === 304 ? null : res.body, { status: res.status, headers: out });
  }
}
