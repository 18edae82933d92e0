/**
 * A real Ketang hub in this process for end-to-end tests: its own data folder,
 * the sample school, loopback on a free port, serving the built web client.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startKetang, type Ketang } from '../../main/app.ts';
import { importCourseware } from '../../main/courseware/import.ts';
import { silentLogger, type Logger } from '../../main/base/log.ts';
import { tempDir } from './tmp.ts';

export const WEB_ROOT = path.resolve('dist/renderer');
export const RESOURCES = path.resolve('resources');

export interface TestHub {
  /** The running app (a new object after `restart`). */
  readonly app: Ketang;
  /** The hub's base URL, e.g. http://127.0.0.1:41234; the same after `restart`. */
  readonly url: string;
  /**
   * Stop the hub, wait `downMs` (every device sees its link drop, as on a
   * Wi-Fi outage), then start it again on the same port with the same data.
   */
  restart(downMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * `host`: the address to listen on (default loopback); a weak-link test gives
 * the machine's end of a veth pair so a browser in a network namespace can
 * reach the hub (tests/helpers/netns.ts).
 */
export async function startTestHub(opts: { log?: Logger; host?: string } = {}): Promise<TestHub> {
  if (!fs.existsSync(path.join(WEB_ROOT, 'index.html'))) {
    throw new Error(`The web client is not built (${WEB_ROOT}): run \`npm run build:web\` first.`);
  }
  const { dir, cleanup } = tempDir('ketang-e2e-');
  const start = (port: number): Promise<Ketang> =>
    startKetang({ dataDir: dir, host: opts.host ?? '127.0.0.1', port, webRoot: WEB_ROOT, resourcesDir: RESOURCES, log: opts.log ?? silentLogger });
  let app: Ketang;
  try {
    app = await start(0);
  } catch (err) {
    cleanup();
    throw err;
  }
  const port = app.hub.port;
  let closed = false;
  return {
    get app() {
      return app;
    },
    url: app.hub.url,
    async restart(downMs = 1_000) {
      await app.close();
      await new Promise((r) => setTimeout(r, downMs));
      app = await start(port);
    },
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      cleanup();
    },
  };
}

/**
 * Put a PDF into a lesson as item `itemId`, as an import would: through the
 * importer into the content cache, then the item into the store.
 */
export async function addPdfItem(app: Ketang, lesson: { lessonId: string; itemId: string; title?: string }, pdf: Buffer): Promise<void> {
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, 'slides.pdf');
    fs.writeFileSync(file, pdf);
    const imported = await importCourseware(file, { cache: app.cache });
    const entry = { sha256: imported.entry.sha256, size: imported.entry.size, mime: imported.mime };
    app.store.addCoursewareItem(lesson.lessonId, { id: lesson.itemId, title: lesson.title ?? imported.title, kind: 'pdf', pages: imported.pages, file: entry });
  } finally {
    cleanup();
  }
}
