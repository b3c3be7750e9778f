// The validating IPC wrapper (electron/main/ipc.ts) with fake ipcMain and event
// objects: a call from our main frame on our origin with valid arguments
// reaches the handler; a forged sender (another origin, a sub-frame, another
// webContents, a destroyed frame), an unknown channel or bad arguments is
// refused before any handler runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api } from '../../shared/api/index.ts';
import { channelOf, checkInvocation, KNOWN_CHANNELS, registerIpc, type FrameLike, type WebContentsLike } from '../../electron/main/ipc.ts';

function frame(url: string, parent: FrameLike | null = null, ids: { processId?: number; routingId?: number } = {}): FrameLike {
  return { url, parent, ...ids };
}

function setup() {
  const main = frame('trailcase://app/index.html', null, { processId: 4, routingId: 1 });
  const wc: WebContentsLike = { id: 3, mainFrame: main, isDestroyed: () => false };
  const handlers = new Map<string, (event: any, ...args: unknown[]) => unknown>();
  const ipcMain = {
    handle: (ch: string, fn: any) => {
      assert.ok(!handlers.has(ch), `${ch} registered twice`);
      handlers.set(ch, fn);
    },
    removeHandler: (ch: string) => handlers.delete(ch),
  };
  const ran: { method: string; args: unknown }[] = [];
  const refused: string[] = [];
  const unregister = registerIpc(ipcMain, {
    trusted: () => wc,
    call: async (method, args) => {
      ran.push({ method, args });
      if (method === 'getEvent') throw Object.assign(new Error('no event X in this case'), { code: 'not-found' });
      return { echoed: method };
    },
    onRefused: (ch, reason) => refused.push(`${ch}: ${reason}`),
  });
  const invoke = (ch: string, event: any, ...args: unknown[]) => {
    const h = handlers.get(ch);
    if (!h) throw new Error(`no handler for ${ch}`);
    return h(event, ...args) as Promise<any>;
  };
  return { main, wc, handlers, ran, refused, invoke, unregister };
}

test('one handler per API method, on trailcase:<method> channels only', () => {
  const s = setup();
  const methods = Object.keys(api);
  assert.equal(s.handlers.size, methods.length);
  for (const m of methods) assert.ok(s.handlers.has(`trailcase:${m}`), m);
  for (const ch of s.handlers.keys()) assert.ok(KNOWN_CHANNELS.has(ch));
  s.unregister();
  assert.equal(s.handlers.size, 0);
});

test('a call from our main frame on our origin with valid arguments runs, parsed (defaults applied)', async () => {
  const s = setup();
  const r = await s.invoke(channelOf('searchEvents'), { sender: s.wc, senderFrame: s.main }, { filter: { eventNames: ['StopLogging'] } });
  assert.deepEqual(r, { result: { echoed: 'searchEvents' } });
  assert.equal(s.ran.length, 1);
  assert.deepEqual(s.ran[0].args, { filter: { eventNames: ['StopLogging'] }, offset: 0, limit: 500, sort: 'time', desc: false });
  // The same frame object looked up again (WebFrameMain is per lookup): same process + routing id is the same frame.
  const again = frame('trailcase://app/index.html#/timeline', null, { processId: 4, routingId: 1 });
  assert.deepEqual(await s.invoke(channelOf('caseInfo'), { sender: s.wc, senderFrame: again }, {}), { result: { echoed: 'caseInfo' } });
  // The same webContents through another wrapper object: same id, same window.
  assert.deepEqual(await s.invoke(channelOf('caseInfo'), { sender: { id: 3, mainFrame: s.main }, senderFrame: s.main }, {}), { result: { echoed: 'caseInfo' } });
  assert.deepEqual(s.refused, []);
});

test('forged senders are refused before any handler runs', async () => {
  const s = setup();
  const other: WebContentsLike = { id: 8, mainFrame: frame('trailcase://app/index.html', null, { processId: 9, routingId: 1 }) };
  const sub = frame('trailcase://app/index.html', s.main, { processId: 4, routingId: 7 });
  const cases: [string, any][] = [
    ['another origin (https)', { sender: s.wc, senderFrame: frame('https://evil.example/', null, { processId: 4, routingId: 1 }) }],
    ['another trailcase host', { sender: s.wc, senderFrame: frame('trailcase://app.evil/index.html', null, { processId: 4, routingId: 1 }) }],
    ['file origin', { sender: s.wc, senderFrame: frame('file:///tmp/x.html', null, { processId: 4, routingId: 1 }) }],
    ['a sub-frame on our origin', { sender: s.wc, senderFrame: sub }],
    ['a top frame that is not the main frame', { sender: s.wc, senderFrame: frame('trailcase://app/index.html', null, { processId: 4, routingId: 99 }) }],
    ['another webContents', { sender: other, senderFrame: other.mainFrame }],
    ['a destroyed frame', { sender: s.wc, senderFrame: null }],
    ['no sender at all', {}],
  ];
  for (const [what, event] of cases) {
    const r = await s.invoke(channelOf('addNote'), event, { text: 'x' });
    assert.equal(r.error?.code, 'forbidden', what);
  }
  assert.equal(s.ran.length, 0, 'no handler ran');
  assert.equal(s.refused.length, cases.length);
  assert.match(s.refused[0], /not on the app origin \(https:\/\/evil\.example\)/);
  assert.match(s.refused[3], /sub-frame/);
});

test('when the app window is gone nothing is trusted', async () => {
  const main = frame('trailcase://app/index.html');
  const wc = { mainFrame: main, isDestroyed: () => true };
  assert.equal(checkInvocation(channelOf('caseInfo'), { sender: wc, senderFrame: main }, [{}], wc).ok, false);
  assert.equal(checkInvocation(channelOf('caseInfo'), { sender: wc, senderFrame: main }, [{}], null).ok, false);
});

test('unknown channels and bad arguments are refused before any handler runs', async () => {
  const s = setup();
  const good = { sender: s.wc, senderFrame: s.main };
  for (const ch of ['trailcase:__proto__', 'trailcase:constructor', 'trailcase:dispatch', 'caseInfo', 'trailcase:caseinfo', '']) {
    const c = checkInvocation(ch, good, [{}], s.wc);
    assert.equal(c.ok, false, ch);
    if (!c.ok) assert.equal(c.reply.error.code, 'forbidden');
  }
  const bad: [string, unknown[]][] = [
    ['addNote', [{}]], // text missing
    ['addNote', [{ text: 'x', extra: 1 }]], // strict schema
    ['addNote', [{ text: 'x'.repeat(10_001) }]],
    ['searchEvents', [{ limit: -1 }]],
    ['searchEvents', [{ filter: { ips: 'not-a-list' } }]],
    ['getEvent', ['event-id-as-string']],
    ['caseInfo', [{}, { second: 'argument' }]],
    ['openExternal', [{ url: 42 }]],
    ['unlockKey', [{ passphrase: 'short' }]],
  ];
  for (const [m, args] of bad) {
    const r = await s.invoke(channelOf(m as any), good, ...args);
    assert.equal(r.error?.code, 'bad-request', `${m} ${JSON.stringify(args).slice(0, 60)}`);
  }
  assert.equal(s.ran.length, 0, 'no handler ran');
});

test('handler errors come back as ApiError with their code, never as a thrown IPC error', async () => {
  const s = setup();
  const r = await s.invoke(channelOf('getEvent'), { sender: s.wc, senderFrame: s.main }, { eventId: 'X' });
  assert.deepEqual(r, { error: { code: 'not-found', message: 'no event X in this case' } });
});
