/**
 * Writes docs/protocol.md from the contract (common/protocol.ts and friends).
 *
 *   node build/gen-protocol-doc.ts           write docs/protocol.md
 *   node build/gen-protocol-doc.ts --check   exit 1 if docs/protocol.md is out of date
 *
 * Run it with node_modules/.bin first on PATH (Node 24). The rendering lives
 * in build/protocol-doc.ts so tests can compare without writing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DOC_PATH, renderProtocolDoc } from './protocol-doc.ts';

const doc = renderProtocolDoc();
const rel = path.relative(process.cwd(), DOC_PATH) || DOC_PATH;
if (process.argv.includes('--check')) {
  const current = fs.existsSync(DOC_PATH) ? fs.readFileSync(DOC_PATH, 'utf8') : '';
  if (current !== doc) {
    console.error(`${rel} is out of date: run node build/gen-protocol-doc.ts`);
    process.exit(1);
  }
  console.log(`${rel} is up to date`);
} else {
  fs.mkdirSync(path.dirname(DOC_PATH), { recursive: true });
  fs.writeFileSync(DOC_PATH, doc);
  console.log(`wrote ${rel} (${doc.length} characters)`);
}
