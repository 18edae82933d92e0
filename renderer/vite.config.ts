import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import vue from '@vitejs/plugin-vue';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/** pdf.js data folders shipped with the web client, under `pdfjs/` (see PDFJS_DATA in pdfDoc.ts). */
const PDFJS_DATA = ['cmaps', 'standard_fonts'];

/**
 * pdf.js needs the predefined Adobe CMaps and the standard font data to show
 * text in PDFs whose fonts are not embedded (common for Chinese courseware:
 * /STSong-Light with UniGB-UCS2-H and the like). They are fetched on demand,
 * so they are copied as plain files, `dist/renderer/pdfjs/<folder>/…`, and
 * served from `/pdfjs/…` by the dev server.
 */
function pdfjsData(): Plugin {
  const pdfjsDir = path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
  return {
    name: 'ketang-pdfjs-data',
    generateBundle() {
      for (const folder of PDFJS_DATA) {
        const dir = path.join(pdfjsDir, folder);
        for (const name of fs.readdirSync(dir)) {
          this.emitFile({ type: 'asset', fileName: `pdfjs/${folder}/${name}`, source: fs.readFileSync(path.join(dir, name)) });
        }
      }
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const m = /^\/pdfjs\/([a-z_]+)\/([\w.-]+)$/.exec((req.url ?? '').split('?')[0]!);
        const file = m && PDFJS_DATA.includes(m[1]!) ? path.join(pdfjsDir, m[1]!, m[2]!) : null;
        if (!file || !fs.existsSync(file)) return next();
        res.setHeader('Content-Type', 'application/octet-stream');
        fs.createReadStream(file).pipe(res);
      });
    },
  };
}

/** Text-like files worth compressing; images, fonts already packed (woff2) and the like are not. */
const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|wasm|ttf|pfb|bcmap)$/;

/**
 * Brotli and gzip copies of the built files (`x.js.br`, `x.js.gz`) made once at
 * build time with node:zlib at the highest levels, so the hub (main/hub/server.ts)
 * sends tablets the small copy without compressing per request. A copy that
 * saves less than a tenth is not kept.
 */
function precompress(): Plugin {
  const brotli = promisify(zlib.brotliCompress);
  const gzip = promisify(zlib.gzip);
  return {
    name: 'ketang-precompress',
    apply: 'build',
    async writeBundle(options) {
      const dir = options.dir!;
      const files = (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => COMPRESSIBLE.test(f));
      await Promise.all(
        files.map(async (rel) => {
          const file = path.join(dir, rel);
          try {
            const raw = fs.readFileSync(file);
            const [br, gz] = await Promise.all([
              brotli(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }),
              gzip(raw, { level: zlib.constants.Z_BEST_COMPRESSION }),
            ]);
            if (br.length < raw.length * 0.9) fs.writeFileSync(`${file}.br`, br);
            if (gz.length < raw.length * 0.9) fs.writeFileSync(`${file}.gz`, gz);
          } catch (err) {
            // Another build emptied the folder meanwhile (emptyOutDir); that build writes its own copies.
            if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          }
        }),
      );
    },
  };
}

/**
 * One build for every screen: the teacher console and board view (desktop
 * windows or the browser-mode launcher) and the device pages that student
 * tablets and group screens open from the hub, each screen its own chunk
 * (App.vue) so a tablet loads only the join page. `base: './'` lets the same
 * files load from the hub's HTTP server and from the desktop app's own protocol.
 */
export default defineConfig({
  root,
  base: './',
  plugins: [vue(), pdfjsData(), precompress()],
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'chrome109',
    chunkSizeWarningLimit: 800,
  },
  server: { host: '127.0.0.1' },
});
