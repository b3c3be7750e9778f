// electron-builder afterPack hook (build/electron-builder.yml): flip the
// Electron fuses of the packed binary (docs/packaging.md) before
// electron-builder signs it and builds the installers. Plain JavaScript
// because electron-builder imports it directly.
//
//   RunAsNode                              off  ELECTRON_RUN_AS_NODE cannot turn the app into a Node interpreter
//   EnableNodeOptionsEnvironmentVariable   off  NODE_OPTIONS cannot inject code
//   EnableNodeCliInspectArguments          off  --inspect cannot attach a debugger to the main process
//   EnableEmbeddedAsarIntegrityValidation  on   app.asar is checked against the hash embedded at build (macOS, Windows)
//   OnlyLoadAppFromAsar                    on   the app runs only from app.asar, not a folder dropped beside it
//   EnableCookieEncryption                 on   cookies on disk encrypted with the OS key (the app keeps none, by design)
//   GrantFileProtocolExtraPrivileges       off  file:// gets no special powers (the app uses trailcase://)
//
// After flipping, the wire is read back and every fuse checked, so a build
// never ships with a fuse silently unset (e.g. a wire shorter than expected).
import { FuseV1Options, FuseVersion, flipFuses, getCurrentFuseWire } from '@electron/fuses';
import { join } from 'node:path';

/** The fuses, by name, as booleans (tests read this). */
export const FUSES = Object.freeze({
  RunAsNode: false,
  EnableCookieEncryption: true,
  EnableNodeOptionsEnvironmentVariable: false,
  EnableNodeCliInspectArguments: false,
  EnableEmbeddedAsarIntegrityValidation: true,
  OnlyLoadAppFromAsar: true,
  GrantFileProtocolExtraPrivileges: false,
});

/** @param {string} platform @param {string} arch */
export function fuseConfig(platform, arch) {
  /** @type {import('@electron/fuses').FuseV1Config} */
  const config = {
    version: FuseVersion.V1,
    // Flipping fuses invalidates the ad-hoc signature of Apple silicon builds.
    resetAdHocDarwinSignature: platform === 'darwin' && arch === 'arm64',
  };
  for (const [name, value] of Object.entries(FUSES)) config[FuseV1Options[name]] = value;
  return config;
}

const ARCH = ['ia32', 'x64', 'armv7l', 'arm64', 'universal'];

/**
 * Path of the packed Electron binary, as electron-builder names it.
 * @param {{ appOutDir: string, electronPlatformName: string, packager: { executableName?: string, appInfo: { productFilename: string } } }} context
 */
export function electronBinaryPath(context) {
  const p = context.electronPlatformName;
  if (p === 'darwin' || p === 'mas') return join(context.appOutDir, `${context.packager.appInfo.productFilename}.app`);
  if (p === 'win32') return join(context.appOutDir, `${context.packager.appInfo.productFilename}.exe`);
  return join(context.appOutDir, context.packager.executableName ?? context.packager.appInfo.productFilename);
}

/** @param {any} context electron-builder's AfterPackContext */
export default async function afterPack(context) {
  const binary = electronBinaryPath(context);
  const arch = typeof context.arch === 'number' ? ARCH[context.arch] : String(context.arch);
  await flipFuses(binary, fuseConfig(context.electronPlatformName, arch));
  const wire = await getCurrentFuseWire(binary);
  const wrong = Object.entries(FUSES).filter(([name, want]) => wire[FuseV1Options[name]] !== (want ? 49 /* '1' */ : 48 /* '0' */));
  if (wrong.length) throw new Error(`fuses not set in ${binary}: ${wrong.map(([n]) => n).join(', ')}`);
  console.log(`  • fuses set on ${binary}: ${Object.entries(FUSES).map(([n, v]) => `${n}=${v ? 'on' : 'off'}`).join(' ')}`);
}
