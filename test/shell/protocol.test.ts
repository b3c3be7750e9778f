// The trailcase://app/ protocol handler (electron/main/protocol.ts) over a
// real folder: files served with the strict CSP and their MIME type; paths
// that would leave the folder (dot segments, encoded separators, symlinks),
// other hosts and other methods refused.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { serveAppRequest } from '../../electron/main/protocol.ts';
import { CONTENT_SECURITY_POLICY } from '../../electron/main/security.ts';

const dir = mkdtempSync(join(tmpdir(), 'trailcase-protocol-'));
const root = join(dir, 'renderer');
const shellPages = join(dir, 'shell');
mkdirSync(join(root, 'assets'), { recursive: true });
mkdirSync(shellPages, { recursive: true });
writeFileSync(join(root, 'index.html'), '<!doctype html><script src="/assets/app.js"></script>');
writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)');
writeFileSync(join(root, 'assets', 'app.css'), 'body{}');
writeFileSync(join(root, 'assets', 'notes.exe'), 'MZ');
writeFileSync(join(dir, 'secret.txt'), 'outside');
writeFileSync(join(shellPages, 'index.html'), '<!doctype html>launcher');
symlinkSync(join(dir, 'secret.txt'), join(root, 'assets', 'link.txt'));
after(() => rmSync(dir, { recursive: true, force: true }));

const opts = { root, mounts: { __shell: shellPages } };
const get = (url: string, method = 'GET') => serveAppRequest({ url, method }, opts);

test('serves the bundle with its MIME type and the strict CSP on every reply', async () => {
  const r = await get('trailcase://app/assets/app.js');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(r.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(await r.text(), 'console.log(1)');
  const css = await get('trailcase://app/assets/app.css');
  assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
  const idx = await get('trailcase://app/');
  assert.equal(idx.status, 200);
  assert.match(await idx.text(), /assets\/app\.js/);
  // Client-side routes get the one page.
  assert.match(await (await get('trailcase://app/timeline')).text(), /assets\/app\.js/);
  // The shell's own pages are mounted under /__shell/.
  assert.equal(await (await get('trailcase://app/__shell/')).text(), '<!doctype html>launcher');
  const head = await get('trailcase://app/assets/app.js', 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
  const missing = await get('trailcase://app/assets/nope.js');
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY, 'errors carry the CSP too');
});

test('refuses paths that leave the folder, other hosts, odd types and methods', async () => {
  const refused: [string, number][] = [
    ['trailcase://app/../secret.txt', 404], // URL parsing already folds ".." at the root: stays inside, not found
    ['trailcase://app/assets/%2e%2e/%2e%2e/secret.txt', 404],
    ['trailcase://app/assets/..%2f..%2fsecret.txt', 400],
    ['trailcase://app/assets/..%5c..%5csecret.txt', 400],
    ['trailcase://app/assets/app.js%00.css', 400],
    ['trailcase://app/assets/%E0%A4%A', 400],
    ['trailcase://app/assets/link.txt', 403], // symlink out of the folder
    ['trailcase://app/assets/notes.exe', 404], // no MIME type: not served
    ['trailcase://evil/index.html', 403],
    ['trailcase://app.evil/index.html', 403],
    ['https://app/index.html', 403],
    ['trailcase://app/__shell/../../secret.txt', 404],
  ];
  for (const [url, status] of refused) {
    const r = await get(url);
    assert.equal(r.status, status, url);
    assert.notEqual(await r.text(), 'outside', url);
  }
  assert.equal((await get('trailcase://app/index.html', 'POST')).status, 405);
  assert.equal((await get('trailcase://app/index.html', 'PUT')).status, 405);
});
