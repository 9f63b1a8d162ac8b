/**
 * The soak's older parts, which are vitest specs scaled by the soak hook (test/soak/scale.ts):
 * the data-dir race (20 rounds), the splitter fuzz (3,000 cases per property) and the API's
 * query-parameter fuzz (2,000 requests). The runner
 * runs each in vitest as a scenario, with DUBEGRID_SOAK=1 at full size; their counts and
 * assertions stay in the specs, which `npm test` runs at their quick size.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SOAK_ENV } from '../scale.ts';
import type { Scenario, ScenarioContext, ScenarioResult } from '../scenario.ts';
import { seconds } from '../support/figures.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const VITEST = fileURLToPath(new URL('../../../node_modules/vitest/vitest.mjs', import.meta.url));

/** `only`: run just the spec's tests whose names match it (vitest's `-t`). */
function vitestScenario(name: string, checks: string, project: 'unit' | 'int', spec: string, only?: string): Scenario {
  return {
    name,
    checks,
    run: async (ctx) => runSpec(ctx, project, spec, only),
  };
}

async function runSpec(ctx: ScenarioContext, project: string, spec: string, only?: string): Promise<ScenarioResult> {
  const started = Date.now();
  const env = { ...process.env, [SOAK_ENV]: ctx.size === 'full' ? '1' : '0', NO_COLOR: '1' };
  const args = [VITEST, 'run', '--project', project, spec, ...(only ? ['-t', only] : [])];
  const child = spawn(process.execPath, args, { cwd: ROOT, env });
  let output = '';
  const keep = (b: Buffer): void => {
    output += b.toString();
    for (const line of b.toString().split('\n'))
      if (/✓|×|Tests|data dir race|api fuzz/.test(line)) ctx.log(line.trim());
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const tests = /Tests\s+(.*)/.exec(output)?.[1]?.trim() ?? 'no summary';
  return {
    passed: code === 0,
    figures: [
      { name: 'vitest', value: tests },
      { name: 'duration', value: seconds(Date.now() - started), unit: 's' },
    ],
    notes: [
      // the spec's own summary line (the race's tally), when it prints one
      ...(/data dir race, .*|api fuzz: .*/.exec(output) ?? []),
      ...(code === 0
        ? []
        : [
            `vitest exited ${code}: ${output
              .split('\n')
              .filter((l) => /FAIL|Error/.test(l))
              .slice(0, 3)
              .join(' | ')}`,
          ]),
    ],
  };
}

export const dataDirRace = vitestScenario(
  'data-dir-race',
  '`up` and five commands started together on one data dir, 20 rounds, from a crashed state and every other round killed: every command succeeds or says why in one line, and `up` ends up serving',
  'int',
  'test/int/data-dir-race.int.spec.ts',
);

export const splitterFuzz = vitestScenario(
  'splitter-fuzz',
  'random bytes, random CSV and mutated real headers and rows through the splitter core, 3,000 cases per property: no crash, no hang, the accounting invariant on every input',
  'unit',
  'test/unit/splitter-fuzz.unit.spec.ts',
);

export const apiFuzz = vitestScenario(
  'api-fuzz',
  'random query and path parameters (random text, numbers, dates, near-misses of valid values, valid ones) against every GET route with parameters of the embedded API, over a sample: 2,000 requests, every answer documented by the OpenAPI document, a refusal one line saying why, never a 5xx',
  'int',
  'test/int/api.int.spec.ts',
  'under a fuzzer',
);
