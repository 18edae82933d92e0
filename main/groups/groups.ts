/**
 * Groups of a running class (终端分组) and the audience resolver other
 * features use: "all devices", "group 3" or "this tablet" → the live
 * connections and device ids it covers.
 *
 * The groups of a session are not a table: every change appends the whole
 * new state as a `groups.changed` class event (a few hundred bytes), and the
 * state of a session is its last such event. So a hub restart finds the
 * groups again, and the event log is the history of how the class was
 * grouped. Saved groupings (per class, by student id) are in their own table
 * (main/store/groups.ts).
 */
import { randomInt } from 'node:crypto';
import { KetangError } from '../../common/protocol.ts';
import type { Audience, Group, GroupsState, groupsOperations } from '../../common/contract/groups.ts';
import { GroupsState as GroupsStateSchema } from '../../common/contract/groups.ts';
import { GroupingsRepo } from '../store/groups.ts';
import { newId, type DeviceRow } from '../store/store.ts';
import type { Connection, Feature, ServiceContext } from '../classroom/context.ts';

/** Distinct on a projector and for colour-blind pupils, in the order new groups get them. */
export const GROUP_COLORS = ['#e5484d', '#0b63ce', '#12875a', '#f59e0b', '#8e4ec6', '#0894b3', '#d6409f', '#6b7a90', '#a35829', '#3e63dd', '#5b9a1b', '#c2410c'] as const;

const DIGITS = ['', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
/** 1 → 第一组, 12 → 第十二组, 24 → 第二十四组. */
export function defaultGroupName(n: number): string {
  const tens = Math.floor(n / 10);
  const ones = n % 10;
  const num = tens === 0 ? DIGITS[ones]! : `${tens === 1 ? '' : DIGITS[tens]!}十${DIGITS[ones]!}`;
  return `第${num}组`;
}

const EMPTY: GroupsState = { rev: 0, groups: [], anonymousAllowed: false };

/** The groups model of one classroom service, found by the exported helpers below. */
class GroupsModel {
  private readonly states = new Map<string, GroupsState>();
  readonly saved: GroupingsRepo;
  private readonly ctx: ServiceContext;

  constructor(ctx: ServiceContext) {
    this.ctx = ctx;
    this.saved = new GroupingsRepo(ctx.store.db);
  }

  state(sessionId: string): GroupsState {
    let st = this.states.get(sessionId);
    if (!st) {
      st = this.load(sessionId);
      this.states.set(sessionId, st);
    }
    return st;
  }

  /** The last `groups.changed` event of the session (after a hub restart). */
  private load(sessionId: string): GroupsState {
    let found: unknown = null;
    let after = 0;
    for (;;) {
      const page = this.ctx.store.events(sessionId, after, 5_000);
      for (const e of page) if (e.type === 'groups.changed') found = e.payload;
      if (page.length < 5_000) break;
      after = page[page.length - 1]!.seq;
    }
    if (found === null) return EMPTY;
    const parsed = GroupsStateSchema.safeParse(found);
    if (!parsed.success) {
      this.ctx.log.warn('stored groups unreadable; starting ungrouped', { session: sessionId });
      return EMPTY;
    }
    return parsed.data;
  }

  /** Record a new state (one class event) and tell every screen. */
  commit(sessionId: string, next: Omit<GroupsState, 'rev'>, by: Connection | null): GroupsState {
    const st: GroupsState = { ...next, rev: this.state(sessionId).rev + 1 };
    this.ctx.store.appendEvent({ sessionId, type: 'groups.changed', deviceId: by?.deviceId ?? null, payload: st });
    this.states.set(sessionId, st);
    this.push(sessionId, st);
    return st;
  }

  push(sessionId: string, st: GroupsState): void {
    this.ctx.broadcast(sessionId, 'groups.changed', st);
    const devices = new Map(this.devices(sessionId).map((d) => [d.id, d]));
    for (const c of this.ctx.connectionsIn(sessionId)) {
      const d = c.deviceId ? devices.get(c.deviceId) : undefined;
      if (d) c.send('groups.mine', { group: pick(groupOfRow(st, d)) });
    }
  }

  forget(sessionId: string): void {
    this.states.delete(sessionId);
    this.deviceCache.delete(sessionId);
  }

  private readonly deviceCache = new Map<string, { stamp: string; rows: DeviceRow[] }>();
  /** The session's device rows, read again only when a device joined or left. */
  devices(sessionId: string): DeviceRow[] {
    const stamp = this.saved.deviceStamp(sessionId);
    const hit = this.deviceCache.get(sessionId);
    if (hit && hit.stamp === stamp) return hit.rows;
    const rows = this.ctx.store.devices(sessionId);
    this.deviceCache.set(sessionId, { stamp, rows });
    return rows;
  }
}

const models = new WeakMap<ServiceContext, GroupsModel>();

function modelOf(ctx: ServiceContext): GroupsModel {
  const m = models.get(ctx);
  if (!m) throw new Error('The groups feature is not registered in this classroom service');
  return m;
}

const pick = (g: Group | null): { id: string; name: string; color: string } | null => (g ? { id: g.id, name: g.name, color: g.color } : null);

function groupOfRow(st: GroupsState, d: Pick<DeviceRow, 'id' | 'studentId'>): Group | null {
  return st.groups.find((g) => (d.studentId ? g.studentIds.includes(d.studentId) : g.deviceIds.includes(d.id))) ?? null;
}

/**
 * Every device row of a session (left ones too), cached until a device joins
 * or leaves. Treat the rows as read-only.
 */
export function sessionDevices(ctx: ServiceContext, sessionId: string): DeviceRow[] {
  return modelOf(ctx).devices(sessionId);
}

/** Devices of the session that are still in class (joined, not left or kicked). */
function liveDevices(ctx: ServiceContext, sessionId: string): DeviceRow[] {
  return sessionDevices(ctx, sessionId).filter((d) => !d.leftAt);
}

// ------------------------------------------------------ for other features

export interface ResolvedAudience {
  /** Devices in class the audience covers, online or not. */
  deviceIds: string[];
  /** Their live connections right now (a device may briefly have two). */
  connections: Connection[];
}

/**
 * The devices and live connections an audience covers in a session. Only
 * student and group-screen devices: the console and the board are never an
 * audience. Throws NOT_FOUND for a group or device not in the class.
 */
export function resolveAudience(ctx: ServiceContext, sessionId: string, audience: Audience): ResolvedAudience {
  const devices = liveDevices(ctx, sessionId).filter((d) => d.role === 'student' || d.role === 'group');
  let covered: DeviceRow[];
  if (audience.kind === 'all') covered = devices;
  else if (audience.kind === 'device') {
    covered = devices.filter((d) => d.id === audience.deviceId);
    if (!covered.length) throw new KetangError('NOT_FOUND', `No device ${audience.deviceId} in this class`);
  } else {
    const group = modelOf(ctx).state(sessionId).groups.find((g) => g.id === audience.groupId);
    if (!group) throw new KetangError('NOT_FOUND', `No group ${audience.groupId} in this class`);
    covered = devices.filter((d) => (d.studentId ? group.studentIds.includes(d.studentId) : group.deviceIds.includes(d.id)));
  }
  const ids = new Set(covered.map((d) => d.id));
  return { deviceIds: [...ids], connections: ctx.connectionsIn(sessionId).filter((c) => c.deviceId !== null && ids.has(c.deviceId)) };
}

/** Whether an audience covers a device (cheap check for per-connection filters). */
export function audienceCovers(ctx: ServiceContext, sessionId: string, audience: Audience, deviceId: string): boolean {
  try {
    return resolveAudience(ctx, sessionId, audience).deviceIds.includes(deviceId);
  } catch {
    return false;
  }
}

/** The group a device of the session is in, or null. */
export function groupOfDevice(ctx: ServiceContext, sessionId: string, deviceId: string): Group | null {
  const d = sessionDevices(ctx, sessionId).find((x) => x.id === deviceId);
  return d ? groupOfRow(modelOf(ctx).state(sessionId), d) : null;
}

/** The groups of a session (read-only). */
export function groupsOf(ctx: ServiceContext, sessionId: string): GroupsState {
  return modelOf(ctx).state(sessionId);
}

// ---------------------------------------------------------------- feature

export function groupsFeature(ctx: ServiceContext): Feature<keyof typeof groupsOperations> {
  const model = new GroupsModel(ctx);
  models.set(ctx, model);

  const nextColor = (groups: readonly Group[]): string => GROUP_COLORS.find((c) => !groups.some((g) => g.color === c)) ?? GROUP_COLORS[groups.length % GROUP_COLORS.length]!;
  /** The first 第N组 not in use: 第一组, 第三组 → 第二组. */
  const freeName = (groups: readonly Group[]): string => {
    const taken = new Set(groups.map((g) => g.name));
    let n = 1;
    while (taken.has(defaultGroupName(n))) n++;
    return defaultGroupName(n);
  };
  const fresh = (count: number): Group[] => Array.from({ length: count }, (_, i) => ({ id: newId(), name: defaultGroupName(i + 1), color: GROUP_COLORS[i % GROUP_COLORS.length]!, studentIds: [], deviceIds: [] }));
  const requireGroup = (st: GroupsState, id: string): Group => {
    const g = st.groups.find((x) => x.id === id);
    if (!g) throw new KetangError('NOT_FOUND', `No group ${id} in this class`);
    return g;
  };
  /** Take a device (its student, or itself) out of every group. */
  const without = (groups: Group[], d: DeviceRow): Group[] =>
    groups.map((g) => ({ ...g, studentIds: d.studentId ? g.studentIds.filter((s) => s !== d.studentId) : g.studentIds, deviceIds: g.deviceIds.filter((x) => x !== d.id) }));
  const session = (conn: Connection): string => ctx.sessionOf(conn).id;

  return {
    // Whether the teacher lets students join this session without picking a name.
    allowsAnonymous: (sessionId) => model.state(sessionId).anonymousAllowed,
    handlers: {
      'groups.get': (conn) => model.state(session(conn)),

      'groups.create': (conn, input) => {
        const sid = session(conn);
        const st = model.state(sid);
        if (st.groups.length >= 24) throw new KetangError('CONFLICT', 'A class has at most 24 groups');
        return model.commit(sid, { ...st, groups: [...st.groups, { id: newId(), name: input.name ?? freeName(st.groups), color: input.color ?? nextColor(st.groups), studentIds: [], deviceIds: [] }] }, conn);
      },

      'groups.update': (conn, input) => {
        const sid = session(conn);
        const st = model.state(sid);
        requireGroup(st, input.groupId);
        const groups = st.groups.map((g) => (g.id === input.groupId ? { ...g, name: input.name ?? g.name, color: input.color ?? g.color } : g));
        return model.commit(sid, { ...st, groups }, conn);
      },

      'groups.remove': (conn, input) => {
        const sid = session(conn);
        const st = model.state(sid);
        requireGroup(st, input.groupId);
        return model.commit(sid, { ...st, groups: st.groups.filter((g) => g.id !== input.groupId) }, conn);
      },

      'groups.assign': (conn, input) => {
        const sid = session(conn);
        const st = model.state(sid);
        const d = liveDevices(ctx, sid).find((x) => x.id === input.deviceId);
        if (!d || (d.role !== 'student' && d.role !== 'group')) throw new KetangError('NOT_FOUND', `No device ${input.deviceId} in this class`);
        if (input.groupId) requireGroup(st, input.groupId);
        const groups = without(st.groups, d).map((g) =>
          g.id !== input.groupId ? g : d.studentId ? { ...g, studentIds: [...g.studentIds, d.studentId] } : { ...g, deviceIds: [...g.deviceIds, d.id] },
        );
        return model.commit(sid, { ...st, groups }, conn);
      },

      'groups.random': (conn, input) => {
        const sid = session(conn);
        const st = model.state(sid);
        const groups = fresh(input.count);
        const devices = liveDevices(ctx, sid);
        const students = shuffle(devices.filter((d) => d.role === 'student'));
        // Deal round-robin from a shuffled list: sizes differ by at most one.
        students.forEach((d, i) => {
          const g = groups[i % groups.length]!;
          if (d.studentId) g.studentIds.push(d.studentId);
          else g.deviceIds.push(d.id);
        });
        placeScreens(st.groups, groups, devices.filter((d) => d.role === 'group'));
        return model.commit(sid, { ...st, groups }, conn);
      },

      'groups.fromRoster': (conn, input) => {
        const s = ctx.sessionOf(conn);
        const st = model.state(s.id);
        const groups = fresh(input.count);
        const roster = ctx.store.roster(s.classId);
        // Consecutive runs of the roster (by student number), as desks are often seated.
        const size = Math.ceil(roster.length / input.count);
        roster.forEach((stu, i) => groups[Math.min(Math.floor(i / Math.max(size, 1)), groups.length - 1)]!.studentIds.push(stu.id));
        return model.commit(s.id, { ...st, groups }, conn);
      },

      'groups.save': (conn, input) => {
        const s = ctx.sessionOf(conn);
        const st = model.state(s.id);
        if (!st.groups.length) throw new KetangError('CONFLICT', 'There are no groups to save');
        const saved = model.saved.save(s.classId, input.name, st.groups.map((g) => ({ name: g.name, color: g.color, studentIds: g.studentIds })));
        ctx.store.appendEvent({ sessionId: s.id, type: 'groups.saved', payload: { groupingId: saved.id, name: saved.name } });
        return saved;
      },

      'groups.saved': (conn) => model.saved.forClass(ctx.sessionOf(conn).classId),

      'groups.apply': (conn, input) => {
        const s = ctx.sessionOf(conn);
        const saved = model.saved.get(input.groupingId);
        if (!saved || saved.classId !== s.classId) throw new KetangError('NOT_FOUND', 'No such saved grouping for this class');
        const st = model.state(s.id);
        const groups: Group[] = saved.groups.map((g) => ({ id: newId(), name: g.name, color: g.color, studentIds: [...g.studentIds], deviceIds: [] }));
        // Group screens that joined under a group's name belong to it.
        for (const d of liveDevices(ctx, s.id)) {
          if (d.role === 'group') groups.find((g) => g.name === d.name)?.deviceIds.push(d.id);
        }
        return model.commit(s.id, { ...st, groups }, conn);
      },

      'groups.deleteSaved': (conn, input) => {
        const s = ctx.sessionOf(conn);
        const saved = model.saved.get(input.groupingId);
        if (!saved || saved.classId !== s.classId) throw new KetangError('NOT_FOUND', 'No such saved grouping for this class');
        model.saved.delete(saved.id);
        return { done: true as const };
      },

      'join.allowAnonymous': (conn, input) => {
        const sid = session(conn);
        const st = model.state(sid);
        if (st.anonymousAllowed === input.allow) return st;
        ctx.log.info('anonymous join', { session: sid, allowed: input.allow });
        return model.commit(sid, { ...st, anonymousAllowed: input.allow }, conn);
      },
    },

    onEnter(conn, sessionId) {
      const st = model.state(sessionId);
      if (conn.role === 'teacher' || conn.role === 'board') {
        conn.send('groups.changed', st);
        return;
      }
      if (!conn.deviceId) return;
      const d = sessionDevices(ctx, sessionId).find((x) => x.id === conn.deviceId);
      if (!d) return;
      // A group screen that joined under a group's name belongs to that group.
      if (d.role === 'group' && !groupOfRow(st, d)) {
        const named = st.groups.find((g) => g.name === d.name);
        if (named) {
          const groups = st.groups.map((g) => (g === named ? { ...g, deviceIds: [...g.deviceIds, d.id] } : g));
          model.commit(sessionId, { ...st, groups }, null);
          return; // commit pushed groups.mine to it
        }
      }
      conn.send('groups.mine', { group: pick(groupOfRow(st, d)) });
    },

    onSessionEnd(sessionId) {
      model.forget(sessionId);
    },
  };
}

/**
 * Group screens in a new set of groups: a screen is furniture, not a pupil, so it is
 * not dealt. One that was in a group keeps that place (the group at the same position,
 * e.g. the screen on the front-left table stays 第一组); one named like a new group goes
 * there; the rest fill groups still without a screen, one per group.
 */
function placeScreens(before: readonly Group[], groups: Group[], screens: readonly DeviceRow[]): void {
  const free = (g: Group | undefined): g is Group => !!g && g.deviceIds.length === 0;
  const left: DeviceRow[] = [];
  for (const d of screens) {
    const at = before.findIndex((g) => g.deviceIds.includes(d.id));
    const g = at >= 0 ? groups[at] : groups.find((x) => x.name === d.name);
    if (free(g)) g.deviceIds.push(d.id);
    else left.push(d);
  }
  for (const d of left) groups.find(free)?.deviceIds.push(d.id);
}

function shuffle<T>(items: T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = randomInt(0, i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
