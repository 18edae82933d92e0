/**
 * The sync engine: runs upload and download passes when the rules allow
 * (configured, not paused, inside a time window, no live class unless
 * allowed), retries failures with exponential backoff and jitter on a
 * monotonic clock, applies retention after acknowledgement, and keeps a
 * status a teacher can read.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ContentCache } from '../courseware/cache.ts';
import type { Logger } from '../base/log.ts';
import type { Store } from '../store/store.ts';
import { SyncRepo } from '../store/sync.ts';
import { platformKey, savePlatformKey } from '../base/crypto/bundle-keys.ts';
import { setVouchedSigners } from '../base/crypto/signing.ts';
import { HttpPlatformAdapter, SyncError, type PlatformAdapter, type SyncErrorCode } from './adapter.ts';
import { Downloader } from './download.ts';
import { blockedReason, DEFAULT_CONFIG, kbpsToBytes, SyncConfig, type Blocked } from './policy.ts';
import { ByteBucket, realClock, type Clock } from './throttle.ts';
import { Uploader, type UploadLimits } from './upload.ts';
import type { SyncStatus } from '../../common/contract/sync.ts';
import { checkPlatformUrl } from './link.ts';
import { FieldCipher } from '../base/crypto/cipher.ts';

const CONFIG_KEY = 'sync.config';
/** Where the platform key is sealed (its associated data: a sealed value cannot be moved to another field). */
const TOKEN_WHERE = 'meta.sync.token';
const STATE_KEY = 'sync.state';

/** What the engine reports is what the console receives: the contract's shape (common/contract/sync.ts), one definition. */
export type { SyncStatus };

interface PersistedState {
  lastSuccessAt: string | null;
  lastDownloadAt: string | null;
  lastError: SyncStatus['lastError'];
}

export interface SyncEngineOptions {
  store: Store;
  cache: ContentCache;
  dataDir: string;
  log: Logger;
  /** Whether a class is in progress on this PC. */
  isClassLive: () => boolean;
  /** Retention removed acknowledged records or local copies of uploaded files (the app audits it). */
  onRetention?: (r: { records: number; files: number; olderThan: string; days: number }) => void;
  /** Tests give a fake platform adapter; otherwise an HTTP one is made from the config. */
  adapter?: PlatformAdapter;
  clock?: Clock;
  /** Wall clock for windows and record times (tests skew it). */
  now?: () => Date;
  random?: () => number;
  limits?: Partial<UploadLimits>;
  /** Backoff: first delay and ceiling in ms. */
  backoff?: { baseMs: number; maxMs: number };
  /** How often the loop looks for new work when idle. */
  idleMs?: number;
  /** Told after every pass (the audit log records sync runs from it). */
  onPass?: (r: { ok: true; uploaded: { events: number; outbox: number; files: number }; downloaded: boolean } | { ok: false; code: SyncErrorCode; message: string }) => void;
}

export class SyncEngine {
  readonly repo: SyncRepo;
  private readonly o: SyncEngineOptions;
  private readonly clock: Clock;
  private readonly now: () => Date;
  private readonly up: ByteBucket;
  private readonly down: ByteBucket;
  private cfg: SyncConfig;
  private state: PersistedState;
  private adapter: PlatformAdapter | null = null;
  private running: Promise<void> | null = null;
  private failures = 0;
  private retryAt: number | null = null;
  private loopTimer: NodeJS.Timeout | null = null;
  private stopped = true;
  private wake: (() => void) | null = null;
  private readonly listeners = new Set<(s: SyncStatus) => void>();

  constructor(o: SyncEngineOptions) {
    this.o = o;
    this.repo = SyncRepo.of(o.store);
    this.clock = o.clock ?? realClock;
    this.now = o.now ?? (() => new Date());
    this.cfg = this.loadConfig();
    this.state = this.loadState();
    this.up = new ByteBucket(kbpsToBytes(this.cfg.upKbps), this.clock);
    this.down = new ByteBucket(kbpsToBytes(this.cfg.downKbps), this.clock);
  }

  // ---------------------------------------------------------------- config

  private loadConfig(): SyncConfig {
    const raw = this.repo.getMeta(CONFIG_KEY);
    if (!raw) return DEFAULT_CONFIG;
    const r = SyncConfig.safeParse(JSON.parse(raw));
    if (r.success && r.data.token) {
      // The classroom's platform key is sealed with the data key; one an earlier build kept in clear is sealed now.
      const stored = r.data.token;
      const cfg = { ...r.data, token: this.o.store.openText(TOKEN_WHERE, stored) };
      if (!FieldCipher.isSealed(stored) && this.o.store.dataKeys) this.saveConfig(cfg);
      return cfg;
    }
    if (r.success) return r.data;
    this.o.log.warn('sync: stored settings are invalid; using defaults until they are saved again', { error: r.error.message });
    return DEFAULT_CONFIG;
  }

  private saveConfig(cfg: SyncConfig): void {
    this.repo.setMeta(CONFIG_KEY, JSON.stringify({ ...cfg, token: cfg.token ? this.o.store.sealText(TOKEN_WHERE, cfg.token) : null }));
  }

  private loadState(): PersistedState {
    try {
      const raw = this.repo.getMeta(STATE_KEY);
      if (raw) return JSON.parse(raw) as PersistedState;
    } catch {
      // a damaged status line is not worth failing for
    }
    return { lastSuccessAt: null, lastDownloadAt: null, lastError: null };
  }

  private saveState(): void {
    this.repo.setMeta(STATE_KEY, JSON.stringify(this.state));
    this.notify();
  }

  /** Tell listeners the status may have changed (they compare; the teacher console gets `sync.changed`). */
  private notify(): void {
    if (this.listeners.size === 0) return;
    const s = this.status();
    for (const l of this.listeners) {
      try {
        l(s);
      } catch (err) {
        this.o.log.error('sync: a status listener failed', { error: (err as Error).stack ?? String(err) });
      }
    }
  }

  get config(): SyncConfig {
    return this.cfg;
  }

  /** Change settings (validated, persisted); takes effect at once. */
  configure(patch: Partial<SyncConfig>): SyncConfig {
    const next = SyncConfig.parse({ ...this.cfg, ...patch });
    // Refused before anything is stored: pupils' data goes only over HTTPS (link.ts).
    if (next.platformUrl && next.platformUrl !== this.cfg.platformUrl) checkPlatformUrl(next.platformUrl);
    this.saveConfig(next);
    if (next.platformUrl !== this.cfg.platformUrl || next.token !== this.cfg.token) this.dropAdapter();
    this.cfg = next;
    this.up.setRate(kbpsToBytes(next.upKbps));
    this.down.setRate(kbpsToBytes(next.downKbps));
    this.failures = 0;
    this.retryAt = null;
    this.kick();
    this.saveState();
    return next;
  }

  pause(): void {
    this.configure({ paused: true });
  }

  resume(): void {
    this.configure({ paused: false });
  }

  onStatus(fn: (s: SyncStatus) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private dropAdapter(): void {
    if (this.adapter instanceof HttpPlatformAdapter) this.adapter.close();
    this.adapter = null;
  }

  private getAdapter(): PlatformAdapter {
    if (this.o.adapter) return this.o.adapter;
    if (!this.adapter) {
      if (!this.cfg.platformUrl || !this.cfg.token) throw new SyncError('LOCAL', 'Sync is not set up: no platform address or classroom key', { retryable: false });
      this.adapter = new HttpPlatformAdapter({ baseUrl: this.cfg.platformUrl, token: this.cfg.token, up: this.up, down: this.down });
    }
    return this.adapter;
  }

  /**
   * Sign a teacher in against the platform (online). It is also when a
   * classroom whose sync never ran (a class was always on, or it is paused)
   * receives the platform's key for USB bundles.
   */
  async signInTeacher(login: string, password: string): ReturnType<PlatformAdapter['signInTeacher']> {
    const adapter = this.getAdapter();
    const reply = await adapter.signInTeacher(login, password);
    if (!platformKey(this.repo)) await this.refreshPlatformKeys(adapter);
    return reply;
  }

  // ---------------------------------------------------------------- status

  blocked(): Blocked | null {
    const b = blockedReason(this.cfg, this.now(), this.o.isClassLive());
    // An injected adapter (tests) needs no URL or token.
    return b === 'not-configured' && this.o.adapter ? null : b;
  }

  status(): SyncStatus {
    const pending = this.repo.pending();
    const { token, ...cfg } = this.cfg;
    return {
      configured: Boolean(this.o.adapter || (this.cfg.platformUrl && this.cfg.token)),
      platformUrl: this.cfg.platformUrl,
      paused: this.cfg.paused,
      blocked: this.blocked(),
      running: this.running !== null,
      pending: { events: pending.events, outbox: pending.outbox, files: pending.files, totalBytes: pending.eventBytes + pending.outboxBytes + pending.fileBytes },
      lastSuccessAt: this.state.lastSuccessAt,
      lastDownloadAt: this.state.lastDownloadAt,
      lastError: this.state.lastError,
      retryInMs: this.retryAt === null ? null : Math.max(0, this.retryAt - this.clock.ms()),
      config: { upKbps: cfg.upKbps, downKbps: cfg.downKbps, windows: cfg.windows, allowDuringClass: cfg.allowDuringClass, retentionDays: cfg.retentionDays, hasToken: token !== null },
    };
  }

  // ------------------------------------------------------------------ runs

  /**
   * One pass: upload everything pending, then download if due. Resolves
   * with what happened; never throws (errors go into the status).
   * Concurrent calls share the pass in progress.
   */
  syncOnce(opts: { download?: boolean } = {}): Promise<void> {
    if (this.running) return this.running;
    if (this.blocked()) {
      // Nothing to run; a window that closed or a class that started shows up here on the loop's next turn.
      this.notify();
      return Promise.resolve();
    }
    this.running = this.pass(opts).finally(() => {
      this.running = null;
      this.notify();
    });
    this.notify();
    return this.running;
  }

  private async pass(opts: { download?: boolean }): Promise<void> {
    const blocked = this.blocked();
    if (blocked) return;
    const shouldStop = (): boolean => this.blocked() !== null;
    try {
      const adapter = this.getAdapter();
      const nowIso = (): string => this.now().toISOString();
      const up = new Uploader({ repo: this.repo, adapter, log: this.o.log, limits: this.o.limits, shouldStop, nowIso, filesKey: this.o.store.dataKeys?.filesKey ?? null });
      const done = await up.uploadAll();
      if (done.events || done.outbox || done.files) this.o.log.info('sync: uploaded', { ...done });
      const due = opts.download ?? this.downloadDue();
      let downloaded = false;
      if (due && !shouldStop()) {
        const dl = new Downloader({ store: this.o.store, cache: this.o.cache, adapter, log: this.o.log, partialDir: path.join(this.o.dataDir, 'sync-partial'), shouldStop, nowIso });
        const got = await dl.downloadAll();
        this.state.lastDownloadAt = nowIso();
        downloaded = true;
        this.o.log.info('sync: downloaded', { ...got });
      }
      if ((due || !platformKey(this.repo)) && !shouldStop()) await this.refreshPlatformKeys(adapter);
      this.applyRetention();
      this.failures = 0;
      this.retryAt = null;
      this.state.lastSuccessAt = nowIso();
      this.state.lastError = null;
      this.o.onPass?.({ ok: true, uploaded: { events: done.events, outbox: done.outbox, files: done.files }, downloaded });
    } catch (err) {
      const e = err instanceof SyncError ? err : new SyncError('LOCAL', (err as Error).message, { cause: err });
      this.failures++;
      const delay = this.backoffMs(this.failures);
      this.retryAt = this.clock.ms() + delay;
      this.state.lastError = { code: e.code, message: e.message, at: this.now().toISOString() };
      this.o.log.warn('sync: pass failed; will retry', { code: e.code, message: e.message, retryInMs: Math.round(delay), failures: this.failures });
      this.o.onPass?.({ ok: false, code: e.code, message: e.message });
    } finally {
      this.saveState();
    }
  }

  /**
   * Keep the platform's bundle encryption key (USB upload bundles are
   * encrypted for it) and the lesson-bundle signers it vouches for (USB
   * lesson packages from them are trusted). Received with the first sync
   * after provisioning and checked with each download; a platform without
   * them, or a failure here, only means bundles wait — the pass itself is
   * not failed for it.
   */
  private async refreshPlatformKeys(adapter: PlatformAdapter): Promise<void> {
    if (!adapter.keys) return;
    try {
      const keys = await adapter.keys();
      if (!keys) return;
      if (keys.bundleKey) {
        const { key, changed } = savePlatformKey(this.repo, keys.bundleKey.publicKey);
        if (changed) this.o.log.info('sync: kept the platform\'s bundle encryption key', { keyId: key.keyId });
      }
      const signers = setVouchedSigners(this.o.dataDir, keys.signers);
      if (signers.added.length || signers.removed.length) this.o.log.info('sync: lesson-bundle signers vouched for by the platform changed', { added: signers.added, removed: signers.removed });
      if (signers.invalid.length) this.o.log.warn('sync: the platform vouched for signers whose keys are not Ed25519 public keys; skipped', { names: signers.invalid });
    } catch (err) {
      this.o.log.warn('sync: could not get the platform\'s keys; USB bundles wait for them', { error: (err as Error).message });
    }
  }

  private downloadDue(): boolean {
    const last = this.state.lastDownloadAt ? Date.parse(this.state.lastDownloadAt) : NaN;
    const age = this.now().getTime() - last;
    // A clock set back (age < 0) or an unreadable date counts as due: better one fetch too many than none for weeks.
    return !(age >= 0 && age < this.cfg.downloadEveryHours * 3_600_000);
  }

  /** Exponential backoff with full jitter in [delay/2, delay]: classrooms that lost the link together do not return together. */
  backoffMs(failures: number): number {
    const { baseMs, maxMs } = this.o.backoff ?? { baseMs: 2_000, maxMs: 15 * 60_000 };
    const delay = Math.min(maxMs, baseMs * 2 ** Math.min(30, failures - 1));
    return delay / 2 + (this.o.random ?? Math.random)() * (delay / 2);
  }

  /** After acknowledgement only: drop old acked outbox rows and, if configured, the local copies of uploaded files. */
  private applyRetention(): void {
    const days = this.cfg.retentionDays;
    if (days === null) return;
    const before = new Date(this.now().getTime() - days * 86_400_000).toISOString();
    const purged = this.repo.purgeAckedOutbox(before);
    let files = 0;
    for (const f of this.repo.filesPastRetention(before)) {
      fs.rmSync(f.path, { force: true });
      this.repo.markFileRemoved(f.sha256, this.now().toISOString());
      files++;
    }
    if (purged || files) {
      this.o.log.info('sync: retention removed acknowledged records and files', { purged, files, olderThan: before });
      this.o.onRetention?.({ records: purged, files, olderThan: before, days });
    }
  }

  /** Run passes in the background until stop(): when there is work, after a failure's backoff, and every idle period. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const loop = async (): Promise<void> => {
      while (!this.stopped) {
        const waitRetry = this.retryAt !== null ? this.retryAt - this.clock.ms() : 0;
        if (waitRetry <= 0) await this.syncOnce();
        const wait = this.retryAt !== null ? Math.max(0, this.retryAt - this.clock.ms()) : (this.o.idleMs ?? 30_000);
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          // unref: a waiting sync loop never keeps the process alive on its own.
          this.loopTimer = setTimeout(resolve, wait);
          this.loopTimer.unref();
        });
        this.wake = null;
      }
    };
    loop().catch((err: unknown) => this.o.log.error('sync: the background loop stopped', { error: (err as Error).stack ?? String(err) }));
  }

  /** Look for work now (a class ended, the teacher pressed 立即同步, settings changed). */
  kick(): void {
    this.retryAt = null;
    if (this.loopTimer) clearTimeout(this.loopTimer);
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.kick();
    await this.running;
    this.dropAdapter();
  }
}
