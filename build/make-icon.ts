// Draws the app icon (build/resources/icon.png, 512x512 RGBA) from code, so the
// icon has a reproducible source and no image tool is needed:
//   node --import tsx build/make-icon.ts
// A dark rounded square with a trail of events (a polyline with dots, the
// last one red: the finding) under a magnifying glass. electron-builder makes
// the .ico/.icns from this PNG.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const SIZE = 512;
type RGBA = [number, number, number, number];

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const clamp = (v: number) => Math.max(0, Math.min(1, v));
function segDist(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const t = clamp(((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

export function drawIcon(): Uint8Array {
  const img = new Uint8Array(SIZE * SIZE * 4);
  const trail: [number, number][] = [
    [96, 352],
    [176, 300],
    [236, 330],
    [300, 236],
    [372, 260],
    [420, 168],
  ];
  const put = (i: number, c: RGBA, a: number) => {
    const k = i * 4;
    const al = a * (c[3] / 255);
    for (let j = 0; j < 3; j++) img[k + j] = Math.round(img[k + j] * (1 - al) + c[j] * al);
    img[k + 3] = Math.max(img[k + 3], Math.round(al * 255));
  };
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const i = y * SIZE + x;
      const px = x + 0.5;
      const py = y + 0.5;
      // Rounded square background with a vertical gradient.
      const r = 96;
      const qx = Math.max(Math.abs(px - 256) - (224 - r), 0);
      const qy = Math.max(Math.abs(py - 256) - (224 - r), 0);
      const bg = Math.hypot(qx, qy) - r;
      const t = py / SIZE;
      put(i, [Math.round(22 + 18 * t), Math.round(48 + 30 * t), Math.round(92 + 40 * t), 255], clamp(0.5 - bg));
      if (bg > 0.5) continue;
      // The trail.
      let d = Infinity;
      for (let s = 0; s + 1 < trail.length; s++) d = Math.min(d, segDist(px, py, ...trail[s], ...trail[s + 1]));
      put(i, [160, 200, 255, 255], clamp(7 - d));
      trail.forEach(([cx, cy], n) => {
        const dd = Math.hypot(px - cx, py - cy);
        const last = n === trail.length - 1;
        put(i, last ? [240, 80, 72, 255] : [255, 255, 255, 255], clamp((last ? 24 : 17) - dd));
      });
      // Magnifying glass over the last events.
      const ring = Math.abs(Math.hypot(px - 360, py - 214) - 78);
      put(i, [255, 255, 255, 235], clamp(11 - ring));
      const handle = segDist(px, py, 416, 270, 468, 322);
      put(i, [255, 255, 255, 255], clamp(17 - handle));
    }
  }
  return img;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = join(dirname(fileURLToPath(import.meta.url)), 'resources', 'icon.png');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, encodePng(SIZE, SIZE, drawIcon()));
  process.stdout.write(`${out}\n`);
}
