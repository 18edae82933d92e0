/**
 * docs/protocol.md is generated from the contract; it must never go stale.
 * When this fails after a contract change, run `node build/gen-protocol-doc.ts`
 * and commit docs/protocol.md with the change.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DOC_PATH, errorMeanings, hubLimits, renderProtocolDoc } from '../../../build/protocol-doc.ts';
import { ERROR_CODES, EVENT_NAMES, MAX_MESSAGE_BYTES, OPERATION_NAMES } from '../../../common/protocol.ts';

describe('docs/protocol.md', () => {
  const generated = renderProtocolDoc();

  it('is exactly what build/gen-protocol-doc.ts produces from the contract now', () => {
    const onDisk = fs.existsSync(DOC_PATH) ? fs.readFileSync(DOC_PATH, 'utf8') : '(missing)';
    // A plain boolean first, so a stale doc fails with the fix in the message rather than a 40 KB diff.
    expect(onDisk === generated, 'docs/protocol.md is out of date: run `node build/gen-protocol-doc.ts` and commit it').toBe(true);
  });

  it('renders the same text twice (no dates, no unstable order)', () => {
    expect(renderProtocolDoc()).toBe(generated);
  });

  it('has a section for every operation and event, and every error code and limit', () => {
    for (const name of [...OPERATION_NAMES, ...EVENT_NAMES]) expect(generated).toContain(`\n### ${name}\n`);
    for (const code of ERROR_CODES) expect(generated).toContain(`| \`${code}\` |`);
    expect(generated).toContain(`${MAX_MESSAGE_BYTES} bytes`);
    expect(generated).toContain('ketang:session.start');
    // Every $ref points at a shape the doc defines.
    for (const m of generated.matchAll(/"\$ref": "#\/\$defs\/([A-Za-z]+)"/g)) expect(generated).toContain(`\n### ${m[1]}\n`);
  });
});

describe('the generator', () => {
  it('takes each error code\'s meaning from its comment in ERROR_CODES', () => {
    const meanings = errorMeanings();
    expect(meanings.FORBIDDEN).toBe('role may not call this operation');
    expect(Object.keys(meanings)).toEqual([...ERROR_CODES]);
  });

  it('refuses an error code nobody explained', () => {
    const source = "export const ERROR_CODES = [\n  'PROTOCOL_MISMATCH', // explained\n  'FORBIDDEN',\n] as const;";
    expect(() => errorMeanings(source)).toThrow(/has no meaning/);
  });

  it("states the hub's own limits, which are sane", () => {
    const limits = hubLimits();
    expect(limits.burst).toBeGreaterThanOrEqual(1);
    expect(limits.perSecond).toBeGreaterThan(0);
    expect(limits.maxFrameBytes).toBeGreaterThanOrEqual(MAX_MESSAGE_BYTES);
    const doc = fs.readFileSync(DOC_PATH, 'utf8');
    expect(doc).toContain(`${limits.maxFrameBytes} bytes`);
    expect(doc).toContain(`burst ${limits.burst}, then ${limits.perSecond} per second`);
  });
});
