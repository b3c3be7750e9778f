// Types of build/fetch-electron.mjs (plain JavaScript: it runs at npm install, before anything is built).
export function electronBinary(root?: string): string | null;
export function fetchElectron(env?: NodeJS.ProcessEnv, root?: string): { ok: boolean; line: string | null };
