/**
 * The ink of one lesson as the teacher works through it: the page on screen
 * (an InkPage with its own undo history), a small cache of pages visited,
 * the outbox to the hub, and ink other screens of the class write.
 *
 * Kept out of Pinia on purpose: strokes hold thousands of numbers and change
 * 60 times a second; the store only mirrors a few flags from here.
 */
import { InkHistory, InkOpSchema, InkPage, type InkOp } from '../../../common/ink.ts';
import type { EventPayload } from '../../../common/protocol.ts';
import type { Api } from '../transport/api.ts';
import { loadInkPage } from './reader.ts';
import { InkSync, type InkSyncOptions, type InkTransport } from './sync.ts';

export interface InkEntry {
  itemId: string;
  page: number;
  ink: InkPage;
  history: InkHistory;
  /** True while `ink.page` is loading: ops from other screens are in its answer. */
  loading: boolean;
  /** Loaded from the hub at least once (false when opened offline). */
  loaded: boolean;
}

/** What changed, for the ink layer: a stroke grew or ended, or anything else (redraw all). */
export type InkChange = { kind: 'stroke'; id: string } | { kind: 'all' };

const CACHE_PAGES = 24;
const key = (itemId: string, page: number): string => `${itemId}#${page}`;

export function apiTransport(api: Api): InkTransport {
  return {
    append: (itemId, page, ops) => api.call('ink.append', { itemId, page, ops }),
    pageOps: async (itemId, page) => (await api.call('ink.page', { itemId, page })).ops,
    online: () => api.status().state === 'connected',
  };
}

export class InkBook {
  readonly sync: InkSync;
  private readonly cache = new Map<string, InkEntry>();
  private entry: InkEntry | null = null;
  private openSeq = 0;
  /** Notified on every change of the page on screen. */
  onChange: ((change: InkChange) => void) | null = null;
  /** Notified when undo/redo availability or the entry changes. */
  onState: (() => void) | null = null;

  private readonly transport: InkTransport;

  constructor(transport: InkTransport, syncOptions: InkSyncOptions = {}) {
    this.transport = transport;
    this.sync = new InkSync(transport, syncOptions);
  }

  get current(): InkEntry | null {
    return this.entry;
  }

  /**
   * Show a page's ink: at once from the cache when we have it, then fresh
   * from the hub (after our own queued ops for it are saved, so nothing is
   * counted twice).
   */
  async open(itemId: string, page: number): Promise<InkEntry> {
    const seq = ++this.openSeq;
    const k = key(itemId, page);
    let entry = this.cache.get(k);
    if (!entry) {
      entry = { itemId, page, ink: new InkPage(), history: new InkHistory(), loading: true, loaded: false };
      // Unsent ink of ours (kept from before a reload): shown even while the hub is away.
      for (const op of this.sync.pendingFor(itemId, page)) entry.ink.apply(op);
      this.cache.set(k, entry);
    } else {
      // Most recently used last.
      this.cache.delete(k);
      this.cache.set(k, entry);
    }
    this.trimCache();
    this.entry = entry;
    this.onChange?.({ kind: 'all' });
    this.onState?.();
    await this.refresh(entry, seq);
    return entry;
  }

  /** Load `entry` from the hub unless ops for it are still waiting to be saved. */
  async refresh(entry: InkEntry, seq = this.openSeq): Promise<void> {
    await this.sync.drain(2_000);
    if (seq !== this.openSeq || this.entry !== entry) return;
    if (this.sync.hasPendingFor(entry.itemId, entry.page)) {
      entry.loading = false;
      return; // offline with unsaved ink: what we show is newer than the hub's copy
    }
    entry.loading = true;
    const release = this.sync.hold(); // ops written meanwhile stay queued, and are applied over the answer below
    try {
      // On top: anything written on this page while the answer was on its way.
      const fresh = await loadInkPage(
        () => this.transport.pageOps(entry.itemId, entry.page),
        () => this.sync.pendingFor(entry.itemId, entry.page),
      );
      if (seq !== this.openSeq) return;
      entry.ink = fresh;
      entry.loaded = true;
    } catch {
      // Offline: keep what we have; the page reloads when the link is back.
    } finally {
      release();
      entry.loading = false;
      if (this.entry === entry) {
        this.onChange?.({ kind: 'all' });
        this.onState?.();
      }
    }
  }

  /** Apply an op written here: on screen now, into the undo history, onto the outbox. */
  write(op: InkOp, opts: { record?: boolean } = {}): InkOp | null {
    const e = this.entry;
    if (!e) return null;
    const inverse = e.ink.apply(op);
    if (!inverse) return null;
    if (opts.record !== false) e.history.record(op, inverse);
    this.sync.push(e.itemId, e.page, op);
    this.onChange?.(op.t === 'begin' || op.t === 'pts' || op.t === 'end' ? { kind: 'stroke', id: op.id } : { kind: 'all' });
    if (op.t !== 'begin' && op.t !== 'pts') this.onState?.();
    return inverse;
  }

  undo(): boolean {
    return this.step('undo');
  }

  redo(): boolean {
    return this.step('redo');
  }

  private step(which: 'undo' | 'redo'): boolean {
    const e = this.entry;
    if (!e) return false;
    const op = which === 'undo' ? e.history.undo(e.ink) : e.history.redo(e.ink);
    if (!op) return false;
    this.sync.push(e.itemId, e.page, op);
    this.onChange?.({ kind: 'all' });
    this.onState?.();
    return true;
  }

  /** 清屏: one undoable step. */
  clear(): boolean {
    return !!this.entry?.ink.size && this.write({ t: 'clear' }) !== null;
  }

  /** Ink another screen wrote (`ink.ops`). */
  receive(payload: EventPayload<'ink.ops'>): void {
    const k = key(payload.itemId, payload.page);
    const entry = this.cache.get(k);
    if (!entry) return;
    if (entry.loading) return; // the page's answer already holds these
    if (entry !== this.entry) {
      // Not on screen: forget it, it reloads when shown again (unless unsaved ink of ours is on it).
      if (!this.sync.hasPendingFor(entry.itemId, entry.page)) this.cache.delete(k);
      return;
    }
    let all = false;
    const strokes = new Set<string>();
    for (const raw of payload.ops) {
      const parsed = InkOpSchema.safeParse(raw);
      if (!parsed.success) continue;
      const op = parsed.data;
      if (!entry.ink.apply(op)) continue;
      if (op.t === 'begin' || op.t === 'pts' || op.t === 'end') strokes.add(op.id);
      else all = true;
    }
    if (all) this.onChange?.({ kind: 'all' });
    else for (const id of strokes) this.onChange?.({ kind: 'stroke', id });
  }

  /** After a reconnect: reload the page on screen (other screens may have written meanwhile). */
  reconnected(): void {
    for (const [k, e] of this.cache) if (e !== this.entry && !this.sync.hasPendingFor(e.itemId, e.page)) this.cache.delete(k);
    if (this.entry) void this.refresh(this.entry);
  }

  private trimCache(): void {
    for (const [k, e] of this.cache) {
      if (this.cache.size <= CACHE_PAGES) break;
      if (e === this.entry || this.sync.hasPendingFor(e.itemId, e.page)) continue;
      this.cache.delete(k);
    }
  }
}
