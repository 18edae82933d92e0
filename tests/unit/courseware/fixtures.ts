/**
 * Courseware fixtures built byte by byte: password-protected PDFs (the PDF
 * standard security handler), zips with their entries in any order, zip bombs,
 * OLE compound files with chosen streams. Real LibreOffice-written files come
 * from `libreOffice()` below, made at test time from a small flat document.
 */
import { execFileSync } from 'node:child_process';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { deflateRawSync, deflateSync } from 'node:zlib';
import { findSoffice } from '../../../main/courseware/office.ts';
import { missingPart } from '../../helpers/needs.ts';
import { afterAll, beforeAll } from 'vitest';
import { ContentCache } from '../../../main/courseware/cache.ts';
import { tempDir } from '../../helpers/tmp.ts';

/**
 * A test file's scratch folder, made before its tests and removed after:
 * `write` puts a file in it, `freshCache` makes an empty content cache there,
 * `cached` lists the files a cache holds (full paths, not its tmp folder).
 */
export function scratch(): { readonly dir: string; write(name: string, data: Buffer | string): string; freshCache(): ContentCache; cached(cache: ContentCache): string[] } {
  let dir = '';
  let cleanup = (): void => {};
  beforeAll(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterAll(() => cleanup());
  return {
    get dir() {
      return dir;
    },
    write(name, data) {
      const p = path.join(dir, name);
      fs.writeFileSync(p, data);
      return p;
    },
    freshCache: () => new ContentCache(fs.mkdtempSync(path.join(dir, 'cache-'))),
    cached: (cache) =>
      fs
        .readdirSync(cache.dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && !e.parentPath.endsWith(`${path.sep}tmp`))
        .map((e) => path.join(e.parentPath, e.name)),
  };
}

// ---------------------------------------------------------------------------
// Encrypted PDF: standard security handler, revision 3 (RC4 128-bit) or
// revision 4 (AES-128), as Acrobat and WPS write them (ISO 32000-1 §7.6.3).
// ---------------------------------------------------------------------------

const PAD = Buffer.from('28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a', 'hex');

function rc4(key: Buffer, data: Buffer): Buffer {
  const s = Array.from({ length: 256 }, (_, i) => i);
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i]! + key[i % key.length]!) & 255;
    [s[i], s[j]] = [s[j]!, s[i]!];
  }
  const out = Buffer.alloc(data.length);
  for (let n = 0, i = 0, j = 0; n < data.length; n++) {
    i = (i + 1) & 255;
    j = (j + s[i]!) & 255;
    [s[i], s[j]] = [s[j]!, s[i]!];
    out[n] = data[n]! ^ s[(s[i]! + s[j]!) & 255]!;
  }
  return out;
}

const md5 = (...parts: Buffer[]): Buffer => createHash('md5').update(Buffer.concat(parts)).digest();
const padded = (pw: string): Buffer => Buffer.concat([Buffer.from(pw, 'latin1'), PAD]).subarray(0, 32);

/** RC4 over `data` with the key XORed by 0..19, as revision 3 does for O and U. */
function rc4Rounds(key: Buffer, data: Buffer): Buffer {
  let out: Buffer = data;
  for (let i = 0; i < 20; i++) out = rc4(Buffer.from(key.map((b) => b ^ i)), out);
  return out;
}

export interface EncryptedPdfOptions {
  userPassword: string;
  ownerPassword?: string;
  /** 'rc4' = revision 3, RC4 128-bit; 'aes' = revision 4, AES-128 (crypt filter AESV2). */
  cipher?: 'rc4' | 'aes';
}

/** A `pages`-page PDF that opens only with the user password. */
export function makeEncryptedPdf(pages: number, opts: EncryptedPdfOptions): Buffer {
  const aes = opts.cipher === 'aes';
  const id = randomBytes(16);
  const perms = -3904; // print, copy… allowed: only opening is protected.
  // Algorithm 3: O from the owner password.
  let ownerKey = md5(padded(opts.ownerPassword ?? `${opts.userPassword}-owner`));
  for (let i = 0; i < 50; i++) ownerKey = md5(ownerKey);
  const O = rc4Rounds(ownerKey, padded(opts.userPassword));
  // Algorithm 2: the file key.
  const p = Buffer.alloc(4);
  p.writeInt32LE(perms);
  let key = md5(padded(opts.userPassword), O, p, id);
  for (let i = 0; i < 50; i++) key = md5(key);
  // Algorithm 5: U.
  const U = Buffer.concat([rc4Rounds(key, md5(PAD, id)), Buffer.alloc(16)]);

  const objectKey = (num: number): Buffer => {
    const salt = Buffer.from([num & 255, (num >> 8) & 255, (num >> 16) & 255, 0, 0]);
    return md5(key, salt, aes ? Buffer.from('sAlT', 'latin1') : Buffer.alloc(0)).subarray(0, 16);
  };
  const encrypt = (num: number, data: Buffer): Buffer => {
    if (!aes) return rc4(objectKey(num), data);
    const iv = randomBytes(16);
    const c = createCipheriv('aes-128-cbc', objectKey(num), iv);
    return Buffer.concat([iv, c.update(data), c.final()]);
  };

  const parts: Buffer[] = [Buffer.from('%PDF-1.6\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  const offsets: number[] = [];
  let length = parts[0]!.length;
  const add = (dict: string, stream?: Buffer): void => {
    const num = offsets.length + 1;
    offsets.push(length);
    const chunks: Buffer[] = [Buffer.from(`${num} 0 obj\n${dict}`, 'latin1')];
    if (stream) chunks.push(Buffer.from('\nstream\n', 'latin1'), stream, Buffer.from('\nendstream', 'latin1'));
    chunks.push(Buffer.from('\nendobj\n', 'latin1'));
    const b = Buffer.concat(chunks);
    parts.push(b);
    length += b.length;
  };
  const kids = Array.from({ length: pages }, (_, i) => `${4 + i * 2} 0 R`).join(' ');
  add('<< /Type /Catalog /Pages 2 0 R >>');
  add(`<< /Type /Pages /Kids [${kids}] /Count ${pages} >>`);
  add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  for (let i = 0; i < pages; i++) {
    const num = 5 + i * 2;
    const content = encrypt(num, Buffer.from(`BT /F1 96 Tf 200 380 Td (${i + 1}) Tj ET`, 'latin1'));
    add(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 960 540] /Resources << /Font << /F1 3 0 R >> >> /Contents ${num} 0 R >>`);
    add(`<< /Length ${content.length} >>`, content);
  }
  const hex = (b: Buffer): string => `<${b.toString('hex')}>`;
  const filter = aes
    ? `/V 4 /R 4 /Length 128 /CF << /StdCF << /CFM /AESV2 /AuthEvent /DocOpen /Length 16 >> >> /StmF /StdCF /StrF /StdCF`
    : '/V 2 /R 3 /Length 128';
  add(`<< /Filter /Standard ${filter} /O ${hex(O)} /U ${hex(U)} /P ${perms} >>`);
  const encryptRef = offsets.length;
  let tail = `xref\n0 ${offsets.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) tail += `${String(off).padStart(10, '0')} 00000 n \n`;
  tail += `trailer\n<< /Size ${offsets.length + 1} /Root 1 0 R /Encrypt ${encryptRef} 0 R /ID [${hex(id)} ${hex(id)}] >>\nstartxref\n${length}\n%%EOF\n`;
  parts.push(Buffer.from(tail, 'latin1'));
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------
// Zips, written entry by entry in the order given.
// ---------------------------------------------------------------------------

export interface ZipEntry {
  name: string;
  data: Buffer | string;
  /** Store instead of deflate (ODF's mimetype must be stored). */
  store?: boolean;
  /** Lie in the central directory: claim this uncompressed size. */
  claimSize?: number;
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

export function makeZip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const raw = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data, 'utf8');
    const body = e.store ? raw : deflateRawSync(raw);
    const name = Buffer.from(e.name, 'utf8');
    const crc = crc32(raw);
    const size = e.claimSize ?? raw.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(e.store ? 0 : 8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(Math.min(size, 0xffffffff), 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, body);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(0x0800, 8);
    cd.writeUInt16LE(e.store ? 0 : 8, 10);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(body.length, 20);
    cd.writeUInt32LE(Math.min(size, 0xffffffff), 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(offset, 42);
    central.push(cd, name);
    offset += 30 + name.length + body.length;
  }
  const cdBuf = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cdBuf.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cdBuf, eocd]);
}

const CONTENT_TYPES_PPTX =
  '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/ppt/presentation.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/></Types>';

/** The parts of a minimal PPTX (as a sniffer sees it: names, not a deck LibreOffice would open). */
export function pptxParts(slides = 1): ZipEntry[] {
  const entries: ZipEntry[] = [
    { name: '_rels/.rels', data: '<Relationships/>' },
    { name: 'ppt/presentation.xml', data: '<p:presentation/>' },
  ];
  for (let i = 1; i <= slides; i++) entries.push({ name: `ppt/slides/slide${i}.xml`, data: `<p:sld>${i}</p:sld>` });
  entries.push({ name: '[Content_Types].xml', data: CONTENT_TYPES_PPTX });
  return entries;
}

// ---------------------------------------------------------------------------
// OLE compound files (CFB v3, 512-byte sectors) with the named streams.
// ---------------------------------------------------------------------------

/**
 * A compound file holding `streams` (each ≥ 4096 bytes is put in regular
 * sectors; smaller ones in the mini stream, as real writers do).
 */
export function makeOle(streams: Record<string, Buffer>): Buffer {
  const SECTOR = 512;
  const names = Object.keys(streams);
  const sectors: Buffer[] = [];
  const fat: number[] = [];
  const ENDOFCHAIN = 0xfffffffe;
  const FREESECT = 0xffffffff;
  const FATSECT = 0xfffffffd;
  /** Lay `data` into new sectors chained in the FAT; returns the first sector. */
  const chain = (data: Buffer, size: number, table: number[], store: Buffer[]): number => {
    const n = Math.max(1, Math.ceil(data.length / size));
    const first = store.length;
    for (let i = 0; i < n; i++) {
      const s = Buffer.alloc(size);
      data.copy(s, 0, i * size, (i + 1) * size);
      store.push(s);
      table.push(i === n - 1 ? ENDOFCHAIN : first + i + 1);
    }
    return first;
  };
  // Mini stream for small streams.
  const mini: Buffer[] = [];
  const miniFat: number[] = [];
  const starts: number[] = [];
  for (const name of names) {
    const data = streams[name]!;
    starts.push(data.length < 4096 ? chain(data, 64, miniFat, mini) : chain(data, SECTOR, fat, sectors));
  }
  const miniData = Buffer.concat(mini);
  const miniStart = mini.length ? chain(miniData, SECTOR, fat, sectors) : ENDOFCHAIN;
  const miniFatBuf = Buffer.alloc(Math.max(1, Math.ceil((miniFat.length * 4) / SECTOR)) * SECTOR, 0xff);
  miniFat.forEach((v, i) => miniFatBuf.writeUInt32LE(v, i * 4));
  const miniFatStart = miniFat.length ? chain(miniFatBuf, SECTOR, fat, sectors) : ENDOFCHAIN;
  // Directory: root + one entry per stream, as a right-leaning chain (valid red-black-less tree).
  const dir = Buffer.alloc(Math.ceil(((names.length + 1) * 128) / SECTOR) * SECTOR);
  const entry = (i: number, name: string, type: number, start: number, size: number, child: number, right: number): void => {
    const o = i * 128;
    const n = Buffer.from(`${name}\0`, 'utf16le');
    n.copy(dir, o);
    dir.writeUInt16LE(n.length, o + 0x40);
    dir[o + 0x42] = type;
    dir[o + 0x43] = 1;
    dir.writeUInt32LE(0xffffffff, o + 0x44);
    dir.writeUInt32LE(right, o + 0x48);
    dir.writeUInt32LE(child, o + 0x4c);
    dir.writeUInt32LE(start, o + 0x74);
    dir.writeUInt32LE(size, o + 0x78);
  };
  entry(0, 'Root Entry', 5, miniStart, miniData.length, names.length ? 1 : 0xffffffff, 0xffffffff);
  names.forEach((name, i) => entry(i + 1, name, 2, starts[i]!, streams[name]!.length, 0xffffffff, i + 2 <= names.length ? i + 2 : 0xffffffff));
  const dirStart = chain(dir, SECTOR, fat, sectors);
  // FAT sectors themselves (one FAT sector holds 128 entries).
  let fatSectors = 1;
  while (fat.length + fatSectors > fatSectors * 128) fatSectors++;
  const fatStart = sectors.length;
  for (let i = 0; i < fatSectors; i++) fat.push(FATSECT);
  const fatBuf = Buffer.alloc(fatSectors * SECTOR, 0xff);
  fat.forEach((v, i) => fatBuf.writeUInt32LE(v, i * 4));
  for (let i = 0; i < fatSectors; i++) sectors.push(fatBuf.subarray(i * SECTOR, (i + 1) * SECTOR));
  const header = Buffer.alloc(SECTOR);
  Buffer.from('d0cf11e0a1b11ae1', 'hex').copy(header, 0);
  header.writeUInt16LE(0x3e, 0x18);
  header.writeUInt16LE(3, 0x1a);
  header.writeUInt16LE(0xfffe, 0x1c);
  header.writeUInt16LE(9, 0x1e);
  header.writeUInt16LE(6, 0x20);
  header.writeUInt32LE(fatSectors, 0x2c);
  header.writeUInt32LE(dirStart, 0x30);
  header.writeUInt32LE(4096, 0x38);
  header.writeUInt32LE(miniFatStart, 0x3c);
  header.writeUInt32LE(miniFat.length ? miniFatBuf.length / SECTOR : 0, 0x40);
  header.writeUInt32LE(ENDOFCHAIN, 0x44);
  for (let i = 0; i < 109; i++) header.writeUInt32LE(i < fatSectors ? fatStart + i : FREESECT, 0x4c + i * 4);
  return Buffer.concat([header, ...sectors]);
}

// ---------------------------------------------------------------------------
// Real LibreOffice output.
// ---------------------------------------------------------------------------

/** A PNG of random pixels: incompressible, so it pushes the parts written after it far into the zip. */
export function noisePng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const rows = Array.from({ length: height }, () => Buffer.concat([Buffer.from([0]), randomBytes(width * 3)]));
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * A flat ODF presentation of `slides` slides, each with its number; `image`
 * adds a picture to the first, `noise` that many random letters to each slide
 * (text that hardly compresses, so the slides fill the zip before the parts
 * LibreOffice writes after them).
 */
export function deckFodp(slides: number, opts: { image?: Buffer; title?: string; noise?: number } = {}): string {
  const letters = (n: number): string => Array.from(randomBytes(n), (b) => String.fromCharCode(97 + (b % 26))).join('');
  const pages = Array.from({ length: slides }, (_, i) => {
    const body = opts.noise ? `<draw:frame svg:x="2cm" svg:y="6cm" svg:width="20cm" svg:height="10cm"><draw:text-box><text:p>${letters(opts.noise)}</text:p></draw:text-box></draw:frame>` : '';
    const pic = i === 0 && opts.image ? `<draw:frame svg:x="2cm" svg:y="6cm" svg:width="8cm" svg:height="8cm"><draw:image><office:binary-data>${opts.image.toString('base64')}</office:binary-data></draw:image></draw:frame>` : '';
    return `<draw:page draw:name="p${i + 1}"><draw:frame svg:x="2cm" svg:y="2cm" svg:width="20cm" svg:height="3cm"><draw:text-box><text:p>${i === 0 && opts.title ? opts.title : `第 ${i + 1} 页`}</text:p></draw:text-box></draw:frame>${body}${pic}</draw:page>`;
  }).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.presentation">
 <office:body><office:presentation>
${pages}
 </office:presentation></office:body>
</office:document>`;
}

function needSoffice(): string {
  const soffice = findSoffice();
  if (!soffice) throw new Error(missingPart('LibreOffice (soffice) not found: these tests write real PPTX/DOCX/ODP files with it', '`apt-get install libreoffice-impress-nogui libreoffice-writer-nogui`'));
  return soffice;
}

/**
 * Convert `input` with the installed LibreOffice (`soffice --convert-to
 * filter`); returns the written file. Throws (so the test fails with the
 * reason) when LibreOffice is missing: these tests never skip.
 */
export function libreOffice(input: string, filter: string, outExt: string, outDir: string): string {
  const soffice = needSoffice();
  const profile = path.join(outDir, 'lo-profile-convert');
  // A first start in a new profile may restart soffice and drop the conversion: make the profile first.
  if (!fs.existsSync(profile)) execFileSync(soffice, ['--headless', '--norestore', '--terminate_after_init', `-env:UserInstallation=${pathToFileURL(profile).href}`], { stdio: 'pipe', timeout: 120_000 });
  const out = path.join(outDir, `${path.basename(input, path.extname(input))}.${outExt}`);
  // On a loaded machine soffice now and then exits 0 having written nothing (seen in full runs): try again, then say so.
  let said = '';
  for (let attempt = 1; attempt <= 3 && !fs.existsSync(out); attempt++) {
    said = execFileSync(soffice, ['--headless', '--norestore', `-env:UserInstallation=${pathToFileURL(profile).href}`, '--convert-to', filter, '--outdir', outDir, input], { stdio: 'pipe', timeout: 120_000, encoding: 'utf8' });
  }
  if (!fs.existsSync(out)) throw new Error(`LibreOffice wrote no ${outExt} for ${input} in 3 tries: ${said}`);
  return out;
}

/**
 * Save `input` with a password to open it, as LibreOffice's 另存为 → 用密码保存
 * does: `filter` is the export filter ("Impress MS PowerPoint 2007 XML",
 * "MS Word 97", "impress8"). OOXML is encrypted with [MS-OFFCRYPTO] Standard
 * encryption into an OLE EncryptedPackage; binary Word with RC4; ODF with its
 * own manifest encryption. `--convert-to` cannot set a password, so a
 * one-line Basic macro in a throwaway profile does the store.
 */
export function libreOfficeWithPassword(input: string, out: string, filter: string, password: string, workDir: string): string {
  const soffice = needSoffice();
  const profile = path.join(workDir, `lo-profile-pw-${randomBytes(4).toString('hex')}`);
  const url = pathToFileURL(profile).href;
  execFileSync(soffice, ['--headless', '--norestore', '--terminate_after_init', `-env:UserInstallation=${url}`], { stdio: 'pipe', timeout: 120_000 });
  const ooxml = /2007 XML/.test(filter);
  const basic = `Sub SaveWithPassword(sIn As String, sOut As String, sFilter As String)
  Dim load(0) As New com.sun.star.beans.PropertyValue
  load(0).Name = "Hidden" : load(0).Value = True
  oDoc = StarDesktop.loadComponentFromURL(ConvertToURL(sIn), "_blank", 0, load())
  Dim save(1) As New com.sun.star.beans.PropertyValue
  save(0).Name = "FilterName" : save(0).Value = sFilter
  ${
    ooxml
      ? `Dim enc(1) As New com.sun.star.beans.NamedValue
  enc(0).Name = "OOXPassword" : enc(0).Value = Environ("FIXTURE_PASSWORD")
  enc(1).Name = "CryptoType" : enc(1).Value = "Standard"
  save(1).Name = "EncryptionData" : save(1).Value = enc()`
      : `save(1).Name = "Password" : save(1).Value = Environ("FIXTURE_PASSWORD")`
  }
  oDoc.storeToURL(ConvertToURL(sOut), save())
  oDoc.close(True)
  StarDesktop.terminate()
End Sub
`;
  const xml = basic.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
  fs.writeFileSync(
    path.join(profile, 'user', 'basic', 'Standard', 'Module1.xba'),
    `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">\n<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" script:language="StarBasic">${xml}</script:module>\n`,
  );
  execFileSync(soffice, ['--headless', '--norestore', `-env:UserInstallation=${url}`, `macro:///Standard.Module1.SaveWithPassword("${input}","${out}","${filter}")`], {
    stdio: 'pipe',
    timeout: 120_000,
    env: { ...process.env, FIXTURE_PASSWORD: password },
  });
  if (!fs.existsSync(out)) throw new Error(`LibreOffice wrote no password-protected ${out}`);
  return out;
}

/**
 * A value made on first use. Fixtures that need LibreOffice are made inside
 * the tests, not in beforeAll: Vitest reports tests under a failed beforeAll
 * as skipped, and a missing part must fail them with its reason.
 */
export function lazy<T>(make: () => T): () => T {
  let made: { value: T } | null = null;
  return () => (made ??= { value: make() }).value;
}

// ---------------------------------------------------------------------------
// Fake converters: a soffice that hangs, or that only talks.
// ---------------------------------------------------------------------------

/**
 * A shell script standing in for soffice. It makes the profile the real one
 * would on --terminate_after_init, then on the conversion runs `body`; every
 * pid it starts is appended to `pids`.
 */
export function fakeSoffice(dir: string, body: string): { bin: string; pids: string } {
  const bin = path.join(dir, `fake-soffice-${randomBytes(4).toString('hex')}`);
  const pids = `${bin}.pids`;
  fs.writeFileSync(
    bin,
    `#!/bin/sh
echo $$ >> '${pids}'
for a in "$@"; do
  case "$a" in -env:UserInstallation=file://*) profile="\${a#-env:UserInstallation=file://}";; esac
done
case "$*" in *--terminate_after_init*)
  mkdir -p "$profile/user/basic/Standard" && touch "$profile/user/basic/Standard/script.xlb"
  exit 0;;
esac
${body}
`,
    { mode: 0o755 },
  );
  return { bin, pids };
}
