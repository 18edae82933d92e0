/**
 * The classroom service: every operation of the protocol, whoever calls it
 * (a desktop window over IPC, a browser device over socket.io, a test).
 *
 * Transports hand it a Connection (who is asking, and how to push events to
 * them) and the raw message; `call` validates size, role and schema, runs the
 * handler and always answers with a Reply — a bad or unauthorised message gets
 * an error and changes nothing.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { hashToken, sameSecret } from '../base/ids.ts';
import { localDay } from '../../common/day.ts';
import {
  describeIssues,
  events as eventSpecs,
  isOperationName,
  KetangError,
  MAX_MESSAGE_BYTES,
  operations,
  PROTOCOL_VERSION,
  roleMayCall,
  type ClassState,
  type DeviceInfo,
  type EventName,
  type EventPayload,
  type HubInfo,
  type OperationName,
  type Reply,
  type Role,
  type SessionSnapshot,
} from '../../common/protocol.ts';
import type { classroomOperations, DevicesDelta, JoinAdmitted } from '../../common/contract/classroom.ts';
import { newId, type DeviceRow, type SessionRow, type Store } from '../store/store.ts';
import type { Connection, Feature, Handler, HandlerMap, ServiceContext } from './context.ts';
import type { Logger } from '../base/log.ts';
import { protocolError } from './errors.ts';
import { GuessGuard, type GuessLimits } from './guesses.ts';
import { Admission, type JoinAsk } from './admission.ts';

/** Devices a class may hold beyond its roster (group screens, a spare tablet): more is a flood, not a class. */
export const DEVICE_MARGIN = 20;
/** How long a rotated-away resume token still works: the new one may be lost with the link, a file download may still use it. */
const RESUME_GRACE_MS = 10 * 60_000;

export type { Connection } from './context.ts';

export interface ClassroomOptions {
  store: Store;
  log: Logger;
  /** Console and board tokens the hub hands to its own windows / launcher. */
  secrets: { consoleToken: string; boardToken: string };
  hubId: string;
  /** Addresses devices can reach the hub on (filled in once the hub listens). */
  urls?: () => string[];
  /** Limits on wrong join codes (tests shorten them); GUESS_LIMITS by default. */
  guessLimits?: Partial<GuessLimits>;
}

/** The features a classroom runs, by name (main/features.ts builds them). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FeatureSet = Record<string, Feature<any>>;
/** The operations the service itself answers (the class, joining, devices); every other one is a feature's. */
export type KernelOperation = keyof typeof classroomOperations;

type Handlers = HandlerMap<OperationName>;
/** The hooks of every feature, without their handlers. */
type Hooks = Omit<Feature<never>, 'handlers'>;

export class ClassroomService<F extends FeatureSet = FeatureSet> implements ServiceContext {
  readonly store: Store;
  readonly log: Logger;
  private readonly opts: ClassroomOptions;
  private readonly connections = new Set<Connection>();
  /** deviceId → its live connections (a tablet may briefly have two while reconnecting). */
  private readonly online = new Map<string, Set<Connection>>();
  /** Latest battery / link report per device; not worth a disk write each time. */
  private readonly status = new Map<string, { battery: number | null; quality: DeviceInfo['quality'] }>();
  private readonly handlers: Handlers;
  /** Every feature, in the registry's order: each one's hooks run, none can be left out (main/features.ts). */
  private readonly hooks: Hooks[];
  /** The features by name, for the app's wiring (the hub's file and recording routes, the media engine). */
  readonly features: F;
  /** Wrong join and live codes, per source address (guesses.ts). */
  readonly guesses: GuessGuard;
  /** Joins waiting for the teacher's 允许/拒绝 (admission.ts). */
  private readonly admission: Admission;

  /** `features` builds every feature against this service; main/features.ts's createClassroom passes the registry. */
  constructor(opts: ClassroomOptions, features: (ctx: ServiceContext) => F) {
    this.opts = opts;
    this.store = opts.store;
    this.log = opts.log;
    this.guesses = new GuessGuard(opts.log, opts.guessLimits);
    this.admission = new Admission({
      log: opts.log,
      admit: (conn, ask) => this.admit(conn, ask),
      pushRequests: (sessionId, list) => this.sendWhere(sessionId, (c) => c.role === 'teacher', 'seat.requests', list),
    });
    this.features = features(this);
    this.hooks = Object.values(this.features);
    this.handlers = Object.assign({}, this.classroomHandlers(), ...this.hooks.map((f) => (f as Feature<OperationName>).handlers)) as Handlers;
  }

  /** Close every feature that holds timers or files (recordings being ended). */
  async close(): Promise<void> {
    for (const h of this.hooks) await h.close?.();
  }

  // ------------------------------------------------------------ connections

  /**
   * Admit a new connection. A console/board token or a device resume token
   * decides its role; without either it may only look up and join.
   */
  attach(conn: Connection, auth: { token?: string | undefined; resumeToken?: string | undefined }): void {
    if (auth.token) {
      if (sameSecret(auth.token, this.opts.secrets.consoleToken)) conn.role = 'teacher';
      else if (sameSecret(auth.token, this.opts.secrets.boardToken)) conn.role = 'board';
      else throw new KetangError('UNAUTHENTICATED', 'Unknown console/board token');
      conn.sessionId = this.openSession()?.id ?? null;
    } else if (auth.resumeToken && this.hooks.some((h) => h.resume?.(conn, auth.resumeToken!))) {
      // A receiving classroom or observer of a live class, back after a drop.
    } else if (auth.resumeToken) {
      const device = this.store.deviceByResumeHash(hashToken(auth.resumeToken));
      const session = device ? this.store.session(device.sessionId) : null;
      if (!device || !session || device.leftAt || device.kicked || session.endedAt) {
        throw new KetangError('UNAUTHENTICATED', 'This device is no longer in a running class; join again with the code');
      }
      conn.role = device.role as Role;
      conn.deviceId = device.id;
      conn.sessionId = device.sessionId;
      // Rotate on use: a token seen on the Wi-Fi is not a key for later.
      // The old token keeps working a little while: the new one may be lost with the link, a download may still use it.
      const fresh = randomBytes(24).toString('base64url');
      this.store.rotateResumeHash(device.id, hashToken(fresh), new Date(Date.now() + RESUME_GRACE_MS).toISOString());
      conn.send('device.token', { resumeToken: fresh });
    }
    this.connections.add(conn);
    if (conn.deviceId && this.markOnline(conn) && conn.sessionId) this.pushDelta(conn.sessionId, { updated: [conn.deviceId] });
    const snapshot = conn.sessionId ? this.snapshotFor(conn, conn.sessionId) : null;
    if (snapshot) {
      conn.send('session.snapshot', snapshot);
      this.entered(conn);
    }
  }

  isConsoleToken(token: string): boolean {
    return sameSecret(token, this.opts.secrets.consoleToken);
  }

  isBoardToken(token: string): boolean {
    return sameSecret(token, this.opts.secrets.boardToken);
  }

  /** Whether a token belongs to this classroom: the console, the board, or a device in a running class. */
  tokenIsValid(token: string): boolean {
    if (sameSecret(token, this.opts.secrets.consoleToken) || sameSecret(token, this.opts.secrets.boardToken)) return true;
    if (this.hooks.some((h) => h.tokenIsValid?.(token))) return true;
    const device = this.store.deviceByResumeHash(hashToken(token));
    if (!device || device.leftAt || device.kicked) return false;
    return this.store.session(device.sessionId)?.endedAt === null;
  }

  detach(conn: Connection): void {
    this.connections.delete(conn);
    this.admission.dropped(conn);
    if (conn.sessionId) this.left(conn, conn.sessionId);
    if (!conn.deviceId) return;
    const set = this.online.get(conn.deviceId);
    set?.delete(conn);
    if (set && set.size === 0) {
      this.online.delete(conn.deviceId);
      if (conn.sessionId) this.pushDelta(conn.sessionId, { updated: [conn.deviceId] });
    }
  }

  /** Count the connection as its device's; true when the device was offline (its entry changed). */
  private markOnline(conn: Connection): boolean {
    const id = conn.deviceId!;
    let set = this.online.get(id);
    if (!set) this.online.set(id, (set = new Set()));
    const wasOffline = set.size === 0;
    set.add(conn);
    return wasOffline;
  }

  // ---------------------------------------------------------------- calls

  /** Validate and run one operation. Never throws: every outcome is a Reply. */
  async call(conn: Connection, name: unknown, raw: unknown): Promise<Reply<unknown>> {
    const fail = (code: KetangError['code'], message: string): Reply<unknown> => {
      this.log.warn('refused', { op: typeof name === 'string' ? name.slice(0, 64) : typeof name, code, message, conn: conn.id, role: conn.role, device: conn.deviceId, from: conn.address });
      return { ok: false, error: { code, message } };
    };
    if (!isOperationName(name)) return fail('UNKNOWN_OPERATION', `Unknown operation ${JSON.stringify(String(name).slice(0, 64))}`);
    let size: number;
    try {
      size = Buffer.byteLength(JSON.stringify(raw ?? {}));
    } catch {
      return fail('INVALID', 'Payload is not JSON');
    }
    if (size > MAX_MESSAGE_BYTES) return fail('TOO_LARGE', `Payload of ${size} bytes is over the ${MAX_MESSAGE_BYTES}-byte limit`);
    if (!roleMayCall(conn.role, name)) {
      return fail(conn.role ? 'FORBIDDEN' : 'UNAUTHENTICATED', `${conn.role ?? 'A device that has not joined'} may not call ${name}`);
    }
    const parsed = operations[name].input.safeParse(raw ?? {});
    if (!parsed.success) return fail('INVALID', `${name}: ${describeIssues(parsed.error)}`);
    try {
      const handler = this.handlers[name] as Handler<OperationName>;
      const data = await handler(conn, parsed.data as never);
      return { ok: true, data };
    } catch (err) {
      const refused = protocolError(err);
      if (refused) return fail(refused.code, refused.message);
      this.log.error('operation failed', { op: name, error: (err as Error).stack ?? String(err) });
      return { ok: false, error: { code: 'INTERNAL', message: 'Internal error; it was logged on the hub' } };
    }
  }

  // ------------------------------------------------------------- handlers

  private classroomHandlers(): HandlerMap<keyof typeof classroomOperations> {
    const store = this.store;
    return {
      'hub.info': (): HubInfo => ({
        protocol: PROTOCOL_VERSION,
        hubId: this.opts.hubId,
        school: store.school()?.name ?? '',
        classroom: store.classroom()?.name ?? '',
        urls: this.opts.urls?.() ?? [],
      }),

      'classes.list': () => store.classes(),

      'lessons.list': (_conn, input) => store.lessonsFor(input.day ?? localDay()),

      'lessons.archived': () => store.archivedLessons(),

      'session.start': (conn, input) => {
        const lesson = store.lesson(input.lessonId);
        if (!lesson) throw new KetangError('NOT_FOUND', `No lesson ${input.lessonId}`);
        const classId = input.classId ?? lesson.classId;
        if (!classId) throw new KetangError('INVALID', 'This lesson has no class; choose one (classId)');
        if (!store.classById(classId)) throw new KetangError('NOT_FOUND', `No class ${classId}`);
        const previous = this.openSession();
        const session = store.startSession({ lessonId: lesson.id, classId, code: this.freshCode(), classroomId: store.classroom()?.id ?? null });
        if (previous) this.afterEnd(previous.id);
        this.log.info('class started', { session: session.id, lesson: lesson.title, code: session.code });
        for (const c of this.connections) {
          if (c.role === 'teacher' || c.role === 'board') c.sessionId = session.id;
        }
        this.pushSnapshot(session.id, (c) => c.role === 'teacher' || c.role === 'board');
        for (const c of this.connectionsIn(session.id)) if (c !== conn) this.entered(c);
        // The caller gets the snapshot as its reply; its feature state follows it.
        setImmediate(() => conn.sessionId === session.id && this.entered(conn));
        return this.snapshotFor(conn, session.id)!;
      },

      'session.end': (_conn, input) => {
        const session = store.session(input.sessionId);
        if (!session) throw new KetangError('NOT_FOUND', `No session ${input.sessionId}`);
        if (session.endedAt) throw new KetangError('CONFLICT', 'This class has already ended');
        store.endSession(session.id);
        this.afterEnd(session.id);
        this.log.info('class ended', { session: session.id });
        return { done: true as const };
      },

      'session.current': (conn) => {
        const id = conn.sessionId ?? (conn.role === 'teacher' || conn.role === 'board' ? this.openSession()?.id : undefined);
        return id ? this.snapshotFor(conn, id) : null;
      },

      'session.newCode': (conn, input) => {
        const session = this.requireOpen(input.sessionId);
        this.store.setSessionCode(session.id, this.freshCode());
        this.log.info('join code changed', { session: session.id, from: conn.address });
        this.pushSnapshot(session.id, (c) => c.role === 'teacher' || c.role === 'board');
        return this.snapshotFor(conn, session.id)!;
      },

      'session.setState': (_conn, input) => {
        const session = this.requireOpen(input.sessionId);
        const state: ClassState = { ...session.state, ...input.patch, rev: session.state.rev + 1 };
        store.saveSessionState(session.id, state, { type: 'class.state', payload: input.patch });
        this.broadcast(session.id, 'class.state', state);
        return state;
      },

      'join.lookup': (conn, input) => {
        const session = this.sessionByCode(conn, input.code, 'join.lookup');
        const view = this.sessionInfo(session);
        return {
          sessionId: session.id,
          lessonTitle: view.lessonTitle,
          className: view.className,
          roster: (() => {
            const taken = new Set(store.devices(session.id).filter((d) => !d.leftAt && d.studentId).map((d) => d.studentId));
            return store.roster(session.classId).map(({ id, name }) => ({ id, name, taken: taken.has(id) }));
          })(),
          anonymousAllowed: this.allowsAnonymous(session.id),
        };
      },

      'join.enter': (conn, input) => {
        if (conn.deviceId) throw new KetangError('CONFLICT', 'This connection has already joined; leave first');
        if (conn.role === 'teacher' || conn.role === 'board') throw new KetangError('CONFLICT', 'The console and board do not join with a code');
        const session = this.sessionByCode(conn, input.code, 'join.enter');
        let ask: JoinAsk;
        if (input.role === 'student' && !input.studentId && this.allowsAnonymous(session.id)) {
          // Anonymous join (the teacher allowed it): no student id, a nickname at most.
          ask = { sessionId: session.id, role: 'student', name: input.name ?? '匿名同学', studentId: null };
        } else if (input.role === 'student') {
          if (!input.studentId) throw new KetangError('INVALID', 'Pick your name from the class list (studentId)');
          const student = store.student(input.studentId);
          if (!student || student.classId !== session.classId) throw new KetangError('NOT_FOUND', 'This student is not in the class list');
          ask = { sessionId: session.id, role: 'student', name: student.name, studentId: student.id };
        } else {
          if (!input.name) throw new KetangError('INVALID', 'A group screen needs a name');
          ask = { sessionId: session.id, role: 'group', name: input.name, studentId: null };
        }
        const devices = store.devices(session.id);
        const active = devices.filter((d) => !d.leftAt);
        if (active.length >= store.roster(session.classId).length + DEVICE_MARGIN) {
          this.log.warn('join refused: the class is full', { session: session.id, devices: active.length, from: conn.address });
          throw new KetangError('CONFLICT', 'This class already has as many devices as it can take; ask the teacher');
        }
        if (ask.role === 'group') return this.admission.wait(conn, ask, 'GROUP_SCREEN');
        if (ask.studentId && active.some((d) => d.studentId === ask.studentId)) return this.admission.wait(conn, ask, 'SEAT_TAKEN');
        if (ask.studentId && devices.some((d) => d.studentId === ask.studentId && d.kicked)) return this.admission.wait(conn, ask, 'REMOVED');
        return this.admit(conn, ask);
      },

      'seat.decide': (conn, input) => {
        this.admission.decide(this.sessionOf(conn).id, input.requestId, input.allow);
        return { done: true as const };
      },

      'device.status': (conn, input) => {
        if (!conn.deviceId || !conn.sessionId) throw new KetangError('UNAUTHENTICATED', 'Join first');
        const prev = this.status.get(conn.deviceId) ?? { battery: null, quality: 'good' as const };
        this.status.set(conn.deviceId, { battery: input.battery === undefined ? prev.battery : input.battery, quality: input.quality ?? prev.quality });
        this.pushDelta(conn.sessionId, { updated: [conn.deviceId] });
        return { done: true as const };
      },

      'device.leave': (conn) => {
        if (!conn.deviceId) throw new KetangError('UNAUTHENTICATED', 'Join first');
        this.removeDevice(conn.deviceId, 'left', 'Left the class');
        return { done: true as const };
      },

      'device.kick': (conn, input) => {
        const device = store.devices(conn.sessionId ?? '').find((d) => d.id === input.deviceId);
        if (!device || device.leftAt) throw new KetangError('NOT_FOUND', 'No such device in the running class');
        this.removeDevice(device.id, 'kicked', 'Removed by the teacher');
        return { done: true as const };
      },
    };
  }

  // -------------------------------------------------------------- helpers

  /** Let a device into the class: its row, its resume token, its connection in the session. */
  private admit(conn: Connection, ask: JoinAsk): JoinAdmitted {
    const resumeToken = randomBytes(24).toString('base64url');
    const device = this.store.addDevice({ id: newId(), sessionId: ask.sessionId, role: ask.role, name: ask.name, studentId: ask.studentId, resumeHash: hashToken(resumeToken) });
    // The teacher let this pupil in on a new device: the old one is told, in its own words, and leaves.
    // No device change goes out until the new device is online: one push, never an entry showing it offline.
    const replaced: string[] = [];
    if (ask.studentId) {
      for (const old of this.store.devices(ask.sessionId)) {
        if (old.id !== device.id && old.studentId === ask.studentId && !old.leftAt) {
          this.removeDevice(old.id, 'replaced', 'The teacher let this pupil in on another device', { push: false });
          replaced.push(old.id);
        }
      }
    }
    conn.role = ask.role;
    conn.deviceId = device.id;
    conn.sessionId = ask.sessionId;
    this.markOnline(conn);
    this.pushDelta(ask.sessionId, { joined: [device.id], left: replaced });
    this.log.info('device joined', { session: ask.sessionId, device: device.id, role: ask.role, from: conn.address });
    setImmediate(() => conn.sessionId === ask.sessionId && this.entered(conn));
    return { deviceId: device.id, resumeToken, snapshot: this.snapshotFor(conn, ask.sessionId)! };
  }

  /** The running class with this join code; wrong codes count against the sender's address (guesses.ts). */
  private sessionByCode(conn: Connection, code: string, what: string): SessionRow {
    this.guesses.before(conn.address, what);
    const session = this.store.openSessionByCode(code);
    if (!session) {
      this.guesses.wrong(conn.address, what);
      throw new KetangError('NOT_FOUND', 'No class is running with this code');
    }
    return session;
  }

  private allowsAnonymous(sessionId: string): boolean {
    return this.hooks.some((h) => h.allowsAnonymous?.(sessionId));
  }

  openSession(): SessionRow | null {
    const open = this.store.openSessions();
    return open.length ? open[open.length - 1]! : null;
  }

  requireOpen(id: string): SessionRow {
    const s = this.store.session(id);
    if (!s) throw new KetangError('NOT_FOUND', `No session ${id}`);
    if (s.endedAt) throw new KetangError('CONFLICT', 'This class has already ended');
    return s;
  }

  private freshCode(): string {
    for (let i = 0; i < 50; i++) {
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      if (!this.store.openSessionByCode(code)) return code;
    }
    throw new KetangError('INTERNAL', 'Could not find a free join code');
  }

  private removeDevice(deviceId: string, how: 'left' | 'kicked' | 'replaced', reason: string, opts: { push?: boolean } = {}): void {
    this.store.markDeviceLeft(deviceId, how === 'kicked' ? 'kicked' : 'left');
    this.status.delete(deviceId);
    const conns = [...(this.online.get(deviceId) ?? [])];
    this.online.delete(deviceId);
    let sessionId: string | null = null;
    for (const c of conns) {
      sessionId = c.sessionId;
      if (sessionId) this.left(c, sessionId);
      if (how !== 'left') c.send('device.kicked', { reason, ...(how === 'replaced' ? { replaced: true } : {}) });
      c.role = null;
      c.deviceId = null;
      c.sessionId = null;
      if (how !== 'left') c.close?.(reason);
    }
    sessionId ??= this.store.devices(this.openSession()?.id ?? '').find((d) => d.id === deviceId)?.sessionId ?? null;
    if (sessionId && opts.push !== false) this.pushDelta(sessionId, { left: [deviceId] });
  }

  private afterEnd(sessionId: string): void {
    this.admission.sessionEnded(sessionId);
    for (const h of this.hooks) h.onSessionEnd?.(sessionId);
    for (const c of [...this.connections]) {
      if (c.sessionId !== sessionId) continue;
      c.send('session.ended', { sessionId });
      if (c.deviceId) {
        this.online.delete(c.deviceId);
        this.status.delete(c.deviceId);
        c.role = null;
        c.deviceId = null;
      }
      c.sessionId = null;
    }
  }

  private sessionInfo(s: SessionRow): SessionSnapshot['session'] {
    return {
      id: s.id,
      code: s.code,
      lessonId: s.lessonId,
      lessonTitle: this.store.lesson(s.lessonId)?.title ?? '',
      classId: s.classId,
      className: this.store.classById(s.classId)?.name ?? '',
      startedAt: s.startedAt,
      endedAt: s.endedAt,
    };
  }

  deviceList(sessionId: string): DeviceInfo[] {
    return this.store
      .devices(sessionId)
      .filter((d) => !d.leftAt)
      .map((d) => this.deviceInfo(d));
  }

  private deviceInfo(d: DeviceRow): DeviceInfo {
    const live = (this.online.get(d.id)?.size ?? 0) > 0;
    const st = this.status.get(d.id);
    return {
      id: d.id,
      role: d.role as Role,
      name: d.name,
      studentId: d.studentId,
      online: live,
      quality: live ? (st?.quality ?? 'good') : 'offline',
      battery: st?.battery ?? null,
      joinedAt: d.joinedAt,
    };
  }

  snapshotFor(conn: Connection, sessionId: string): SessionSnapshot | null {
    const s = this.store.session(sessionId);
    if (!s || s.endedAt) return null;
    const seesDevices = conn.role === 'teacher' || conn.role === 'board' || conn.role === 'observer';
    return { session: this.sessionInfo(s), state: s.state, devices: seesDevices ? this.deviceList(sessionId) : [] };
  }

  sessionOf(conn: Connection): SessionRow {
    if (!conn.sessionId) throw new KetangError('UNAUTHENTICATED', 'Not in a running class');
    return this.requireOpen(conn.sessionId);
  }

  connectionsIn(sessionId: string): Connection[] {
    return [...this.connections].filter((c) => c.sessionId === sessionId);
  }

  isOnline(deviceId: string): boolean {
    return (this.online.get(deviceId)?.size ?? 0) > 0;
  }

  sendWhere<E extends EventName>(sessionId: string, filter: (c: Connection) => boolean, event: E, payload: EventPayload<E>): void {
    const to = eventSpecs[event].to as readonly Role[];
    for (const c of this.connections) {
      if (c.sessionId === sessionId && c.role && to.includes(c.role) && filter(c)) c.send(event, payload);
    }
  }

  private entered(conn: Connection): void {
    const sessionId = conn.sessionId;
    if (!sessionId) return;
    for (const h of this.hooks) this.safely('onEnter', () => h.onEnter?.(conn, sessionId));
  }

  private left(conn: Connection, sessionId: string): void {
    for (const h of this.hooks) this.safely('onLeave', () => h.onLeave?.(conn, sessionId));
  }

  /** A feature hook that throws must not break joining or leaving for everyone else. */
  private safely(hook: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error('feature hook failed', { hook, error: (err as Error).stack ?? String(err) });
    }
  }

  /** Send an event to every connection in the session whose role receives it (but `except`, the sender). */
  broadcast<E extends EventName>(sessionId: string, event: E, payload: EventPayload<E>, except?: Connection): void {
    const to = eventSpecs[event].to as readonly Role[];
    for (const c of this.connections) {
      if (c !== except && c.sessionId === sessionId && c.role && to.includes(c.role)) c.send(event, payload);
    }
    for (const h of this.hooks) h.onBroadcast?.(sessionId, event, payload);
  }

  sendAll<E extends EventName>(event: E, payload: EventPayload<E>): void {
    const to = eventSpecs[event].to as readonly Role[];
    for (const c of this.connections) if (c.role && to.includes(c.role)) c.send(event, payload);
  }

  /**
   * Tell the console and board what changed in the device list, not the whole
   * list: N devices joining cost O(N) bytes, not O(N²) (issue 17). The full
   * list goes with session.snapshot and session.current.
   */
  private pushDelta(sessionId: string, change: { joined?: string[]; updated?: string[]; left?: string[] }): void {
    const ids = new Set([...(change.joined ?? []), ...(change.updated ?? [])]);
    const rows = ids.size ? this.store.devices(sessionId).filter((d) => ids.has(d.id) && !d.leftAt) : [];
    const info = (list: string[] | undefined): DeviceInfo[] => (list ?? []).flatMap((id) => rows.filter((r) => r.id === id).map((r) => this.deviceInfo(r)));
    const delta: DevicesDelta = { joined: info(change.joined), updated: info(change.updated), left: change.left ?? [] };
    if (delta.joined.length + delta.updated.length + delta.left.length === 0) return;
    this.broadcast(sessionId, 'devices.delta', delta);
  }

  private pushSnapshot(sessionId: string, filter: (c: Connection) => boolean): void {
    for (const c of this.connections) {
      if (c.sessionId === sessionId && filter(c)) {
        const snap = this.snapshotFor(c, sessionId);
        if (snap) c.send('session.snapshot', snap);
      }
    }
  }
}
