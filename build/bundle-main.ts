/**
 * `npm run build:main`: bundles the Electron main process and the preload
 * script with esbuild.
 *
 *   main/index.ts    → dist/main/index.cjs     (Electron's Node)
 *   preload/index.ts → dist/preload/index.cjs  (sandboxed preload: one file, only `electron` required)
 *
 * `electron` is provided by the runtime; `better-sqlite3` is a native module
 * shipped from node_modules (unpacked from the asar by electron-builder).
 * What is bundled from node_modules (socket.io with engine.io and ws, zod)
 * is listed under "dependencies" all the same: it faces the network, and
 * `npm audit --omit=dev` looks only there (tests/unit/electron/bundle.test.ts).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { EVENT_NAMES, OPERATION_NAMES } from '../common/protocol.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
/** `--outdir DIR` writes DIR/main/index.cjs and DIR/preload/index.cjs instead (tests). */
const { values: args } = parseArgs({ options: { outdir: { type: 'string' } } });
const outdir = path.resolve(args.outdir ?? path.join(root, 'dist'));

const common: BuildOptions = {
  absWorkingDir: root,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  // ws (inside socket.io) loads these optional native helpers only when installed;
  // debug (inside socket.io) colours its output with supports-color when installed (only dev tools bring it).
  // pdf.js loads its worker module from its own folder at run time: keep it a real package, not bundled.
  // mediasoup spawns its C++ worker and finds its own files at run time: a real package too (main/media).
  external: ['electron', 'better-sqlite3', 'pdfjs-dist', 'mediasoup', 'bufferutil', 'utf-8-validate', 'supports-color'],
};

/**
 * The preload needs only the names of the operations and events, not the zod
 * schemas (about 700 kB): inside the preload bundle, common/protocol.ts is
 * replaced by those two lists, taken from the real module at build time. An
 * import of anything else from it fails the build.
 */
const protocolNamesOnly: Plugin = {
  name: 'protocol-names-only',
  setup(b) {
    b.onResolve({ filter: /[\\/]protocol\.ts$/ }, (args) =>
      path.resolve(args.resolveDir, args.path) === path.join(root, 'common', 'protocol.ts') ? { path: 'protocol-names', namespace: 'ketang' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'ketang' }, () => ({
      loader: 'js',
      contents: `export const OPERATION_NAMES = ${JSON.stringify(OPERATION_NAMES)};\nexport const EVENT_NAMES = ${JSON.stringify(EVENT_NAMES)};\n`,
    }));
  },
};

const started = Date.now();
await Promise.all([
  build({ ...common, entryPoints: ['main/index.ts'], outfile: path.join(outdir, 'main', 'index.cjs'), target: 'node24' }),
  build({ ...common, entryPoints: ['preload/index.ts'], outfile: path.join(outdir, 'preload', 'index.cjs'), target: 'chrome140', external: ['electron'], plugins: [protocolNamesOnly] }),
]);
console.log(`build:main: ${path.relative(root, outdir) || '.'}/main/index.cjs and ${path.relative(root, outdir) || '.'}/preload/index.cjs in ${Date.now() - started} ms`);
