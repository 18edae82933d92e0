/**
 * The app's composition, without Electron: store + classroom service + hub.
 * Used by the Electron main process (main/index.ts), by browser mode
 * (`npm start` without the Electron binary) and by the headless hub
 * (`npm run hub`), so every mode runs exactly the same services.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ContentCache } from './courseware/cache.ts';
import { createClassroom, type Classroom } from './features.ts';
import type { GuessLimits } from './classroom/guesses.ts';
import { answerPhotoTarget, sealLegacyAnswerPhotos, type PhotoQuota } from './interaction/answer-photo.ts';
import { CoursewareService } from './courseware/courseware.ts';
import { consoleLogger, type Logger } from './base/log.ts';
import { FileLog, teeLogger } from './base/log-file.ts';
import { hubTls, schoolTls } from './hub/tls.ts';
import { MediaEngine } from './media/engine.ts';
import { seedSample } from './classroom/sample.ts';
import { startHub, type Hub } from './hub/server.ts';
import { WalFlusher } from './store/wal-flush.ts';
import { Store } from './store/store.ts';
import { SyncEngine } from './sync/engine.ts';
import { AuditLog } from './store/audit.ts';
import { openSecurityDb } from './store/security-db.ts';
import { PersonalFiles } from './base/crypto/sealed-files.ts';
import { SealedContentStore } from './base/crypto/sealed-store.ts';
import { TeacherIdentity } from './identity/identity.ts';
import type { SecurityDeps } from './identity/signin.ts';
import { KEY_FILE, KeyFileProvider, type KeyProvider } from './base/crypto/keys.ts';
import { OWNER_DIR, tightenTree } from './base/owner-only.ts';
import { locationFile } from './base/paths.ts';
import { SECURITY_DB_FILE } from './store/security-db.ts';
import { checkDataDir, type VolumeProbe } from './storage/marker.ts';
import type { StorageDeps } from './storage/storage.ts';
import type { Db } from './store/database.ts';
import type { StorageStatus } from '../common/contract/storage.ts';

export interface KetangOptions {
  /** Folder for the database and the hub's keys; created if missing. */
  dataDir: string;
  host: string;
  port: number;
  /** Built web client (dist/renderer) the hub serves to devices. */
  webRoot?: string;
  /** resources/ folder; its sample school seeds an empty database. */
  resourcesDir?: string;
  log?: Logger;
  /**
   * HTTPS for the hub: 'generate' (its own CA and certificate, kept in the data folder: main/hub/tls.ts),
   * a school's certificate and key files, or plain HTTP (null, the default).
   */
  https?: 'generate' | { certFile: string; keyFile: string } | null;
  /** Limits on wrong join codes per source address (main/classroom/guesses.ts); the defaults otherwise. */
  guessLimits?: Partial<GuessLimits>;
  /**
   * Wraps the database's data key (encryption at rest, docs/security.md).
   * The desktop app passes the OS key store (main/electron/key-store.ts);
   * by default an owner-only key file, `<data>/data-key.key` or KETANG_KEY_FILE.
   */
  keys?: KeyProvider;
  /** Answer photos per device and per class (main/interaction/answer-photo.ts); PHOTO_QUOTA otherwise. */
  photoQuota?: Partial<PhotoQuota>;
  /** The data folder's setting and run history outside it (main/base/paths.ts); locationFile() by default. */
  locationFile?: string;
  /** Asks whether the data folder's volume resets at reboot (main/storage/marker.ts); the OS by default. */
  volumeProbe?: VolumeProbe;
  /** The console moved the data (storage.move): the services are closed by then; start again to use `dataDir`. */
  onDataMoved?: (dataDir: string) => void;
}

export interface Ketang {
  readonly store: Store;
  readonly classroom: Classroom;
  /** Courseware files by content hash. */
  readonly cache: ContentCache;
  readonly courseware: CoursewareService;
  readonly hub: Hub;
  /** Sync with the school/district platform; set up from the teacher console (sync.configure). */
  readonly sync: SyncEngine;
  /** SFU (mediasoup worker found) or P2P; logged at start. */
  readonly media: MediaEngine;
  readonly dataDir: string;
  readonly secrets: HubSecrets;
  /** Sign-ins, exports, imports, sync runs, key events (security.db). */
  readonly audit: AuditLog;
  /** Teachers' online/offline sign-in; guards exports. */
  readonly identity: TeacherIdentity;
  /** Recordings and other personal files, sealed under the data key. */
  readonly personalFiles: PersonalFiles;
  /** Teacher console and board view in a browser, with their tokens. */
  readonly consoleUrl: string;
  readonly boardUrl: string;
  /** Whether the data folder survives a reboot, as this start found it (restore cards, main/storage/marker.ts). */
  readonly storage: StorageStatus;
  /** Idempotent. */
  close(): Promise<void>;
}

const HubSecrets = z.object({
  hubId: z.string().min(8),
  consoleToken: z.string().min(16),
  boardToken: z.string().min(16),
});
export type HubSecrets = z.infer<typeof HubSecrets>;

export const DATABASE_FILE = 'ketang.db';
const SECRETS_FILE = 'hub-keys.json';

/**
 * Make sure the data folder exists and is writable, or say clearly why not;
 * it and everything in it are made owner-only (0700/0600 on POSIX), also what
 * an earlier build left readable to every local account.
 */
export function prepareDataDir(dir: string): string {
  const abs = path.resolve(dir);
  try {
    fs.mkdirSync(abs, { recursive: true, mode: OWNER_DIR });
    if (!fs.statSync(abs).isDirectory()) throw new Error('it is not a folder');
    tightenTree(abs);
    const probe = path.join(abs, `.write-test-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
  } catch (err) {
    throw new Error(`The data folder ${abs} cannot be used: ${(err as Error).message}`, { cause: err });
  }
  return abs;
}

/** The hub's id and the console/board tokens: created once, kept in the data folder (owner-only). */
export function loadSecrets(dataDir: string): HubSecrets {
  const file = path.join(dataDir, SECRETS_FILE);
  if (fs.existsSync(file)) {
    const parsed = HubSecrets.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    if (parsed.success) return parsed.data;
    throw new Error(`${file} is damaged; move it aside to create new keys (devices will need to join again).`);
  }
  const secrets: HubSecrets = {
    hubId: randomBytes(8).toString('hex'),
    consoleToken: randomBytes(24).toString('base64url'),
    boardToken: randomBytes(24).toString('base64url'),
  };
  fs.writeFileSync(file, JSON.stringify(secrets, null, 1), { mode: 0o600 });
  return secrets;
}

/** The headless hub's and browser mode's key provider. */
export function defaultKeyProvider(dataDir: string, env: NodeJS.ProcessEnv = process.env): KeyProvider {
  return new KeyFileProvider(env.KETANG_KEY_FILE || path.join(dataDir, KEY_FILE));
}

const AUDIT_PRUNE_MS = 24 * 3_600_000;

/** What the storage feature needs (main/storage/): the start's finding, the databases to copy, and closing after a move. */
function storageDeps(o: { status: StorageStatus; location: string; store: Store; securityDb: Db; close: () => Promise<void>; opts: KetangOptions }): StorageDeps {
  return {
    status: o.status,
    location: o.location,
    databases: () => new Map([[DATABASE_FILE, o.store.db], [SECURITY_DB_FILE, o.securityDb]]),
    classRunning: () => o.store.openSessions().length > 0,
    // Nothing more is written to the old place: every service closes, and the entry point starts again on the new one.
    moved: (to) => {
      // Not to the file log: it is in the old place.
      (o.opts.log ?? consoleLogger).info('the data folder was moved; closing so Ketang starts again there', { from: o.status.dataDir, to });
      void o.close().then(() => o.opts.onDataMoved?.(to));
    },
  };
}

export async function startKetang(opts: KetangOptions): Promise<Ketang> {
  const dataDir = prepareDataDir(opts.dataDir);
  // Before anything of this run is written there: is this the folder the last run left, on a volume that keeps it?
  const location = opts.locationFile ?? locationFile();
  const checked = await checkDataDir({ dataDir, location, probe: opts.volumeProbe });
  // Joins, refusals and admin actions with their addresses, kept on disk for six months and more (base/log-file.ts).
  const fileLog = new FileLog(path.join(dataDir, 'logs'));
  const log = teeLogger(opts.log ?? consoleLogger, fileLog);
  if (checked.status.volatile) log.warn('the data folder may not survive a reboot; move it from the console', { reason: checked.status.reason, detail: checked.status.detail, dataDir });
  if (checked.warning) log.warn(checked.warning);
  const secrets = loadSecrets(dataDir);
  const securityDb = openSecurityDb(dataDir);
  const audit = new AuditLog(securityDb, { log });
  audit.prune();
  const pruner = setInterval(() => audit.prune(), AUDIT_PRUNE_MS).unref();
  const keys = opts.keys ?? defaultKeyProvider(dataDir);
  let store: Store;
  try {
    store = new Store(path.join(dataDir, DATABASE_FILE), {
      keys,
      onProtected: (info) => {
        audit.record(info.sealedValues > 0 ? 'key.sealed-existing' : 'key.created', 'ok', null, { holder: keys.description, ...info });
        if (info.sealedValues > 0) log.info('encrypted the personal data an earlier version had stored in clear', info);
      },
    });
  } catch (err) {
    clearInterval(pruner);
    securityDb.close();
    await fileLog.close();
    throw err;
  }
  // A power cut at the board loses at most ~2 s of class records, without an fsync inside each commit (main/store/wal-flush.ts).
  const walFlush = new WalFlusher({ db: store.db, walFile: `${store.file}-wal`, onError: (err) => log.warn('could not sync the database journal to disk; trying again', { error: err.message }) });
  walFlush.start();
  const personalFiles = new PersonalFiles(path.join(dataDir, 'personal'), store.dataKeys!.filesKey);
  const personalCas = new SealedContentStore(path.join(dataDir, 'personal-content'), store.dataKeys!.filesKey);
  personalCas.sweep();
  try {
    if (opts.resourcesDir) {
      const sample = path.join(opts.resourcesDir, 'sample', 'school.json');
      if (fs.existsSync(sample) && seedSample(store, sample)) log.info('loaded the sample school', { file: sample });
    }
    const cache = new ContentCache(path.join(dataDir, 'courseware'));
    // Answer photos of builds before they were sealed: sealed once, their clear copies wiped (never fatal to the start).
    await sealLegacyAnswerPhotos({ store, cache, sealed: personalCas, log }).catch((err: unknown) => log.error('sealing earlier answer photos failed; tried again at the next start', { error: (err as Error).stack ?? String(err) }));
    cache.sweep();
    // Uploads wait while a class is live unless the teacher allows it (bandwidth etiquette).
    let lastSyncError: string | null = null;
    const syncEngine = new SyncEngine({
      store,
      cache,
      dataDir,
      log,
      isClassLive: () => store.openSessions().length > 0,
      // Personal data leaving this PC by the retention policy is on the record, like every export.
      onRetention: (r) => audit.record('retention.purge', 'ok', null, r),
      // Audit the runs that moved data, and the first failure of each kind (not every retry while offline for weeks).
      onPass: (r) => {
        if (r.ok) {
          if (r.uploaded.events || r.uploaded.outbox || r.uploaded.files || r.downloaded || lastSyncError) audit.record('sync.run', 'ok', null, { ...r.uploaded, downloaded: r.downloaded });
          lastSyncError = null;
        } else if (lastSyncError !== r.code) {
          lastSyncError = r.code;
          audit.record('sync.run', 'failed', null, { code: r.code, message: r.message });
        }
      },
    });
    syncEngine.start();
    // Online sign-in goes through the sync engine's platform adapter; without one, sign-in is offline only.
    const identity = new TeacherIdentity({ db: securityDb, audit, platform: () => syncEngine });
    const security: SecurityDeps = { identity, audit, store, repo: syncEngine.repo, dataDir, hubId: secrets.hubId, cache, securityDb };
    // The one late binding: the classroom reports the hub's addresses (hub.info), and the hub is started with the classroom.
    let hub: Hub | null = null;
    let closeApp: (() => Promise<void>) | null = null;
    const storage = storageDeps({ status: checked.status, location, store, securityDb, close: () => closeApp?.() ?? Promise.resolve(), opts });
    const classroom = createClassroom({
      store,
      log,
      secrets,
      hubId: secrets.hubId,
      guessLimits: opts.guessLimits,
      urls: () => hub?.lanUrls() ?? [],
      sync: () => syncEngine,
      security: () => security,
      // Lesson recordings (教学实录), sealed like every personal file.
      recordings: { dir: path.join(dataDir, 'recordings'), filesKey: store.dataKeys!.filesKey },
      storage: () => storage,
    });
    const courseware = new CoursewareService({ store, cache, log });
    const tls = opts.https === 'generate' ? await hubTls(dataDir, secrets.hubId) : opts.https ? schoolTls(opts.https.certFile, opts.https.keyFile) : null;
    if (tls) log.info('the hub speaks HTTPS', { trust: tls.caCert ? 'install /ketang-ca.crt on the tablets once' : "the school's certificate", fingerprint: tls.fingerprint });
    hub = await startHub({
      classroom,
      log,
      tls,
      host: opts.host,
      port: opts.port,
      webRoot: opts.webRoot,
      upload: {
        isTeacherToken: (token) => classroom.isConsoleToken(token),
        mayAddSnapshot: (token, lessonId) => classroom.isBoardToken(token) && classroom.openSession()?.lessonId === lessonId,
        importStream: (lessonId, body, name, o) => courseware.importStream(lessonId, body, name, o),
      },
      // Photos of pupils' written work are personal data: sealed at rest, served decrypted by /files/<sha256>.
      answerPhoto: answerPhotoTarget({ store, cache: personalCas, log, photoQuestionFor: (s, d) => classroom.features.interaction.photoQuestionFor(s, d), quota: opts.photoQuota }),
      recordings: classroom.features.recording.routes ?? undefined,
      files: {
        pathFor: (sha) => cache.get(sha)?.path ?? null,
        sealed: (sha) => personalCas.open(sha),
        // A live member fetches only the live lesson's files, a device only what was sent to it; the console and board fetch any file.
        mayFetch: (token, sha) => classroom.features.live.mayFetchFile(token, sha) ?? classroom.features.share.files.deviceMayFetch(token, sha) ?? classroom.tokenIsValid(token),
        mimeFor: (sha) => store.fileMeta(sha)?.mime ?? null,
        transfers: classroom.features.share.files.transfers,
      },
    });
    const started = hub;
    const media = new MediaEngine({ log });
    classroom.features.live.setMedia(() => media.info, () => media.sfu());
    media.onSessionsLost((liveIds) => classroom.features.live.mediaLost(liveIds));
    // The launcher opens these on this machine: loopback when listening on every interface.
    const local = opts.host === '0.0.0.0' || opts.host === '::' ? `${tls ? 'https' : 'http'}://127.0.0.1:${started.port}` : started.url;
    let closing: Promise<void> | null = null;
    const close = async (): Promise<void> => {
      await classroom.close();
      await media.close();
      await syncEngine.stop();
      await started.close();
      await walFlush.stop();
      store.close();
      clearInterval(pruner);
      securityDb.close();
      await fileLog.close();
    };
    closeApp = () => (closing ??= close());
    return {
      store,
      cache,
      courseware,
      classroom,
      hub: started,
      sync: syncEngine,
      media,
      dataDir,
      secrets,
      audit,
      identity,
      personalFiles,
      // The console also gets the board token, for 投到大屏 to open the board without the console's.
      consoleUrl: `${local}/#/console?token=${secrets.consoleToken}&board=${secrets.boardToken}`,
      boardUrl: `${local}/#/board?token=${secrets.boardToken}`,
      storage: checked.status,
      close: closeApp,
    };
  } catch (err) {
    await walFlush.stop();
    store.close();
    clearInterval(pruner);
    securityDb.close();
    await fileLog.close();
    throw err;
  }
}
