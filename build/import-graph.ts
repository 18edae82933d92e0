/**
 * Prints the import graph between the parts of a folder (its top-level
 * subfolders and files) and the cycles in it, so a change of layout can be
 * measured: `node build/import-graph.ts main` or
 * `node build/import-graph.ts renderer/src/features`.
 * Type-only imports count too: they still tie the parts together for a reader.
 * ESLint (eslint.config.js) enforces the direction; this only shows it.
 */
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(process.argv[2] ?? 'main');
const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm;

function* sources(dir: string): Generator<string> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* sources(p);
    else if (/\.(ts|vue)$/.test(e.name) && !e.name.endsWith('.d.ts')) yield p;
  }
}

/** The top-level part a path inside root belongs to (a subfolder, or a file without its extension). */
function partOf(file: string): string | null {
  const rel = path.relative(root, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
  const first = rel.split(path.sep)[0]!;
  return first.replace(/\.(ts|vue)$/, '');
}

const edges = new Map<string, Map<string, number>>();
const parts = new Set<string>();
for (const file of sources(root)) {
  const from = partOf(file)!;
  parts.add(from);
  const text = fs.readFileSync(file, 'utf8');
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3]!;
    if (!spec.startsWith('.')) continue;
    const to = partOf(path.resolve(path.dirname(file), spec));
    if (!to || to === from) continue;
    const out = edges.get(from) ?? new Map<string, number>();
    out.set(to, (out.get(to) ?? 0) + 1);
    edges.set(from, out);
  }
}

// Tarjan's strongly connected components: every component of more than one part is a cycle.
let index = 0;
const idx = new Map<string, number>();
const low = new Map<string, number>();
const stack: string[] = [];
const onStack = new Set<string>();
const sccs: string[][] = [];
function visit(v: string): void {
  idx.set(v, index);
  low.set(v, index++);
  stack.push(v);
  onStack.add(v);
  for (const w of edges.get(v)?.keys() ?? []) {
    if (!idx.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v)!, low.get(w)!));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
  }
  if (low.get(v) === idx.get(v)) {
    const comp: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      comp.push(w);
    } while (w !== v);
    sccs.push(comp);
  }
}
for (const p of [...parts].sort()) if (!idx.has(p)) visit(p);

const total = [...edges.values()].reduce((n, m) => n + m.size, 0);
console.log(`${path.relative(process.cwd(), root) || '.'}: ${parts.size} parts, ${total} import edges`);
for (const p of [...parts].sort()) {
  const out = [...(edges.get(p)?.keys() ?? [])].sort();
  console.log(`  ${p.padEnd(14)} → ${out.join(', ') || '(nothing)'}`);
}
const cycles = sccs.filter((c) => c.length > 1);
if (cycles.length === 0) console.log('cycles: none');
for (const c of cycles) {
  const set = new Set(c);
  const inside = c.reduce((n, p) => n + [...(edges.get(p)?.keys() ?? [])].filter((q) => set.has(q)).length, 0);
  console.log(`cycle of ${c.length} parts (${inside} edges inside): ${c.sort().join(', ')}`);
}
process.exitCode = cycles.length > 0 && process.argv.includes('--check') ? 1 : 0;
