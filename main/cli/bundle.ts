/**
 * `npm run bundle -- <command>`: sneakernet from a terminal (docs/security.md).
 *
 *   export --to DIR --login L        pending uploads → a signed bundle folder in DIR (a USB drive)
 *   export-lessons --to DIR --lesson ID… --login L   lessons with their files, for another classroom
 *   import DIR                       lesson packages from a bundle into this classroom's library
 *   key                              this classroom's public signing key (give it to the platform)
 *   trust --name N --key BASE64      trust bundles signed by that key
 *   platform-import DIR --classroom ID [--platform-data D] [--pg URL]   platform side: apply an upload bundle
 *   platform-key BASE64              the platform's bundle encryption key, for a classroom that never synced
 *
 * Exports need a teacher's sign-in (password prompted, or one line on stdin
 * with --password-stdin): online through the configured platform, else the
 * offline credential on this PC. Every export and import is audited.
 * Exit codes: 0 done, 1 refused (bad bundle, wrong password, nothing to do), 2 bad usage or setup.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultKeyProvider, loadSecrets, prepareDataDir } from '../app.ts';
import { exportLessonBundle, exportUploadBundle } from '../bundle/export.ts';
import { BundleError } from '../base/bundle-format.ts';
import { importLessonBundle } from '../bundle/import.ts';
import { loadOrCreateSigner, trustedSigners, trustSigner } from '../base/crypto/signing.ts';
import { ContentCache } from '../courseware/cache.ts';
import { AuditLog } from '../store/audit.ts';
import { openSecurityDb } from '../store/security-db.ts';
import { SignInError, TeacherIdentity } from '../identity/identity.ts';
import { silentLogger } from '../base/log.ts';
import { StoreError } from '../store/database.ts';
import { Store } from '../store/store.ts';
import { SyncRepo } from '../store/sync.ts';
import { SyncEngine } from '../sync/engine.ts';
import { defaultDataDir } from '../base/paths.ts';
import { readPassword } from './password.ts';

const USAGE = `Usage: npm run bundle -- <command> [options]
  export --to DIR --login LOGIN [--password-stdin]     pending uploads to a signed bundle in DIR
  export-lessons --to DIR --lesson ID [--lesson ID…] --login LOGIN [--password-stdin]
  import DIR                                           lesson packages from a bundle
  key                                                  print this classroom's public signing key
  trust --name NAME --key BASE64                       trust bundles signed by that key
  platform-import DIR --classroom ID [--platform-data DIR] [--pg URL]
  platform-key BASE64                                  the platform's key (npm run platform -- key) to encrypt bundles for
Common: --data DIR (default ${defaultDataDir()})`;

class Usage extends Error {}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      data: { type: 'string' },
      to: { type: 'string' },
      login: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      lesson: { type: 'string', multiple: true },
      name: { type: 'string' },
      key: { type: 'string' },
      classroom: { type: 'string' },
      'platform-data': { type: 'string' },
      pg: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, arg] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const dataDir = prepareDataDir(values.data ?? defaultDataDir());

  if (command === 'key') {
    const keyStore = new Store(path.join(dataDir, 'ketang.db'), { keys: defaultKeyProvider(dataDir) });
    let s;
    try {
      s = loadOrCreateSigner(dataDir, keyStore.dataKeys?.filesKey);
    } finally {
      keyStore.close();
    }
    console.log(`Signing key ${s.keyId} of this classroom (give the line below to the platform's admin):`);
    console.log(s.publicKey);
    return 0;
  }
  if (command === 'trust') {
    if (!values.name || !values.key) throw new Usage('trust needs --name and --key');
    const t = trustSigner(dataDir, values.name, values.key);
    console.log(`Bundles signed by "${t.name}" are now accepted.`);
    return 0;
  }
  if (command === 'platform-import') {
    if (!arg || !values.classroom) throw new Usage('platform-import needs the bundle folder and --classroom');
    // Loaded only here: the platform's modules are not needed on a classroom PC.
    const { openPlatformStore } = await import('../platform/index.ts');
    const { importUploadBundle } = await import('../platform/bundle-import.ts');
    const platformDir = values['platform-data'] ?? dataDir;
    const platform = openPlatformStore(platformDir, values.pg ?? null);
    try {
      await platform.migrate();
      const { loadRecipient } = await import('../base/crypto/bundle-keys.ts');
      const r = await importUploadBundle({ dir: path.resolve(arg), trusted: trustedSigners(dataDir), platform, filesDir: path.join(platformDir, 'platform-files'), classroomId: values.classroom, recipient: loadRecipient(platformDir) });
      console.log(`Applied ${r.applied} records (${r.duplicates} were already on the platform) and ${r.files} files from ${values.classroom}.`);
      return 0;
    } finally {
      await platform.close();
    }
  }

  const store = new Store(path.join(dataDir, 'ketang.db'), { keys: defaultKeyProvider(dataDir) });
  if (command === 'platform-key') {
    try {
      if (!arg) throw new Usage('platform-key needs the key (the base64 line "npm run platform -- key" prints)');
      const { savePlatformKey } = await import('../base/crypto/bundle-keys.ts');
      const { key } = savePlatformKey(new SyncRepo(store.db), arg);
      console.log(`Upload bundles are now encrypted for the platform key ${key.keyId}.`);
      return 0;
    } finally {
      store.close();
    }
  }
  const security = openSecurityDb(dataDir);
  const audit = new AuditLog(security);
  const engine = new SyncEngine({ store, cache: new ContentCache(path.join(dataDir, 'courseware')), dataDir, log: silentLogger, isClassLive: () => false });
  try {
    const cache = new ContentCache(path.join(dataDir, 'courseware'));
    switch (command) {
      case 'import': {
        if (!arg) throw new Usage('import needs the bundle folder');
        try {
          const r = await importLessonBundle({ dir: path.resolve(arg), trusted: trustedSigners(dataDir), store, cache, securityDb: security });
          audit.record('bundle.import', 'ok', null, { dir: arg, ...r });
          console.log(r.again ? `This bundle was imported before; nothing changed (${r.lessons} lessons from ${r.signer}).` : `Imported ${r.lessons} lessons from ${r.signer} (${r.filesAdded} new files, ${r.filesPresent} already here).`);
          return 0;
        } catch (err) {
          audit.record('bundle.import', 'refused', null, { dir: arg, code: (err as BundleError).code ?? null, error: (err as Error).message });
          throw err;
        }
      }
      case 'export':
      case 'export-lessons': {
        if (!values.to) throw new Usage(`${command} needs --to DIR`);
        if (!values.login) throw new Usage(`${command} needs a teacher's sign-in: --login LOGIN (the password is asked for)`);
        const identity = new TeacherIdentity({ db: security, audit, platform: () => engine });
        const password = await readPassword(`Password for ${values.login}: `, values['password-stdin'] ?? false);
        const session = await identity.signIn(values.login, password);
        const teacher = identity.requireTeacher(session.token, 'bundle.export');
        const signer = loadOrCreateSigner(dataDir, store.dataKeys?.filesKey);
        const hubId = loadSecrets(dataDir).hubId;
        const toDir = path.resolve(values.to);
        try {
          const r =
            command === 'export'
              ? await exportUploadBundle({ store, repo: engine.repo, signer, toDir, hubId })
              : await exportLessonBundle({ store, cache, lessonIds: values.lesson ?? [], signer, toDir, hubId });
          audit.record('bundle.export', 'ok', teacher.login, { kind: r.manifest.kind, dir: r.dir, id: r.manifest.id, records: r.records, files: r.files, bytes: r.bytes });
          const sealed = r.manifest.encryption ? `, encrypted for the platform key ${r.manifest.encryption.recipientKeyId}` : '';
          console.log(`Wrote ${r.dir}: ${r.records} records, ${r.files} files, ${r.bytes} bytes, signed by ${signer.keyId}${sealed}.`);
          if (command === 'export') console.log('The records stay queued here until the platform acknowledges them.');
          return 0;
        } catch (err) {
          audit.record('bundle.export', 'failed', teacher.login, { dir: toDir, error: (err as Error).message });
          throw err;
        }
      }
      default:
        throw new Usage(`unknown command "${command}"`);
    }
  } finally {
    store.close();
    security.close();
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof Usage || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    console.error(`Ketang bundle: ${(err as Error).message}\n${USAGE}`);
    process.exitCode = 2;
  } else if (err instanceof BundleError || err instanceof SignInError) {
    console.error(`Ketang bundle: ${err.message}`);
    process.exitCode = 1;
  } else {
    console.error(`Ketang bundle: ${err instanceof StoreError ? err.message : (err as Error).message}`);
    process.exitCode = 2;
  }
}
