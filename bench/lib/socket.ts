/**
 * The socket.io client side the hub benches share: connect a device or the
 * teacher, and call an operation expecting success.
 */
import { io, type Socket } from 'socket.io-client';

export type Reply = { ok: true; data: unknown } | { ok: false; error: { code: string; message: string } };

export function connect(url: string, auth: Record<string, unknown>): Promise<Socket> {
  return new Promise((resolve, reject) => {
    // websocket only, no reconnection: a dropped device must show up as a failure, not be papered over.
    const s = io(url, { auth, transports: ['websocket'], reconnection: false, forceNew: true, timeout: 10_000 });
    s.once('connect', () => resolve(s));
    s.once('connect_error', (err: Error & { data?: unknown }) => reject(new Error(`connect ${url}: ${err.message} ${JSON.stringify(err.data ?? '')}`)));
  });
}

export async function call(s: Socket, op: string, payload: unknown): Promise<unknown> {
  const reply = (await s.timeout(10_000).emitWithAck(op, payload)) as Reply;
  if (!reply.ok) throw new Error(`${op}: ${reply.error.code} ${reply.error.message}`);
  return reply.data;
}
