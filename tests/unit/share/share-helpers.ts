/** Shared setup for the share tests: a hub, joined students, files in the content cache. */
import fs from 'node:fs';
import path from 'node:path';
import type { Ketang } from '../../../main/app.ts';
import type { MemoryLogger } from '../../../main/base/log.ts';
import type { Store } from '../../../main/store/store.ts';
import { connect, type TestClient } from '../../helpers/client.ts';
import { enter } from '../../helpers/join.ts';

export const STUDENTS = ['stu-3-1-01', 'stu-3-1-02', 'stu-3-1-03', 'stu-3-1-04', 'stu-3-1-05', 'stu-3-1-06', 'stu-3-1-07', 'stu-3-1-08'] as const;

export interface Ctx {
  dir: string;
  app: Ketang;
  log: MemoryLogger;
  clients: TestClient[];
}

export interface Joined {
  c: TestClient;
  deviceId: string;
  resumeToken: string;
}

export async function joinStudent(ctx: Ctx, code: string, studentId: string): Promise<Joined> {
  const c = await connect(ctx.app.hub.url);
  ctx.clients.push(c);
  const r = await enter(c, { code, role: 'student', studentId });
  return { c, deviceId: r.deviceId, resumeToken: r.resumeToken };
}

/** Put bytes in the content cache as an imported file would be; returns the hash. */
export async function putFile(ctx: Ctx, bytes: Buffer, mime = 'application/octet-stream'): Promise<string> {
  const tmp = path.join(ctx.dir, `upload-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(tmp, bytes);
  const entry = await ctx.app.cache.putFile(tmp);
  ctx.app.store.putFileMeta({ sha256: entry.sha256, size: entry.size, mime });
  return entry.sha256;
}

/** The rows a class produces: what must not change when a message is refused. */
export function classRows(store: Store): unknown {
  const all = (sql: string): unknown[] => store.db.prepare(sql).all();
  return {
    sessions: all('SELECT * FROM class_sessions ORDER BY rowid'),
    devices: all('SELECT * FROM devices ORDER BY rowid'),
    events: all('SELECT * FROM class_events ORDER BY seq'),
  };
}
