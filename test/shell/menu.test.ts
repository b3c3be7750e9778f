// The application menu (electron/main/menu.ts) as data: case actions enabled
// only when they make sense (key unlocked, a case open, writable), recent
// cases listed, DevTools only when allowed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MenuItemConstructorOptions } from 'electron';
import { menuTemplate, type MenuActions } from '../../electron/main/menu.ts';

function flat(items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return items.flatMap((i) => [i, ...(Array.isArray(i.submenu) ? flat(i.submenu) : [])]);
}
const clicked: string[] = [];
const actions = new Proxy({} as MenuActions, { get: (_t, k) => (p?: string) => clicked.push(p ? `${String(k)}:${p}` : String(k)) });
const byId = (items: MenuItemConstructorOptions[], id: string) => flat(items).find((i) => i.id === id)!;
const open = { path: '/c/a.trailcase', caseId: 'c1', title: 'A', readonly: false, verification: 'verified' as const };

test('locked key: nothing can be opened; no case: nothing to import, verify or report', () => {
  const m = menuTemplate({ platform: 'linux', keyUnlocked: false, current: null, recent: [], devTools: false }, actions);
  for (const id of ['new-case', 'open-case', 'open-recent', 'close-case', 'import-files', 'import-folders', 'verify', 'report']) assert.equal(byId(m, id).enabled, false, id);
  assert.equal(flat(m).some((i) => i.role === 'toggleDevTools'), false);
  assert.ok(byId(m, 'quit'), 'Quit in the File menu off macOS');
});

test('open writable case: everything on; read-only (failed verification): no import, verify or report', () => {
  const recent = [
    { path: '/c/a.trailcase', caseId: 'c1', title: 'A', lastOpenedAt: '', exists: true },
    { path: '/c/gone.trailcase', caseId: 'c2', title: 'Gone', lastOpenedAt: '', exists: false },
  ];
  const m = menuTemplate({ platform: 'linux', keyUnlocked: true, current: open, recent, devTools: true }, actions);
  for (const id of ['new-case', 'open-case', 'open-recent', 'close-case', 'import-files', 'import-folders', 'verify', 'report']) assert.equal(byId(m, id).enabled, true, id);
  assert.equal(byId(m, 'recent-1').enabled, false, 'a missing file cannot be opened');
  (byId(m, 'recent-0').click as () => void)();
  assert.equal(clicked.at(-1), 'openRecent:/c/a.trailcase');
  assert.equal(flat(m).some((i) => i.role === 'toggleDevTools'), true);
  const ro = menuTemplate({ platform: 'darwin', keyUnlocked: true, current: { ...open, readonly: true, verification: 'failed' }, recent, devTools: false }, actions);
  for (const id of ['import-files', 'import-folders', 'verify', 'report']) assert.equal(byId(ro, id).enabled, false, id);
  assert.equal(byId(ro, 'close-case').enabled, true);
  assert.equal(ro[0].label, 'TrailCase', 'macOS app menu first');
});
