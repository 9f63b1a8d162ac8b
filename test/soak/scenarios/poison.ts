/**
 * Poison in the middle (issue #18 item 3): the reading of the middle row of the sample is
 * poisoned for the state consumer (`DUBEGRID_POISON`, src/local/faults/poison.ts: its
 * batches throw before applying anything). Through the real CLI: the ingest still
 * completes (the shard keeps moving), the mapping bisects the failing batch down to the
 * one record and retries it 3 times (docs/state.md), the DLQ holds exactly that record,
 * verify names what it held back; once the variable is gone ("the fix"), `dlq redrive`
 * applies it and verify passes with every reading in the table exactly once.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CONSUMERS } from '../../../src/shared/consumers.ts';
import { POISON_ENV } from '../../../src/local/faults/poison.ts';
import { runCli } from '../../support/cli.ts';
import {
  dubegrid,
  exactly,
  FAULT_SAMPLE_SIZE,
  figure,
  generateSample,
  lastLine,
  parseJson,
  sampleInputs,
  stackTraceIn,
  verify,
} from '../cli-steps.ts';
import type { Scenario, ScenarioFigure } from '../scenario.ts';

const CONSUMER = CONSUMERS.state;

interface DlqList {
  readonly count: number;
  readonly entries: readonly {
    source: string;
    condition: string;
    attempts: number;
    payload: { records?: number };
  }[];
}

export const poison: Scenario = {
  name: 'poison',
  checks:
    'a reading that makes the state consumer throw, in the middle of the sample: the ingest completes, the failing batch is bisected to its one record, retried 3 times and sent to the DLQ; after the fix `dlq redrive` applies it and verify holds every reading exactly once',
  async run(ctx) {
    const input = join(ctx.scratch, 'input');
    const dataDir = join(ctx.scratch, 'data');
    await generateSample(input, ctx.size, FAULT_SAMPLE_SIZE);
    const poisoned = await middleReading(input, ctx.scratch);
    ctx.log(`poisoning reading ${poisoned} for the ${CONSUMER.name} consumer`);

    const ingest = await dubegrid(dataDir, ['ingest', ...sampleInputs(input), '--wait', '--json'], {
      [POISON_ENV]: `${CONSUMER.name}:${poisoned}`,
    });
    if (ingest.code !== 0) return failed(`the ingest under poison did not complete: ${lastLine(ingest.stderr)}`);
    const emitted = (JSON.parse(ingest.stdout) as { events_emitted: number }).events_emitted;
    // the poison hook's own warnings only: the DLQ's warning quotes the same words in its error (a fifth "lone" invocation once)
    const poisonings = [
      ...ingest.stderr.matchAll(/^warning: [^:\s]+: batch of (\d+) record\(s\) poisoned at record (\d+)/gm),
    ].map((m) => ({
      size: Number(m[1]),
      at: Number(m[2]),
    }));
    const first = poisonings[0];
    // bisection halves the failing batch down to the record, which is then tried 1 + retryAttempts times
    const alone = poisonings.filter((p) => p.size === 1).length;
    const halvings = poisonings.filter((p) => p.size > 1).length;

    const dlq = parseJson<DlqList>((await dubegrid(dataDir, ['dlq', '--json'])).stdout);
    const entry = dlq?.entries[0];
    const before = await verify(dataDir);
    const heldBack = before.report ? emitted - before.report.readings.table.readings : -1;
    const named = before.run.stdout.includes(poisoned);

    const redrive = await dubegrid(dataDir, ['dlq', 'redrive', '--json']);
    const after = await verify(dataDir);
    const dlqAfter = parseJson<DlqList>((await dubegrid(dataDir, ['dlq', '--json'])).stdout);
    const figures: ScenarioFigure[] = [
      figure(
        'first poisoned batch',
        first ? `record ${first.at} of ${first.size}` : 'none',
        undefined,
        '> 1 record',
        (first?.size ?? 0) > 1,
      ),
      figure('bisections to the record', halvings, undefined, '≥ 1', halvings >= 1),
      figure(
        'invocations with the record alone',
        alone,
        undefined,
        `= ${1 + CONSUMER.retryAttempts} (1 + retries)`,
        alone === 1 + CONSUMER.retryAttempts,
      ),
      exactly('DLQ entries after the ingest', dlq?.count ?? -1, 1),
      exactly('records in the DLQ entry', entry?.payload.records ?? -1, 1),
      figure(
        'DLQ entry',
        entry ? `${entry.source}, ${entry.condition}, ${entry.attempts} attempts` : 'none',
        undefined,
        `${CONSUMER.name}, retries_exhausted, ${1 + CONSUMER.retryAttempts} attempts`,
        entry?.source === CONSUMER.name &&
          entry.condition === 'retries_exhausted' &&
          entry.attempts === 1 + CONSUMER.retryAttempts,
      ),
      figure('readings held back with the record', heldBack, undefined, '≥ 1, named by verify', heldBack >= 1 && named),
      figure(
        'dlq redrive',
        redrive.code === 0 ? 'exit 0' : `exit ${redrive.code}`,
        undefined,
        'exit 0',
        redrive.code === 0,
      ),
      exactly('DLQ entries after the redrive', dlqAfter?.count ?? -1),
      figure(
        'verify after the redrive',
        after.report?.ok ? 'passes' : 'fails',
        undefined,
        'passes',
        after.report?.ok === true,
      ),
      exactly('readings in the table − emitted', (after.report?.readings.table.readings ?? 0) - emitted),
      exactly('stack traces', [ingest, redrive].filter((r) => stackTraceIn(r.stderr)).length),
    ];
    const notes = [
      `poisoned invocations (batch size@record): ${poisonings.map((p) => `${p.size}@${p.at}`).join(' ')}`,
      ...(redrive.code !== 0 ? [`dlq redrive: ${lastLine(redrive.stderr)}`] : []),
      ...(after.report && !after.report.ok ? [`verify after the redrive: ${lastLine(after.run.stdout)}`] : []),
    ];
    return { passed: figures.every((f) => f.met !== false), figures, notes };
  },
};

/**
 * The event id of the middle row of the sample's readings file, as the product's own
 * split gives it (`sources test` on that one row), so the poison sits mid-stream.
 */
async function middleReading(input: string, scratch: string): Promise<string> {
  const month = join(input, 'y=2025');
  const [m] = await readdir(month);
  const dir = join(month, m as string);
  const [file] = (await readdir(dir)).filter((f) => f.endsWith('.csv'));
  const lines = (await readFile(join(dir, file as string), 'utf8')).trimEnd().split('\n');
  const one = join(scratch, 'middle-row.csv');
  await writeFile(one, `${lines[0]}\n${lines[Math.floor(lines.length / 2)]}\n`);
  const run = await runCli(['sources', 'test', one, '--json']);
  const id = parseJson<{ events: { event_id: string }[] }>(run.stdout)?.events[0]?.event_id;
  if (!id) throw new Error(`sources test found no reading in the middle row: ${lastLine(run.stderr)}`);
  return id;
}

function failed(note: string) {
  return { passed: false, figures: [], notes: [note] };
}
