/**
 * Joins that wait for the teacher. A pupil's seat is never taken silently:
 * a second device asking for a name already in use, a group screen (it could
 * type any name, "老师" too) and a device the teacher removed all wait for
 * 允许/拒绝 on the console. A waiting join is held for a short time and ends
 * when its connection goes; an address may have one waiting at a time.
 */
import type { JoinAdmitted, JoinDecided, JoinPending, SeatRequest } from '../../common/contract/classroom.ts';
import { KetangError, type JoinRole } from '../../common/protocol.ts';
import { newId } from '../base/ids.ts';
import type { Logger } from '../base/log.ts';
import type { Connection } from './context.ts';

export type AdmissionReason = SeatRequest['reason'];

/** What the device asked to join as, once checked against the roster. */
export interface JoinAsk {
  sessionId: string;
  role: JoinRole;
  name: string;
  studentId: string | null;
}

interface Waiting extends SeatRequest {
  ask: JoinAsk;
  conn: Connection;
  timer: NodeJS.Timeout;
}

export const ADMISSION_LIMITS = {
  /** A waiting join the teacher did not answer ends after this long (the device may ask again). */
  waitMs: 3 * 60_000,
  /** Waiting joins in one class at most: a flood of requests cannot bury the console. */
  maxWaiting: 30,
};

export interface AdmissionHost {
  log: Logger;
  /** Let the device in (the kernel's own join); `replaces` is the device whose seat it takes. */
  admit(conn: Connection, ask: JoinAsk): JoinAdmitted;
  /** Tell the session's consoles the current list. */
  pushRequests(sessionId: string, list: SeatRequest[]): void;
}

export class Admission {
  private readonly waiting = new Map<string, Waiting>();
  private readonly host: AdmissionHost;
  private readonly limits: typeof ADMISSION_LIMITS;

  constructor(host: AdmissionHost, limits: Partial<typeof ADMISSION_LIMITS> = {}) {
    this.host = host;
    this.limits = { ...ADMISSION_LIMITS, ...limits };
  }

  /** Hold a join for the teacher; the device is answered `pending` and later `join.decided`. */
  wait(conn: Connection, ask: JoinAsk, reason: AdmissionReason): JoinPending {
    for (const w of this.waiting.values()) {
      if (w.conn === conn) throw new KetangError('CONFLICT', 'This device is already waiting for the teacher');
      if (w.from === conn.address && w.ask.sessionId === ask.sessionId) this.end(w, 'EXPIRED'); // the same device asking again: the newest ask counts
    }
    if (this.list(ask.sessionId).length >= this.limits.maxWaiting) {
      this.host.log.warn('join refused: too many joins waiting for the teacher', { session: ask.sessionId, from: conn.address });
      throw new KetangError('RATE_LIMITED', 'Too many devices are waiting for the teacher; try again shortly');
    }
    const id = newId();
    const timer = setTimeout(() => this.end(this.waiting.get(id), 'EXPIRED'), this.limits.waitMs).unref();
    const w: Waiting = { id, reason, role: ask.role, name: ask.name, studentId: ask.studentId, from: conn.address, at: new Date().toISOString(), ask, conn, timer };
    this.waiting.set(id, w);
    this.host.log.info('join waits for the teacher', { session: ask.sessionId, reason, role: ask.role, from: conn.address });
    this.push(ask.sessionId);
    return { pending: true, requestId: id, reason };
  }

  /** The teacher's answer. */
  decide(sessionId: string, requestId: string, allow: boolean): void {
    const w = this.waiting.get(requestId);
    if (!w || w.ask.sessionId !== sessionId) throw new KetangError('NOT_FOUND', 'This request is no longer waiting');
    if (!allow) {
      this.host.log.info('join refused by the teacher', { session: sessionId, reason: w.reason, from: w.from });
      this.end(w, 'REFUSED');
      return;
    }
    this.forget(w);
    const admitted = this.host.admit(w.conn, w.ask);
    this.host.log.info('join allowed by the teacher', { session: sessionId, reason: w.reason, device: admitted.deviceId, from: w.from });
    w.conn.send('join.decided', { requestId, allowed: true, admitted } satisfies JoinDecided);
  }

  /** The waiting connection went away. */
  dropped(conn: Connection): void {
    for (const w of this.waiting.values()) if (w.conn === conn) this.end(w, null);
  }

  /** The class ended: every waiting join is answered. */
  sessionEnded(sessionId: string): void {
    for (const w of this.waiting.values()) if (w.ask.sessionId === sessionId) this.end(w, 'CLASS_ENDED');
  }

  list(sessionId: string): SeatRequest[] {
    return [...this.waiting.values()].filter((w) => w.ask.sessionId === sessionId).map(({ id, reason, role, name, studentId, from, at }) => ({ id, reason, role, name, studentId, from, at }));
  }

  private end(w: Waiting | undefined, reason: 'REFUSED' | 'EXPIRED' | 'CLASS_ENDED' | null): void {
    if (!w) return;
    this.forget(w);
    if (reason) w.conn.send('join.decided', { requestId: w.id, allowed: false, reason } satisfies JoinDecided);
  }

  private forget(w: Waiting): void {
    clearTimeout(w.timer);
    this.waiting.delete(w.id);
    this.push(w.ask.sessionId);
  }

  private push(sessionId: string): void {
    this.host.pushRequests(sessionId, this.list(sessionId));
  }
}
