/**
 * Draws build/icon.png (512x512): a white cross on a rounded teal square. electron-builder derives
 * the Windows .ico, the macOS .icns and the Linux icons from it. Rerun after changing the design:
 * `npx tsx scripts/make-icon.ts`. (No image tool is installed on the build machines; PNG is simple.)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

const size = 512;
const teal = [13, 124, 128];
const white = [255, 255, 255];

function pixel(x: number, y: number): [number, number, number, number] {
  const radius = 96;
  const margin = 16;
  const inside = (v: number) => v >= margin && v < size - margin;
  if (!inside(x) || !inside(y)) return [0, 0, 0, 0];
  // Rounded corners: distance to the nearest corner circle's centre.
  const cx = Math.min(Math.max(x, margin + radius), size - margin - radius - 1);
  const cy = Math.min(Math.max(y, margin + radius), size - margin - radius - 1);
  const d = Math.hypot(x - cx, y - cy);
  if (d > radius) return [0, 0, 0, 0];
  const alpha = d > radius - 1 ? Math.round((radius - d) * 255) : 255;
  const arm = 64;
  const span = 176;
  const centre = size / 2;
  const inCross =
    (Math.abs(x - centre) < arm && Math.abs(y - centre) < span) || (Math.abs(y - centre) < arm && Math.abs(x - centre) < span);
  const [r, g, b] = inCross ? white : teal;
  return [r ?? 0, g ?? 0, b ?? 0, alpha];
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

const header = Buffer.alloc(13);
header.writeUInt32BE(size, 0);
header.writeUInt32BE(size, 4);
header[8] = 8; // bit depth
header[9] = 6; // RGBA
const rows: Buffer[] = [];
for (let y = 0; y < size; y += 1) {
  const row = Buffer.alloc(1 + size * 4); // filter byte 0, then pixels
  for (let x = 0; x < size; x += 1) Buffer.from(pixel(x, y)).copy(row, 1 + x * 4);
  rows.push(row);
}
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', header),
  chunk('IDAT', deflateSync(Buffer.concat(rows), { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
const out = join(import.meta.dirname, '..', 'build', 'icon.png');
mkdirSync(join(import.meta.dirname, '..', 'build'), { recursive: true });
writeFileSync(out, png);
console.log(`wrote ${out} (${png.length} bytes)`);
