/** `npm run soak -- [NAME…] [--json] [--list] [--size smoke|full] [--no-write] [scenario flags]`, parsed. */
import type { ScenarioSize } from '../scenario.ts';

export interface SoakArgs {
  readonly help: boolean;
  readonly list: boolean;
  readonly json: boolean;
  readonly size: ScenarioSize;
  /** Record the figures in docs/reliability.md (a full-size run only). */
  readonly write: boolean;
  /** The scenarios to run, in the registry's order; every one when none is named. */
  readonly names: readonly string[];
  /** Every other flag, for the scenarios (`--kills 3`, `--readings 5000000`). */
  readonly flags: Readonly<Record<string, string | boolean | undefined>>;
}

const HARNESS = ['help', 'list', 'json', 'size', 'no-write'] as const;
/** Harness flags that never take a value. */
const BOOLEAN: readonly string[] = ['help', 'list', 'json', 'no-write'];

export const SOAK_USAGE = [
  'usage: npm run soak -- [NAME…] [--json] [--list] [--size smoke|full] [--no-write] [scenario flags]',
  '',
  '  NAME…        the scenarios to run (default: all, in order)',
  '  --list       list the scenarios and what each checks',
  '  --json       one JSON document on stdout: {"scenarios": [...], "passed": bool}',
  '  --size S     full (default) or smoke, the short version npm test runs',
  '  --no-write   do not record the figures in docs/reliability.md (a smoke run never does)',
  '  other flags  go to every scenario, e.g. --kills 3 --seed 42',
].join('\n');

/**
 * The arguments, or the usage error to print (exit 2). A flag takes a value as `--k=v` or
 * `--k v`; a flag followed by another flag or a scenario's name is `true`.
 */
export function parseSoakArgs(argv: readonly string[], known: readonly string[]): SoakArgs | { error: string } {
  const values: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? '';
    if (token === '-h') values.help = true;
    else if (!token.startsWith('--')) positionals.push(token);
    else {
      const [name = '', inline] = token.slice(2).split(/=(.*)/s);
      const next = argv[i + 1];
      const takesNext =
        inline === undefined &&
        !BOOLEAN.includes(name) &&
        next !== undefined &&
        !next.startsWith('--') &&
        !known.includes(next);
      values[name] = inline ?? (takesNext ? (i++, next) : true);
    }
  }
  const size = values.size ?? 'full';
  if (size !== 'full' && size !== 'smoke') return { error: `--size must be smoke or full, got ${String(size)}` };
  const unknown = positionals.filter((n) => !known.includes(n));
  if (unknown.length)
    return { error: `no scenario named ${unknown.join(', ')} (known: ${known.join(', ')}; see --list)` };
  const flags = Object.fromEntries(Object.entries(values).filter(([k]) => !(HARNESS as readonly string[]).includes(k)));
  return {
    help: values.help === true,
    list: values.list === true,
    json: values.json === true,
    size,
    write: size === 'full' && values['no-write'] !== true,
    names: positionals.length ? known.filter((n) => positionals.includes(n)) : known,
    flags,
  };
}
