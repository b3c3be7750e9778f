// Static check (docs/packaging.md): no file other than the IPC wrapper registers raw IPC
// handlers (ipcMain.handle/on/once/handleOnce, or a webContents' own .ipc),
// no file other than the security block calls shell.openExternal, only the
// preload touches ipcRenderer, and only main.ts takes ipcMain/shell from
// Electron (to hand them to those two). Scans electron/, renderer/, shared/
// and build/ sources; the scanner is tested on bad snippets first so it
// cannot pass by matching nothing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../../electron/version.ts';
import { sourceFiles } from '../lint/layering.ts';

const IPC_WRAPPER = 'electron/main/ipc.ts';
const SECURITY_BLOCK = 'electron/main/security.ts';
const PRELOAD = 'electron/main/preload.ts';
const MAIN = 'electron/main/main.ts';

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:\\])\/\/.*$/gm, '$1');
}

/** Every rule this file enforces, as [what, pattern, files allowed]. */
const RULES: [string, RegExp, string[]][] = [
  ['raw ipcMain handler', /\bipcMain\s*\.\s*(handle|handleOnce|on|once|addListener|prependListener)\b/, [IPC_WRAPPER]],
  ['ipcMain method taken apart', /\{[^}]*\b(handle|handleOnce)\b[^}]*\}\s*=\s*ipcMain\b/, []],
  ["a webContents' own IPC handler", /\.\s*ipc\s*\.\s*(handle|handleOnce|on|once|addListener)\b/, []],
  ['shell.openExternal', /\bshell\s*\.\s*openExternal\b|\{[^}]*\bopenExternal\b[^}]*\}\s*=\s*shell\b/, [SECURITY_BLOCK]],
  ['ipcRenderer', /\bipcRenderer\b/, [PRELOAD]],
  ['ipcMain/shell imported from electron', /import\s*\{[^}]*\b(ipcMain|shell)\b[^}]*\}\s*from\s*['"]electron['"]|require\(\s*['"]electron['"]\s*\)\s*\.\s*(ipcMain|shell)\b/, [MAIN]],
];

export function violations(file: string, src: string): string[] {
  const code = stripComments(src);
  const out: string[] = [];
  for (const [what, re, allowed] of RULES) {
    if (re.test(code) && !allowed.includes(file)) out.push(`${file}: ${what}`);
  }
  return out;
}

const SKIP = new Set(['node_modules', 'dist', 'rules', 'fixtures']);
function sources(dir: string): string[] {
  return sourceFiles(dir, SKIP).map((p) => relative(ROOT, p).split('\\').join('/'));
}

test('the scanner catches each forbidden form', () => {
  const bad: [string, string][] = [
    ["ipcMain.handle('x', () => 1)", 'raw ipcMain handler'],
    ['ipcMain . on("x", f)', 'raw ipcMain handler'],
    ['const { handle } = ipcMain', 'ipcMain method taken apart'],
    ["win.webContents.ipc.handle('x', f)", "a webContents' own IPC handler"],
    ["shell.openExternal('https://evil.example')", 'shell.openExternal'],
    ['const { openExternal } = shell', 'shell.openExternal'],
    ["contextBridge.exposeInMainWorld('x', ipcRenderer)", 'ipcRenderer'],
    ["import { app, shell } from 'electron'", 'ipcMain/shell imported from electron'],
    ["const m = require('electron').ipcMain", 'ipcMain/shell imported from electron'],
  ];
  for (const [snippet, what] of bad) assert.deepEqual(violations('electron/x.ts', snippet).map((v) => v.split(': ')[1]).includes(what), true, snippet);
  assert.deepEqual(violations('electron/x.ts', '// ipcMain.handle in a comment\n/* shell.openExternal */ const a = 1;'), []);
  assert.deepEqual(violations(SECURITY_BLOCK, "await shell.openExternal(url)"), []);
});

test('no other file registers IPC handlers or opens external URLs', () => {
  const files = ['electron', 'renderer', 'shared', 'build'].flatMap((d) => sources(join(ROOT, d)));
  assert.ok(files.includes(IPC_WRAPPER) && files.includes(SECURITY_BLOCK) && files.length > 50, 'the scan sees the sources');
  const found = files.flatMap((f) => violations(f, readFileSync(join(ROOT, f), 'utf8')));
  assert.deepEqual(found, []);
  // The allowed places really are where it happens.
  assert.match(stripComments(readFileSync(join(ROOT, SECURITY_BLOCK), 'utf8')), /shell\.openExternal\(/);
  assert.match(stripComments(readFileSync(join(ROOT, IPC_WRAPPER), 'utf8')), /ipcMain\.handle\(/);
  assert.match(stripComments(readFileSync(join(ROOT, MAIN), 'utf8')), /registerIpc\(ipcMain,/);
});
