/**
 * `node build/make-icon.ts`: draws the placeholder app icon (512×512 PNG) into
 * build/icon.png (electron-builder makes .ico/.icns from it) and
 * resources/icon.png (the window icon at run time). A green classroom board
 * with a white frame and a chalk tick; replace with a designed icon later.
 * Pure Node: a tiny PNG encoder over node:zlib, no image tools needed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const SIZE = 512;
const SAMPLES = 4; // supersampling per axis for smooth edges
type RGBA = [number, number, number, number];

function roundedRect(x: number, y: number, x0: number, y0: number, x1: number, y1: number, r: number): boolean {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

function nearSegment(x: number, y: number, ax: number, ay: number, bx: number, by: number, w: number): boolean {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
  return (x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2 <= (w / 2) ** 2;
}

/** Colour of one point of the icon (coordinates in 0..512). */
function shade(x: number, y: number): RGBA {
  if (!roundedRect(x, y, 16, 16, 496, 496, 96)) return [0, 0, 0, 0];
  if (nearSegment(x, y, 150, 262, 222, 334, 44) || nearSegment(x, y, 222, 334, 366, 178, 44)) return [255, 214, 102, 255];
  const frame = roundedRect(x, y, 76, 96, 436, 416, 28) && !roundedRect(x, y, 96, 116, 416, 396, 12);
  if (frame) return [245, 245, 240, 255];
  if (nearSegment(x, y, 196, 440, 316, 440, 20)) return [245, 245, 240, 255];
  return [27, 94, 79, 255];
}

function pixels(): Buffer {
  const rows = Buffer.alloc(SIZE * (SIZE * 4 + 1));
  for (let py = 0; py < SIZE; py++) {
    const row = py * (SIZE * 4 + 1);
    rows[row] = 0; // filter: none
    for (let px = 0; px < SIZE; px++) {
      const acc = [0, 0, 0, 0];
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const [r, g, b, a] = shade(px + (sx + 0.5) / SAMPLES, py + (sy + 0.5) / SAMPLES);
          acc[0]! += r * a;
          acc[1]! += g * a;
          acc[2]! += b * a;
          acc[3]! += a;
        }
      }
      const o = row + 1 + px * 4;
      const alpha = acc[3]!;
      rows[o] = alpha ? Math.round(acc[0]! / alpha) : 0;
      rows[o + 1] = alpha ? Math.round(acc[1]! / alpha) : 0;
      rows[o + 2] = alpha ? Math.round(acc[2]! / alpha) : 0;
      rows[o + 3] = Math.round(alpha / (SAMPLES * SAMPLES));
    }
  }
  return rows;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

export function iconPng(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(SIZE, 0);
  ihdr.writeUInt32BE(SIZE, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(pixels(), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const root = fileURLToPath(new URL('..', import.meta.url));
const png = iconPng();
for (const rel of ['build/icon.png', 'resources/icon.png']) {
  fs.writeFileSync(path.join(root, rel), png);
  console.log(`wrote ${rel} (${png.length} bytes)`);
}
