/**
 * A split with nowhere to write: the streaming core over a local file, records kept
 * only as the first few events and the quarantine as counts and first messages.
 * `dubegrid sources test` shows it; it needs no stack and no AWS.
 */
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { ReadingEvent } from '../../../shared/event.ts';
import { deaggregate } from '../../../shared/kpl.ts';
import type { QuarantineEntry } from '../../../shared/quarantine.ts';
import { rawShapeOf } from '../../../shared/s3-keys.ts';
import { splitBody, type SplitSummary } from '../core.ts';
import type { CsvMappers } from './set.ts';

export interface DryRun {
  readonly summary: SplitSummary;
  readonly events: ReadingEvent[];
  /** The first entries (up to `keepEntries`). */
  readonly entries: QuarantineEntry[];
}

export async function dryRunSplit(
  path: string,
  options: {
    mappings: CsvMappers;
    sourceName?: string | undefined;
    sourceTimeZone?: string | undefined;
    keepEvents?: number;
    keepEntries?: number;
  },
): Promise<DryRun> {
  const keepEvents = options.keepEvents ?? 20;
  const keepEntries = options.keepEntries ?? 20;
  const events: ReadingEvent[] = [];
  const entries: QuarantineEntry[] = [];
  const summary = await splitBody(
    createReadStream(path, { highWaterMark: 64 * 1024 }),
    {
      source: { bucket: 'dry-run', key: `raw/dry-run/${basename(path)}`, etag: 'dry-run' },
      // the file's suffix says CSV, JSON or JSON Lines, as the raw key does for the splitter
      shape: rawShapeOf(path),
      ingestedAt: new Date().toISOString(),
      mappings: options.mappings,
      sourceName: options.sourceName,
      sourceTimeZone: options.sourceTimeZone,
    },
    {
      put(record) {
        if (events.length >= keepEvents) return;
        for (const u of deaggregate({ data: record.data, partitionKey: record.partitionKey, sequenceNumber: '1' }))
          if (events.length < keepEvents) events.push(JSON.parse(u.data.toString('utf8')) as ReadingEvent);
      },
      needsDrain: false,
      drain: async () => undefined,
    },
    {
      add: (e) => void (entries.length < keepEntries && entries.push(e)),
      needsDrain: false,
      drain: async () => undefined,
    },
  );
  events.sort((a, b) => a.source_line - b.source_line);
  return { summary, events, entries };
}
