/** docs/sync-openapi.yaml lists exactly the routes main/platform/server.ts serves. */
import fs from 'node:fs';
import { expect, it } from 'vitest';
import { ROUTES } from '../../../main/platform/server.ts';

it('the OpenAPI file and the code have the same routes and operation ids', () => {
  const text = fs.readFileSync('docs/sync-openapi.yaml', 'utf8');
  const body = text.slice(text.indexOf('\npaths:\n'), text.indexOf('\ncomponents:\n'));
  const found: string[] = [];
  let current = '';
  for (const line of body.split('\n')) {
    const p = /^ {2}(\/\S+):\s*$/.exec(line);
    if (p) current = p[1]!;
    const m = /^ {4}(get|put|post|delete|patch):\s*$/.exec(line);
    if (m) found.push(`${m[1]!.toUpperCase()} ${current}`);
    const op = /^ {6}operationId: (\S+)/.exec(line);
    if (op) found[found.length - 1] += ` ${op[1]}`;
  }
  expect(found.sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path} ${r.name}`).sort());
});
