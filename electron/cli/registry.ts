// CLI commands are small registered units: a name, a usage line, options in
// node:util parseArgs form, and a run function. `--json` puts machine-readable
// output on stdout; messages go to stderr.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { displayText } from '../../shared/text/display.ts';

/**
 * A value from the case as a text line shows it (docs/architecture.md, "Display integrity"): hidden and
 * direction-changing characters (line breaks and tabs too, so a value cannot
 * forge a line) as ⟨U+…⟩ escapes, past `max` shortened with its length stated;
 * '-' for nothing. --json output keeps every value exactly.
 */
export function shown(v: unknown, max = 200): string {
  return v === null || v === undefined || v === '' ? '-' : displayText(v, max);
}

export interface CliIO {
  json: boolean;
  out(s: string): void;
  err(s: string): void;
  /** Write machine output (JSON when --json, else the text form). */
  result(value: unknown, text?: () => string): void;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options?: ParseArgsConfig['options'];
  /** Returns the exit code. */
  run(args: { positionals: string[]; values: Record<string, any>; io: CliIO }): Promise<number> | number;
}

const commands = new Map<string, Command>();

export function registerCommand(c: Command): void {
  if (commands.has(c.name)) throw new Error(`command ${c.name} registered twice`);
  commands.set(c.name, c);
}

export function allCommands(): Command[] {
  return [...commands.values()];
}

export function getCommand(name: string): Command | undefined {
  return commands.get(name);
}

export const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseCommandArgs(c: Command, argv: string[]) {
  return parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...(c.options ?? {}) }, allowPositionals: true, strict: true });
}
