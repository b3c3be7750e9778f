// One door (docs/architecture.md): the local methods are in the handler table but no page
// can reach them; methods that need a case refuse without one; and the one
// error mapping gives every transport the same code for the same error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, allMethods } from '../../shared/api/index.ts';
import { localApi } from '../../shared/api/local.ts';
import { makeContext } from '../../electron/api/context.ts';
import { dispatch, handlers } from '../../electron/api/handlers.ts';
import { BadRequest, CodedError, exitCode, Forbidden, httpStatus, NotFound, toApiError, UserError } from '../../electron/errors.ts';
import { KNOWN_CHANNELS } from '../../electron/main/ipc.ts';

test('local methods are dispatched but are no IPC channel and not in the page API', () => {
  for (const m of Object.keys(localApi)) {
    assert.ok(m in allMethods && typeof (handlers as Record<string, unknown>)[m] === 'function', m);
    assert.ok(!(m in api), `${m} is not a page method`);
    assert.ok(!KNOWN_CHANNELS.has(`trailcase:${m}`), `${m} has no IPC channel`);
  }
  for (const m of Object.keys(allMethods)) assert.equal(typeof (handlers as Record<string, unknown>)[m], 'function', m);
});

test('without an open case, a method that needs one is refused and a needs:none method runs', async () => {
  const ctx = makeContext(undefined);
  await assert.rejects(dispatch(ctx, 'caseInfo', {}), (e: Error) => e instanceof UserError && /no case is open/.test(e.message));
  const r = await dispatch(ctx, 'verifyRedacted', { file: '/nonexistent/redacted.json' });
  assert.equal(r.ok, false);
  await assert.rejects(dispatch(ctx, 'createCase', { path: '' }), BadRequest);
});

test('one mapping: code by class, HTTP status and exit code from it', () => {
  const cases: [unknown, string, number, number][] = [
    [new BadRequest('bad'), 'bad-request', 400, 2],
    [new UserError('refused', 1), 'bad-request', 400, 1],
    [new NotFound('no event X in this case'), 'not-found', 400, 2],
    [new Forbidden('no'), 'forbidden', 403, 2],
    [new CodedError('from the case process', 'not-found'), 'not-found', 400, 2],
    [Object.assign(new Error('cloned across a process'), { code: 'forbidden' }), 'forbidden', 403, 2],
    [Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' }), 'failed', 500, 2],
    [new Error('no event X in this case'), 'failed', 500, 2],
  ];
  for (const [e, code, status, exit] of cases) {
    const r = toApiError(e);
    assert.equal(r.error.code, code, (e as Error).message);
    assert.equal(httpStatus(r.error.code), status);
    assert.equal(exitCode(e), exit);
  }
  // An unexpected failure names the call when the transport knows it.
  assert.equal(toApiError(new Error('disk full'), 'importPaths').error.message, 'importPaths: disk full');
  assert.equal(toApiError(new UserError('refused'), 'importPaths').error.message, 'refused');
});
