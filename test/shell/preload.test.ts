// The object the preload exposes as window.trailcase (electron/main/preload-api.ts):
// exactly the API's methods, each one invoke on its own channel, errors
// surfaced as thrown Errors; no ipcRenderer, no generic channel access.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api } from '../../shared/api/index.ts';
import { buildPreloadApi } from '../../electron/main/preload-api.ts';
import { KNOWN_CHANNELS } from '../../electron/main/ipc.ts';

test('exactly one function per API method, on the channel the main process registers', async () => {
  const calls: [string, unknown][] = [];
  const exposed = buildPreloadApi(Object.keys(api), async (ch, args) => {
    calls.push([ch, args]);
    return { result: { ok: ch } };
  });
  assert.deepEqual(Object.keys(exposed).sort(), Object.keys(api).sort());
  assert.ok(Object.isFrozen(exposed));
  assert.equal(Object.getPrototypeOf(exposed), null, 'no inherited members (no constructor, no __proto__ tricks)');
  for (const k of ['ipcRenderer', 'invoke', 'send', 'on', 'sendSync']) assert.equal((exposed as Record<string, unknown>)[k], undefined, k);
  for (const [m, fn] of Object.entries(exposed)) {
    assert.equal(typeof fn, 'function');
    assert.deepEqual(await fn({ a: 1 }), { ok: `trailcase:${m}` });
  }
  for (const [ch] of calls) assert.ok(KNOWN_CHANNELS.has(ch), ch);
  await exposed.caseInfo();
  assert.deepEqual(calls.at(-1), ['trailcase:caseInfo', {}], 'missing arguments become {}');
});

test('an ApiError reply becomes a thrown Error naming its code; a malformed reply is an error too', async () => {
  const exposed = buildPreloadApi(['getEvent', 'caseInfo'], async (ch) =>
    ch.endsWith('getEvent') ? { error: { message: 'no event X in this case', code: 'not-found' } } : 'garbage',
  );
  await assert.rejects(exposed.getEvent({ eventId: 'X' }), (e: Error) => e.message === 'no event X in this case' && e.name === 'TrailCaseError[not-found]');
  await assert.rejects(exposed.caseInfo({}), /malformed reply/);
  assert.throws(() => buildPreloadApi(['__proto__'], async () => null), /bad method name/);
});
