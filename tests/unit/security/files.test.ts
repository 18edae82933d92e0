/** Sealed personal files (recordings): streamed in chunks, any change or cut is refused. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FieldCipher, deriveKey } from '../../../main/base/crypto/cipher.ts';
import { PersonalFiles, SEALED_CHUNK, sealFileInPlace, readSealedFile } from '../../../main/base/crypto/sealed-files.ts';
import { tempDir } from '../../helpers/tmp.ts';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir('ketang-sealed-')));
afterEach(() => cleanup());

const key = deriveKey(randomBytes(32), 'files');

describe('sealed files', () => {
  it.each([0, 1, SEALED_CHUNK - 1, SEALED_CHUNK, SEALED_CHUNK + 1, 3 * SEALED_CHUNK, 3 * SEALED_CHUNK + 12345])('round-trips %i bytes written in odd pieces', async (size) => {
    const data = randomBytes(size);
    const files = new PersonalFiles(dir, key);
    async function* pieces(): AsyncGenerator<Buffer> {
      for (let at = 0; at < size; at += 7777) yield data.subarray(at, at + 7777);
    }
    expect(await files.put('r.bin', pieces())).toBe(size);
    expect(files.read('r.bin').equals(data)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['r.bin']); // no temp file left
  });

  it('refuses a flipped byte, a cut at a chunk boundary, a cut mid-chunk and another key', async () => {
    const data = randomBytes(2 * SEALED_CHUNK + 500);
    const files = new PersonalFiles(dir, key);
    await files.put('r.bin', data);
    const p = files.pathFor('r.bin');
    const good = fs.readFileSync(p);

    const flipped = Buffer.from(good);
    flipped[good.length - 100]! ^= 1;
    fs.writeFileSync(p, flipped);
    expect(() => files.read('r.bin')).toThrow(/cannot be decrypted at chunk 2/);

    const header = 24;
    fs.writeFileSync(p, good.subarray(0, header + 2 * (SEALED_CHUNK + 16))); // whole chunks, the last one missing
    expect(() => files.read('r.bin')).toThrow(/changed or cut short/);
    fs.writeFileSync(p, good.subarray(0, good.length - 100));
    expect(() => files.read('r.bin')).toThrow(/changed or cut short/);
    fs.writeFileSync(p, good.subarray(0, 10));
    expect(() => files.read('r.bin')).toThrow(/not a sealed Ketang file/);

    fs.writeFileSync(p, good);
    expect(() => new PersonalFiles(dir, deriveKey(randomBytes(32), 'files')).read('r.bin')).toThrow(/not its key/);
    expect(files.read('r.bin').equals(data)).toBe(true);
    expect(() => files.pathFor('../x')).toThrow(/Not a valid/);
  });

  it('seals a clear file in place and wipes the original', () => {
    const p = path.join(dir, 'backup.bak');
    fs.writeFileSync(p, 'secret roster 王子涵');
    sealFileInPlace(p, key);
    expect(fs.existsSync(p)).toBe(false);
    expect(readSealedFile(`${p}.sealed`, key).toString()).toBe('secret roster 王子涵');
  });
});

describe('field cipher', () => {
  it('binds a value to its column and detects changes', () => {
    const c = new FieldCipher(deriveKey(randomBytes(32), 'fields'));
    const sealed = c.seal('王子涵', 'students.name');
    expect(sealed.startsWith('k1:')).toBe(true);
    expect(c.seal('王子涵', 'students.name')).not.toBe(sealed); // fresh nonce each time
    expect(c.open(sealed, 'students.name')).toBe('王子涵');
    expect(() => c.open(sealed, 'devices.name')).toThrow(/Cannot decrypt devices.name/);
    const bytes = Buffer.from(sealed.slice(3), 'base64');
    bytes[14]! ^= 0x40;
    expect(() => c.open(`k1:${bytes.toString('base64')}`, 'students.name')).toThrow(/authentication failed/);
    expect(c.open('plain', 'students.name')).toBe('plain');
  });
});
