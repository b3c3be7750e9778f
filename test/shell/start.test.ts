// `npm start` without the Electron runtime (docs/packaging.md): exactly one line saying
// why the desktop app did not start, then the same UI served by the loopback
// host on the demo case, with its URL; Ctrl-C stops it cleanly. (Where the
// runtime is installed this path is not taken: skipped with one line.)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../../electron/version.ts';
import { electronRuntime } from '../../build/start.ts';

test('npm start without Electron: one line, then the demo case in the browser host', { timeout: 240_000 }, async (t) => {
  const rt = electronRuntime();
  if (!('missing' in rt)) {
    console.log('npm start fallback test skipped: the Electron runtime is installed here (the desktop suite covers npm start)');
    t.skip('Electron runtime installed');
    return;
  }
  const home = mkdtempSync(join(tmpdir(), 'trailcase-start-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'build/start.ts'], {
    cwd: ROOT,
    env: { ...process.env, TRAILCASE_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.resume();
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed; stdout so far: ${out}`)), 200_000);
      child.stdout.on('data', () => {
        const m = /^Open (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)$/m.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.on('exit', (code) => reject(new Error(`exited ${code} before printing a URL: ${out}`)));
    });
    const lines = out.trimEnd().split('\n');
    assert.equal(lines.length, 2, out);
    assert.match(lines[0], /^TrailCase desktop not started: .*Electron.*; serving the same UI in your browser instead \(trailcase serve on the demo case\)\.$/);
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script type="module" src="app\.js"><\/script>/);
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGINT');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  }
});

// README's quick start exactly as typed (docs/architecture.md, "Display integrity"): `npm start`, through npm and its
// script, reaches the point of serving; Ctrl-C (SIGINT to the process group, as a
// terminal sends it) stops everything. The demo case is built by the test above's
// code path; this one builds its own in a fresh home.
test('README quick start: `npm start` prints the one line and serves the UI', { timeout: 240_000 }, async (t) => {
  const rt = electronRuntime();
  if (!('missing' in rt)) {
    console.log('npm start (README) test skipped: the Electron runtime is installed here (the desktop suite covers npm start)');
    t.skip('Electron runtime installed');
    return;
  }
  const home = mkdtempSync(join(tmpdir(), 'trailcase-npm-start-'));
  const child = spawn('npm', ['start'], {
    cwd: ROOT,
    env: { ...process.env, TRAILCASE_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  try {
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.resume();
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed; stdout so far: ${out}`)), 200_000);
      child.stdout.on('data', () => {
        const m = /^Open (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)$/m.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.on('exit', (code) => reject(new Error(`npm start exited ${code} before printing a URL: ${out}`)));
    });
    // npm's own banner ("> trailcase@… start", the command) aside, exactly one line about the desktop app.
    const ours = out.split('\n').filter((l) => l && !l.startsWith('> '));
    assert.equal(ours.length, 2, out);
    assert.match(ours[0], /^TrailCase desktop not started: .*Electron.*; serving the same UI in your browser instead/);
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script type="module" src="app\.js"><\/script>/);
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    process.kill(-child.pid!, 'SIGINT');
    await exited;
    // Then every member of the group (npm's shell, the host) goes; the test's timeout bounds the wait.
    const groupAlive = () => {
      try {
        process.kill(-child.pid!, 0);
        return true;
      } catch {
        return false;
      }
    };
    while (groupAlive()) await new Promise((r) => setTimeout(r, 100));
    await assert.rejects(fetch(url), 'the host stopped with npm start');
  } finally {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    rmSync(home, { recursive: true, force: true });
  }
});
