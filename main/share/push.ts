/**
 * Sending content to devices (资源下发): a push is a small record (file hash,
 * page, or link) sent to its audience at once; the bytes follow over HTTP
 * (transfers.ts). Pushes are recorded in the class event log (`share.push`,
 * `share.recall`) and rebuilt from it after a hub restart.
 */
import { KetangError } from '../../common/protocol.ts';
import type { Push, ShareAudience } from '../../common/contract/share.ts';
import { newId } from '../store/store.ts';
import type { Connection, HandlerMap, ServiceContext } from '../classroom/context.ts';
import { audienceDevices, audienceHas } from './audience.ts';
import type { TransfersPart } from './transfers.ts';

export type PushList = ReturnType<typeof pushList>;

/** Each session's pushes, oldest first (rebuilt from the event log on first use). */
export function pushList(ctx: ServiceContext) {
  const { store } = ctx;
  /** sessionId → pushes, oldest first. */
  const pushes = new Map<string, Push[]>();

  function pushesOf(sessionId: string): Push[] {
    let list = pushes.get(sessionId);
    if (list) return list;
    list = [];
    let after = 0;
    for (;;) {
      const batch = store.events(sessionId, after, 5_000);
      for (const e of batch) {
        if (e.type === 'share.push') list.push(e.payload as Push);
        else if (e.type === 'share.recall') list = list.filter((p) => p.id !== (e.payload as { pushId: string }).pushId);
      }
      if (batch.length < 5_000) break;
      after = batch[batch.length - 1]!.seq;
    }
    pushes.set(sessionId, list);
    return list;
  }

  return {
    pushesOf,
    onSessionEnd(sessionId: string): void {
      pushes.delete(sessionId);
    },
  };
}

type PushOps = 'share.push' | 'share.recall' | 'share.list';

export function pushPart(ctx: ServiceContext, list: PushList, transfers: TransfersPart): { handlers: HandlerMap<PushOps> } {
  const { store, log } = ctx;
  const { pushesOf } = list;

  function visibleTo(conn: Connection, sessionId: string, p: Push): boolean {
    if (conn.role === 'teacher' || conn.role === 'board') return true;
    return audienceHas(ctx, sessionId, p.audience, conn.deviceId);
  }

  const handlers: HandlerMap<PushOps> = {
    'share.push': (conn, input) => {
      const session = ctx.sessionOf(conn);
      const targets = audienceDevices(ctx, session.id, input.audience as ShareAudience);
      const c = input.content;
      let fields: Pick<Push, 'kind' | 'title' | 'sha256' | 'size' | 'mime' | 'itemKind' | 'page' | 'url'>;
      if (c.kind === 'file') {
        const meta = store.fileMeta(c.sha256);
        if (!meta) throw new KetangError('NOT_FOUND', 'No such file in this classroom');
        fields = { kind: 'file', title: c.title, sha256: c.sha256, size: meta.size, mime: meta.mime, itemKind: null, page: null, url: null };
      } else if (c.kind === 'page') {
        const item = store.lesson(session.lessonId)?.items.find((i) => i.id === c.itemId);
        if (!item) throw new KetangError('NOT_FOUND', 'No such item in the lesson of this class');
        if (item.pages > 0 && c.page >= item.pages) throw new KetangError('INVALID', `Page ${c.page + 1} is past the end (${item.pages} pages)`);
        const meta = item.sha256 ? store.fileMeta(item.sha256) : null;
        fields = { kind: 'page', title: item.title, sha256: item.sha256, size: meta?.size ?? null, mime: meta?.mime ?? null, itemKind: item.kind, page: c.page, url: null };
      } else {
        fields = { kind: 'link', title: c.title, sha256: null, size: null, mime: null, itemKind: null, page: null, url: c.url };
      }
      const push: Push = { id: newId(), ...fields, audience: input.audience as ShareAudience, at: new Date().toISOString() };
      const list = pushesOf(session.id); // loaded before the new event is in the log
      store.appendEvent({ sessionId: session.id, type: 'share.push', payload: push });
      list.push(push);
      if (push.sha256) for (const d of targets) transfers.copy(session.id, push, d);
      log.info('content pushed', { session: session.id, push: push.id, kind: push.kind, devices: targets.length });
      ctx.sendWhere(session.id, (x) => visibleTo(x, session.id, push), 'share.pushed', push);
      return push;
    },

    'share.recall': (conn, input) => {
      const session = ctx.sessionOf(conn);
      const list = pushesOf(session.id);
      const i = list.findIndex((p) => p.id === input.pushId);
      if (i < 0) throw new KetangError('NOT_FOUND', 'No such push in this class');
      const [push] = list.splice(i, 1);
      store.appendEvent({ sessionId: session.id, type: 'share.recall', payload: { pushId: push!.id } });
      transfers.forget(session.id, push!.id);
      ctx.sendWhere(session.id, (x) => visibleTo(x, session.id, push!), 'share.recalled', { pushId: push!.id });
      return { done: true as const };
    },

    'share.list': (conn) => {
      const session = ctx.sessionOf(conn);
      return pushesOf(session.id).filter((p) => visibleTo(conn, session.id, p));
    },
  };
  return { handlers };
}
