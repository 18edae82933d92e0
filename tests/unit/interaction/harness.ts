/**
 * A real hub (sample school, temp data folder, loopback) with helpers to
 * start a class and join devices, shared by the groups and interaction tests.
 */
import { startKetang, type Ketang } from '../../../main/app.ts';
import { MemoryLogger } from '../../../main/base/log.ts';
import type { Store } from '../../../main/store/store.ts';
import type { SessionSnapshot } from '../../../common/protocol.ts';
import { connect, type ConnectOptions, type TestClient } from '../../helpers/client.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { enter } from '../../helpers/join.ts';

export const LESSON = 'sample-lesson-fractions';
export const CLASS = 'sample-class-3-1';
export const student = (n: number): string => `stu-3-1-${String(n).padStart(2, '0')}`;

export interface Device {
  c: TestClient;
  deviceId: string;
  resumeToken: string;
}

export class Harness {
  app!: Ketang;
  log = new MemoryLogger();
  private dir = '';
  private cleanup: () => void = () => {};
  private readonly clients: TestClient[] = [];

  async start(): Promise<this> {
    ({ dir: this.dir, cleanup: this.cleanup } = tempDir());
    this.app = await this.boot();
    return this;
  }

  private boot(): Promise<Ketang> {
    return startKetang({ dataDir: this.dir, host: '127.0.0.1', port: 0, resourcesDir: 'resources', log: this.log });
  }

  /** Stop and start the hub on the same data (a new port): every client must reconnect. `downMs`: how long it stays down. */
  async restart(downMs = 0): Promise<void> {
    for (const c of this.clients.splice(0)) c.close();
    await this.app.close();
    if (downMs) await new Promise((r) => setTimeout(r, downMs));
    this.app = await this.boot();
  }

  async stop(): Promise<void> {
    for (const c of this.clients.splice(0)) c.close();
    await this.app.close();
    this.cleanup();
  }

  get store(): Store {
    return this.app.store;
  }

  async client(opts: ConnectOptions = {}): Promise<TestClient> {
    const c = await connect(this.app.hub.url, opts);
    this.clients.push(c);
    return c;
  }

  teacher(): Promise<TestClient> {
    return this.client({ token: this.app.secrets.consoleToken });
  }

  board(): Promise<TestClient> {
    return this.client({ token: this.app.secrets.boardToken });
  }

  async startClass(t: TestClient): Promise<SessionSnapshot> {
    return t.ok('session.start', { lessonId: LESSON });
  }

  /** A student's tablet; `teacher` allows it when the seat is taken (the same student on another tablet). */
  async joinStudent(code: string, studentId: string, teacher?: TestClient): Promise<Device> {
    const c = await this.client();
    const r = await enter(c, { code, role: 'student', studentId }, teacher);
    return { c, deviceId: r.deviceId, resumeToken: r.resumeToken };
  }

  /** A group screen, let in by the teacher (a console connection of its own allows it). */
  async joinGroupScreen(code: string, name: string): Promise<Device> {
    const c = await this.client();
    const r = await enter(c, { code, role: 'group', name }, await this.teacher());
    return { c, deviceId: r.deviceId, resumeToken: r.resumeToken };
  }

  /** Reconnect a device with its resume token (after a Wi-Fi drop). */
  async resume(d: Device): Promise<Device> {
    const c = await this.client({ resumeToken: d.resumeToken });
    return { ...d, c };
  }

  /** Every row a class produces: what must not change when a message is refused. */
  rows(): unknown {
    const all = (sql: string): unknown[] => this.store.db.prepare(sql).all();
    return {
      sessions: all('SELECT * FROM class_sessions ORDER BY rowid'),
      devices: all('SELECT * FROM devices ORDER BY rowid'),
      events: all('SELECT * FROM class_events ORDER BY seq'),
      groupings: all('SELECT * FROM saved_groupings ORDER BY rowid'),
    };
  }

  refusals(code: string): MemoryLogger['lines'] {
    return this.log.lines.filter((l) => l.level === 'warn' && l.fields?.code === code);
  }

  eventsOfType(sessionId: string, type: string): { deviceId: string | null; studentId: string | null; payload: unknown }[] {
    return this.store.events(sessionId).filter((e) => e.type === type);
  }
}
