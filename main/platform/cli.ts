/**
 * `npm run platform`: the reference school/district platform, headless.
 *
 *   npm run platform -- [--host 0.0.0.0] [--port 8090] [--data DIR] [--pg postgres://…] [--cert CERT.pem --key KEY.pem]
 *   npm run platform -- provision --classroom ID --school ID [--name NAME] [--data DIR] [--pg URL]
 *   npm run platform -- load FILE.json [--data DIR] [--pg URL]     (a school: classes, lessons, teachers)
 *   npm run platform -- remove-lesson ID --school ID [--data DIR] [--pg URL]   (classrooms drop it, or archive it when written on)
 *   npm run platform -- key [--data DIR]     (the public key classrooms encrypt USB bundles for)
 *   npm run platform -- vouch --name NAME --key BASE64 [--school ID]   (classrooms trust lesson bundles it signs)
 *   npm run platform -- unvouch --key BASE64
 *
 * A process of its own rather than a mode of `npm run hub`: a district
 * server runs no classroom (no socket.io, no join codes, no sample school),
 * scales as several identical processes behind one PostgreSQL, and takes
 * chunks far larger than the hub's 1 MB frames. KETANG_PLATFORM_PG may hold
 * the PostgreSQL URL instead of --pg (it keeps the password off `ps`).
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { consoleLogger } from '../base/log.ts';
import { PackageItem, RosterClass, TimetableLesson } from '../../common/sync-wire.ts';
import { defaultDataDir } from '../base/paths.ts';
import { openPlatformStore, runPlatform } from './index.ts';
import { loadOrCreateRecipient } from '../base/crypto/bundle-keys.ts';
import { signingKeyProblem } from '../base/crypto/signing.ts';

const USAGE = `Usage: npm run platform -- [--host 0.0.0.0] [--port 8090] [--data DIR] [--pg postgres://…] [--cert CERT.pem --tls-key KEY.pem]
       npm run platform -- provision --classroom ID --school ID [--name NAME]
       npm run platform -- load SCHOOL.json
       npm run platform -- remove-lesson LESSON_ID --school ID
       npm run platform -- key        (print the key classrooms encrypt USB bundles for)
       npm run platform -- vouch --name NAME --key BASE64 [--school ID]
                      (classrooms of that school, or of every school, trust USB lesson bundles signed by
                       that key, e.g. the central school's: "npm run bundle -- key" there prints it)
       npm run platform -- unvouch --key BASE64
  --pg     keep records in PostgreSQL (or set KETANG_PLATFORM_PG); default: DIR/platform.db
  --cert, --tls-key   serve HTTPS with this certificate and key (PEM): classrooms refuse plain HTTP off loopback`;

const SchoolFile = z.object({
  school: z.object({ id: z.string() }),
  classes: z.array(RosterClass).default([]),
  // Items as a school file writes them: size, mime, hash and pages may be left out (a whiteboard has none).
  lessons: z
    .array(
      TimetableLesson.extend({
        subject: z.string().default(''),
        items: z.array(PackageItem.extend({ sha256: PackageItem.shape.sha256.default(null), size: z.number().int().nonnegative().default(0), mime: z.string().nullable().default(null), pages: z.number().int().nonnegative().default(0) })).default([]),
      }),
    )
    .default([]),
  teachers: z.array(z.object({ id: z.string(), name: z.string(), login: z.string().optional(), password: z.string().optional() })).default([]),
});

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        host: { type: 'string' }, port: { type: 'string' }, data: { type: 'string' }, pg: { type: 'string' }, cert: { type: 'string' }, 'tls-key': { type: 'string' },
        classroom: { type: 'string' }, school: { type: 'string' }, name: { type: 'string' }, key: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    fail(`${(err as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return void console.log(USAGE);
  const dataDir = values.data ?? `${defaultDataDir()}-platform`;
  const pgUrl = values.pg ?? process.env.KETANG_PLATFORM_PG ?? null;
  fs.mkdirSync(dataDir, { recursive: true });
  const [command, arg] = positionals;

  if (command === 'provision') {
    if (!values.classroom || !values.school) fail(`provision needs --classroom and --school\n${USAGE}`);
    const store = openPlatformStore(dataDir, pgUrl);
    await store.migrate();
    const token = await store.provisionClassroom({ id: values.classroom, schoolId: values.school, name: values.name ?? values.classroom });
    await store.close();
    console.log(token);
    return;
  }
  if (command === 'load') {
    if (!arg) fail(`load needs a file\n${USAGE}`);
    const r = SchoolFile.safeParse(JSON.parse(fs.readFileSync(arg, 'utf8')));
    if (!r.success) fail(`${arg} is not a school file: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const store = openPlatformStore(dataDir, pgUrl);
    await store.migrate();
    for (const c of r.data.classes) await store.putClass(r.data.school.id, c);
    for (const l of r.data.lessons) await store.putLesson(r.data.school.id, l);
    for (const t of r.data.teachers) {
      if (t.login && t.password) await store.putTeacher({ id: t.id, schoolId: r.data.school.id, login: t.login, name: t.name, password: t.password });
    }
    await store.close();
    console.log(`loaded ${r.data.classes.length} classes and ${r.data.lessons.length} lessons for ${r.data.school.id}`);
    return;
  }
  if (command === 'remove-lesson') {
    if (!arg || !values.school) fail(`remove-lesson needs the lesson id and --school\n${USAGE}`);
    const store = openPlatformStore(dataDir, pgUrl);
    await store.migrate();
    const removed = await store.removeLesson(values.school, arg);
    await store.close();
    if (!removed) fail(`${values.school} has no lesson ${arg}`);
    console.log(`removed ${arg}: classrooms drop it at their next download (or keep it archived where a teacher wrote on it)`);
    return;
  }
  if (command === 'vouch' || command === 'unvouch') {
    const key = values.key?.trim();
    if (!key || (command === 'vouch' && !values.name?.trim())) fail(`${command} needs ${command === 'vouch' ? '--name and ' : ''}--key\n${USAGE}`);
    const problem = signingKeyProblem(key);
    if (problem) fail(problem);
    const store = openPlatformStore(dataDir, pgUrl);
    await store.migrate();
    try {
      if (command === 'vouch') {
        await store.vouchSigner({ name: values.name!.trim(), publicKey: key, schoolId: values.school ?? null });
        console.log(`vouched for ${values.name!.trim()} (${values.school ? `classrooms of ${values.school}` : 'every school'}): classrooms trust its lesson bundles from their next sync`);
      } else if (await store.unvouchSigner(key)) {
        console.log('no longer vouched for: classrooms stop trusting it at their next sync');
      } else {
        fail('that key was not vouched for');
      }
    } finally {
      await store.close();
    }
    return;
  }
  if (command === 'key') {
    const k = loadOrCreateRecipient(dataDir);
    console.log(`Bundle encryption key ${k.keyId} of this platform (classrooms receive it when they sync; for one that never does: npm run bundle -- platform-key <key>):`);
    console.log(k.publicKey);
    return;
  }
  if (command) fail(`Unknown command ${command}\n${USAGE}`);

  const port = Number(values.port ?? 8090);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a number from 0 to 65535, not ${values.port}`);
  if (Boolean(values.cert) !== Boolean(values['tls-key'])) fail('--cert and --tls-key go together (the certificate and its private key, PEM)');
  let tls = null;
  try {
    tls = values.cert && values['tls-key'] ? { cert: fs.readFileSync(values.cert), key: fs.readFileSync(values['tls-key']) } : null;
  } catch (err) {
    fail(`Cannot read the certificate or key: ${(err as Error).message}`);
  }
  let platform;
  try {
    platform = await runPlatform({ dataDir, pgUrl, host: values.host ?? '0.0.0.0', port, log: consoleLogger, tls });
  } catch (err) {
    fail((err as Error).message);
  }
  console.log(`Ketang platform (${platform.store.kind}) listening on ${platform.server.url}`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    platform.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function fail(message: string): never {
  console.error(`Ketang platform: ${message}`);
  process.exit(2);
}

await main();
