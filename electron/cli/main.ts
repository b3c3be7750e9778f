// `trailcase` command line. Errors are one clear line and a non-zero exit;
// a stack trace only with --debug or TRAILCASE_DEBUG=1.
import './commands/index.ts';
import { escapeHidden } from '../../shared/text/display.ts';
import { exitCode, toApiError, UserError } from '../errors.ts';
import { TOOL_VERSION } from '../version.ts';
import { allCommands, getCommand, parseCommandArgs, type CliIO } from './registry.ts';

function help(): string {
  const lines = [`TrailCase ${TOOL_VERSION}: forensic case workstation for AWS CloudTrail`, '', 'Usage: trailcase COMMAND [options]', ''];
  for (const c of allCommands()) lines.push(`  ${c.name.padEnd(14)} ${c.summary}`);
  lines.push('', 'Every command takes --json (machine-readable output on stdout) and --help.');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const debug = argv.includes('--debug') || process.env.TRAILCASE_DEBUG === '1';
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(`TrailCase ${TOOL_VERSION}\n`);
    return 0;
  }
  const cmd = getCommand(name);
  if (!cmd) {
    process.stderr.write(`trailcase: unknown command '${name}' (try trailcase --help)\n`);
    return 2;
  }
  try {
    let parsed;
    try {
      parsed = parseCommandArgs(cmd, rest);
    } catch (e) {
      throw new UserError(`${(e as Error).message.split('\n')[0]}\nusage: ${cmd.usage}`);
    }
    if (parsed.values.help) {
      process.stdout.write(`usage: ${cmd.usage}\n\n${cmd.summary}\n`);
      return 0;
    }
    const json = !!parsed.values.json;
    const io: CliIO = {
      json,
      out: (s) => process.stdout.write(s + '\n'),
      err: (s) => process.stderr.write(s + '\n'),
      result(value, text) {
        if (json || !text) process.stdout.write(JSON.stringify(value, null, json ? 2 : 0) + '\n');
        // Display integrity (docs/architecture.md, "Display integrity"): a terminal obeys bidi controls and hides zero-width
        // characters too. Formatters escape each value (displayText); this catches any value
        // a formatter printed whole, keeping only the formatter's own line breaks and tabs.
        else process.stdout.write(escapeHidden(text(), { keepLayout: true, escaped: true }) + '\n');
      },
    };
    return await cmd.run({ positionals: parsed.positionals, values: parsed.values as Record<string, any>, io });
  } catch (e) {
    // The one error mapping (electron/errors.ts): the message as every transport gives it, the exit code by class.
    const msg = toApiError(e).error.message;
    process.stderr.write(`trailcase ${name}: error: ${escapeHidden(msg, { keepLayout: true, escaped: true })}\n`);
    if (debug && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
    return exitCode(e);
  }
}

const code = await main(process.argv.slice(2));
// Benchmarks read the peak resident set size of the whole process (all threads).
if (process.env.TRAILCASE_REPORT_RSS === '1') process.stderr.write(`rss-max-kb ${process.resourceUsage().maxRSS}\n`);
// Let stdout drain before exiting (large --json outputs to a pipe).
process.stdout.write('', () => process.exit(code));
