// The loopback host (docs/architecture.md, "The renderer"): who may talk to it (token, Host, Origin,
// cross-site), what it serves (the bundle with a strict CSP), and how API
// calls and their errors come back. Plain HTTP from Node; no browser needed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { connect } from 'node:net';
import { importPaths } from '../../electron/ingest/import-files.ts';
import { startHost, type Host } from '../../electron/host/server.ts';
import { CaseStore } from '../../electron/case/store.ts';
import { tempCase, type TempCase } from '../support/case.ts';

let c: TempCase;
let host: Host;

before(async () => {
  c = tempCase('host test');
  await importPaths(c.store, c.signer, { sources: ['test/fixtures/stratus-red-team/detonation-logs'] });
  host = await startHost({ store: c.store, signer: c.signer });
});
after(async () => {
  await host.close();
  c.cleanup();
});

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request, so Host, Origin and the path are sent exactly as given. */
function raw(opts: { method?: string; path: string; headers?: Record<string, string>; body?: string; port?: number }): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: opts.port ?? host.port, method: opts.method ?? 'GET', path: opts.path, headers: { Host: `127.0.0.1:${host.port}`, ...opts.headers }, setHost: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

const api = (method: string, args: unknown, headers: Record<string, string> = {}) =>
  raw({ method: 'POST', path: `/api/${method}`, headers: { 'Content-Type': 'application/json', 'X-TrailCase-Token': host.token, ...headers }, body: JSON.stringify(args) });

test('it listens on 127.0.0.1 only, with a long random token in the URL', async () => {
  assert.match(host.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
  const other = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal);
  if (!other) return; // no non-loopback interface on this machine: nothing more to try
  const reached = await new Promise<boolean>((resolve) => {
    const s = connect({ host: other.address, port: host.port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
  assert.equal(reached, false, `reachable on ${other.address}`);
});

test('the page is served with the token, with a strict CSP, and sets the cookie for its assets', async () => {
  const page = await raw({ path: `/?token=${host.token}` });
  assert.equal(page.status, 200);
  assert.match(page.headers['content-type'] as string, /text\/html/);
  const csp = page.headers['content-security-policy'] as string;
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  assert.doesNotMatch(page.body, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
  assert.doesNotMatch(page.body, /<style|style="/, 'no inline style');
  const cookie = String(page.headers['set-cookie']);
  assert.match(cookie, new RegExp(`trailcase_token_${host.port}=${host.token}`));
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  const js = await raw({ path: '/app.js', headers: { Cookie: `trailcase_token_${host.port}=${host.token}` } });
  assert.equal(js.status, 200);
  assert.match(js.headers['content-type'] as string, /javascript/);
  const css = await raw({ path: '/app.css', headers: { Cookie: `trailcase_token_${host.port}=${host.token}` } });
  assert.equal(css.status, 200);
  assert.match(css.body, /\.vis-timeline/, 'vis-timeline CSS is in the bundle');
});

test('requests without the token, or with a wrong one, are refused', async () => {
  assert.equal((await raw({ path: '/' })).status, 403);
  assert.equal((await raw({ path: '/app.js' })).status, 403);
  assert.equal((await raw({ path: '/?token=wrong' })).status, 403);
  assert.equal((await raw({ path: '/app.js', headers: { Cookie: `trailcase_token_${host.port}=nope` } })).status, 403);
  const noToken = await raw({ method: 'POST', path: '/api/caseInfo', headers: { 'Content-Type': 'application/json' }, body: '{}' });
  assert.equal(noToken.status, 403);
  assert.deepEqual(JSON.parse(noToken.body).error.code, 'forbidden');
  assert.equal((await api('caseInfo', {}, { 'X-TrailCase-Token': host.token.slice(1) + 'x' })).status, 403);
  // The cookie alone does not open the API (a forged cross-site POST would carry it).
  const cookieOnly = await raw({
    method: 'POST',
    path: '/api/caseInfo',
    headers: { 'Content-Type': 'application/json', Cookie: `trailcase_token_${host.port}=${host.token}` },
    body: '{}',
  });
  assert.equal(cookieOnly.status, 403);
});

test('a foreign Host header (DNS rebinding), a foreign Origin or a cross-site fetch are refused', async () => {
  assert.equal((await api('caseInfo', {}, { Host: `evil.example:${host.port}` })).status, 403);
  assert.equal((await api('caseInfo', {}, { Host: '127.0.0.1' })).status, 403);
  assert.equal((await api('caseInfo', {}, { Host: `127.0.0.1:${host.port + 1}` })).status, 403);
  assert.equal((await raw({ path: `/?token=${host.token}`, headers: { Host: `attacker.test:${host.port}` } })).status, 403);
  assert.equal((await api('caseInfo', {}, { Origin: 'http://evil.example' })).status, 403);
  assert.equal((await api('caseInfo', {}, { Origin: `http://127.0.0.1:${host.port + 1}` })).status, 403);
  assert.equal((await api('caseInfo', {}, { Origin: 'null' })).status, 403);
  assert.equal((await api('caseInfo', {}, { 'Sec-Fetch-Site': 'cross-site' })).status, 403);
  // Our own names and origin are fine.
  assert.equal((await api('caseInfo', {}, { Host: `localhost:${host.port}`, Origin: `http://localhost:${host.port}` })).status, 200);
  assert.equal((await api('caseInfo', {}, { Origin: `http://127.0.0.1:${host.port}`, 'Sec-Fetch-Site': 'same-origin' })).status, 200);
});

test('API calls go through the shared handler table, errors come back as JSON with 400/404/500', async () => {
  const info = await api('caseInfo', {});
  assert.equal(info.status, 200);
  assert.equal(JSON.parse(info.body).title, 'host test');
  assert.equal(JSON.parse(info.body).counts.events, 310);
  const search = JSON.parse((await api('searchEvents', { filter: { ips: ['75.50.255.67'] }, limit: 5 })).body);
  assert.ok(search.total > 0);
  assert.equal(search.events[0].sourceIPAddress, '075.050.255.67');

  const unknown = await api('dropTables', {});
  assert.equal(unknown.status, 404);
  assert.equal(JSON.parse(unknown.body).error.code, 'not-found');
  const bad = await api('searchEvents', { limit: -1 });
  assert.equal(bad.status, 400);
  assert.deepEqual(Object.keys(JSON.parse(bad.body)), ['error']);
  assert.match(JSON.parse(bad.body).error.message, /bad arguments: limit/);
  const notJson = await raw({ method: 'POST', path: '/api/caseInfo', headers: { 'Content-Type': 'application/json', 'X-TrailCase-Token': host.token }, body: '{nope' });
  assert.equal(notJson.status, 400);
  assert.match(JSON.parse(notJson.body).error.message, /not valid JSON/);
  const wrongType = await raw({ method: 'POST', path: '/api/caseInfo', headers: { 'Content-Type': 'text/plain', 'X-TrailCase-Token': host.token }, body: '{}' });
  assert.equal(wrongType.status, 400);
  const userError = await api('getEvent', { eventId: 'no-such-event' });
  assert.equal(userError.status, 400);
  assert.match(JSON.parse(userError.body).error.message, /no event no-such-event/);
  const internal = await api('jobStatus', { id: 'no-such-job' });
  assert.equal(internal.status, 500);
  assert.equal(JSON.parse(internal.body).error.code, 'failed');
  const get = await raw({ path: '/api/caseInfo', headers: { 'X-TrailCase-Token': host.token } });
  assert.equal(get.status, 405);
  // App-only methods (shell issue) answer with a clear error here.
  const appOnly = await api('recentCases', {});
  assert.equal(appOnly.status, 400);
  assert.match(JSON.parse(appOnly.body).error.message, /not available in the browser host/);
});

test('the table sorts dictionary columns by their text and addresses numerically, not by first appearance', async () => {
  const byName = JSON.parse((await api('searchEvents', { sort: 'eventName', limit: 1000 })).body).events.map((e: { eventName: string }) => e.eventName);
  assert.equal(byName.length, 310);
  assert.deepEqual(byName, [...byName].sort((x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0)));
  const desc = JSON.parse((await api('searchEvents', { sort: 'eventName', desc: true, limit: 1 })).body).events[0].eventName;
  assert.equal(desc, byName[byName.length - 1]);
  const ips = JSON.parse((await api('searchEvents', { sort: 'sourceIPAddress', limit: 1000 })).body).events.map((e: { sourceIPAddress: string }) => e.sourceIPAddress);
  const num = (ip: string) => (/^[\d.]+$/.test(ip) ? ip.split('.').reduce((a, o) => a * 256 + Number(o), 0) : Infinity);
  for (let i = 1; i < ips.length; i++) assert.ok(num(ips[i - 1]) <= num(ips[i]), `${ips[i - 1]} before ${ips[i]}`);
});

test('writes through the host are custody-logged like any other transport', async () => {
  const ev = JSON.parse((await api('searchEvents', { limit: 1 })).body).events[0];
  const r = await api('addNote', { target: `event:${ev.eventId}`, text: 'seen from the loopback host' });
  assert.equal(r.status, 200);
  const seq = JSON.parse(r.body).seq;
  const row = c.store.db.prepare('SELECT actor, action, details FROM custody WHERE seq = ?').get(seq) as { actor: string; action: string; details: string };
  assert.equal(row.action, 'note');
  assert.equal(row.actor, c.signer.examiner);
  assert.equal(JSON.parse(row.details).text, 'seen from the loopback host');
});

test('nothing outside the bundle folder is served', async () => {
  const cookie = { Cookie: `trailcase_token_${host.port}=${host.token}` };
  for (const path of ['/../package.json', '/..%2f..%2fpackage.json', '/%2e%2e/%2e%2e/package.json', '/build.json', '/nope.js']) {
    const r = await raw({ path, headers: cookie });
    assert.equal(r.status, 404, path);
    assert.doesNotMatch(r.body, /"name": "trailcase"/);
  }
});

test('each run has its own token; a port in use is a clear error; closing frees the case it opened', async () => {
  const second = await startHost({ casePath: c.path, signer: c.signer, skipTimelineIndex: true });
  try {
    assert.notEqual(second.token, host.token);
    assert.notEqual(second.port, host.port);
    await assert.rejects(startHost({ store: c.store, port: second.port }), /port \d+ is in use/);
  } finally {
    await second.close();
  }
  // The first host's case (passed in as a store) is still open and usable.
  assert.equal((await api('caseInfo', {})).status, 200);
  const reopened = CaseStore.open(c.path, { readonly: true });
  reopened.close();
});

test('trailcase serve prints the URL, serves it, and closes the case cleanly on Ctrl-C', async () => {
  const { spawn } = await import('node:child_process');
  const { existsSync, mkdtempSync, copyFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  // A copy of the case, so this process's open connection and the child's do not share a file.
  const dir = mkdtempSync(join(tmpdir(), 'serve-cli-'));
  const path = join(dir, 'copy.trailcase');
  c.store.db.pragma('wal_checkpoint(TRUNCATE)');
  copyFileSync(c.path, path);
  const child = spawn(process.execPath, ['electron/cli/trailcase.js', 'serve', path, '--json'], {
    env: { ...process.env, TRAILCASE_HOME: c.home, TRAILCASE_PASSPHRASE: 'test-passphrase-1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no URL printed: ${stdout}`)), 30_000);
    child.stdout.on('data', () => {
      const m = /"url": "([^"]+)"/.exec(stdout);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
  });
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.equal((await fetch(url.split('?')[0])).status, 403);
  const code = await new Promise<number | null>((resolve) => {
    child.on('exit', (c2) => resolve(c2));
    child.kill('SIGINT');
  });
  assert.equal(code, 0);
  assert.equal(existsSync(`${path}-wal`), false, 'the case was closed as one file');
});
