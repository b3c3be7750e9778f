// Packaging policy without building installers: the afterPack hook
// (build/after-pack.mjs) flips exactly the fuses - checked on a
// stand-in binary carrying Electron's fuse sentinel and wire - and the
// electron-builder configuration asks for the targets, asar, the
// native rebuild and the hook; the icon exists; checksums are sha256sum -c format.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parse } from 'yaml';
import { ROOT } from '../../electron/version.ts';
// @ts-expect-error plain JavaScript hook, no declaration file
import afterPack, { electronBinaryPath, FUSES, fuseConfig } from '../../build/after-pack.mjs';
import { writeChecksums } from '../../build/dist.ts';

const dir = mkdtempSync(join(tmpdir(), 'trailcase-fuses-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';

/** A file shaped like an Electron binary's fuse area: sentinel, version 1, length, then '0'/'1' per fuse (Electron's defaults). */
function fakeElectron(path: string, wire = '1' + '0' + '1' + '1' + '0' + '0' + '0' + '1'): void {
  writeFileSync(path, Buffer.concat([Buffer.alloc(4096, 7), Buffer.from(SENTINEL), Buffer.from([1, wire.length]), Buffer.from(wire), Buffer.alloc(4096, 9)]));
}
function wireOf(path: string): string {
  const b = readFileSync(path);
  const i = b.indexOf(SENTINEL) + SENTINEL.length;
  return b.subarray(i + 2, i + 2 + b[i + 1]).toString('latin1');
}

test('the issue asks for these fuses', () => {
  assert.deepEqual(FUSES, {
    RunAsNode: false,
    EnableCookieEncryption: true,
    EnableNodeOptionsEnvironmentVariable: false,
    EnableNodeCliInspectArguments: false,
    EnableEmbeddedAsarIntegrityValidation: true,
    OnlyLoadAppFromAsar: true,
    GrantFileProtocolExtraPrivileges: false,
  });
  assert.equal(fuseConfig('darwin', 'arm64').resetAdHocDarwinSignature, true);
  assert.equal(fuseConfig('linux', 'x64').resetAdHocDarwinSignature, false);
});

test('afterPack flips them on the packed binary, keeps unrelated fuses and bytes, and finds the binary per platform', async () => {
  const linuxOut = join(dir, 'linux-unpacked');
  mkdirSync(linuxOut);
  fakeElectron(join(linuxOut, 'trailcase'));
  const before = readFileSync(join(linuxOut, 'trailcase'));
  await afterPack({ appOutDir: linuxOut, electronPlatformName: 'linux', arch: 1, packager: { executableName: 'trailcase', appInfo: { productFilename: 'TrailCase' } } });
  // index: 0 RunAsNode, 1 Cookie, 2 NODE_OPTIONS, 3 inspect, 4 asar integrity, 5 only asar, 6 V8 snapshot (untouched), 7 file:// privileges
  assert.equal(wireOf(join(linuxOut, 'trailcase')), '01001100');
  const afterBytes = readFileSync(join(linuxOut, 'trailcase'));
  assert.equal(afterBytes.length, before.length);
  assert.deepEqual(afterBytes.subarray(0, 4096), before.subarray(0, 4096));
  const win = { appOutDir: 'C:/out', electronPlatformName: 'win32', packager: { appInfo: { productFilename: 'TrailCase' } } };
  assert.equal(electronBinaryPath(win), join('C:/out', 'TrailCase.exe'));
  assert.equal(electronBinaryPath({ ...win, electronPlatformName: 'darwin' }), join('C:/out', 'TrailCase.app'));
  // A binary without a fuse wire is an error, never a silent success.
  writeFileSync(join(linuxOut, 'trailcase'), 'not electron');
  await assert.rejects(afterPack({ appOutDir: linuxOut, electronPlatformName: 'linux', arch: 1, packager: { executableName: 'trailcase', appInfo: { productFilename: 'TrailCase' } } }), /sentinel/);
});

test('electron-builder configuration: targets, asar, native rebuild, hook, no publishing', () => {
  const c = parse(readFileSync(join(ROOT, 'build/electron-builder.yml'), 'utf8'));
  assert.deepEqual(c.linux.target, ['AppImage', 'deb']);
  assert.deepEqual(c.win.target, ['nsis', 'portable']);
  assert.deepEqual(c.mac.target, ['dmg']);
  assert.equal(c.asar, true);
  assert.ok(c.asarUnpack.includes('**/*.node'), 'the native SQLite binding is unpacked');
  assert.equal(c.npmRebuild, true, 'better-sqlite3 rebuilt for Electron');
  assert.equal(c.afterPack, './build/after-pack.mjs');
  assert.equal(c.electronFuses, undefined, 'fuses are set once, by the hook');
  assert.equal(c.directories.app, 'dist/app');
  assert.equal(c.publish, null);
  assert.equal(readFileSync(join(ROOT, c.linux.icon)).subarray(1, 4).toString(), 'PNG');
});

test('SHA256SUMS lists the installers in sha256sum -c format', () => {
  const out = join(dir, 'installers');
  mkdirSync(out);
  writeFileSync(join(out, 'TrailCase-0.1.0-linux-x86_64.AppImage'), 'appimage bytes');
  writeFileSync(join(out, 'TrailCase-0.1.0-linux-amd64.deb'), 'deb bytes');
  writeFileSync(join(out, 'builder-debug.yml'), 'not an installer');
  const lines = writeChecksums(out);
  assert.equal(lines.length, 2);
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  assert.equal(readFileSync(join(out, 'SHA256SUMS'), 'utf8'), `${sha('deb bytes')}  TrailCase-0.1.0-linux-amd64.deb\n${sha('appimage bytes')}  TrailCase-0.1.0-linux-x86_64.AppImage\n`);
});
