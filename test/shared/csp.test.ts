// shared/csp.ts: the UI has one Content-Security-Policy, sent by both transports.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UI_CONTENT_SECURITY_POLICY } from '../../shared/csp.ts';
import { HOST_CSP } from '../../electron/host/server.ts';
import { CONTENT_SECURITY_POLICY, RESPONSE_HEADERS } from '../../electron/main/security.ts';

test('the desktop protocol and the browser host send the one UI policy', () => {
  assert.equal(CONTENT_SECURITY_POLICY, UI_CONTENT_SECURITY_POLICY);
  assert.equal(HOST_CSP, UI_CONTENT_SECURITY_POLICY);
  assert.equal(RESPONSE_HEADERS['Content-Security-Policy'], UI_CONTENT_SECURITY_POLICY);
  assert.match(UI_CONTENT_SECURITY_POLICY, /^default-src 'none'; script-src 'self'; /);
});
