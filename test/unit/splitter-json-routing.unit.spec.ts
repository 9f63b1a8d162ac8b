import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SPLITTER_FILTERS } from '../../infra/constructs/triggers.ts';
import { expandInputs, isRawFileName } from '../../src/producers/ingest/inputs.ts';
import { PREFIXES, RAW_SUFFIXES } from '../../src/shared/resources.ts';
import { isSplittableKey, rawShapeOf } from '../../src/shared/s3-keys.ts';
import { tempDir } from '../support/tmp.ts';

describe('JSON and JSON Lines are splittable on both targets, from one list of suffixes', () => {
  it('reads each suffix as its shape, gzipped or not', () => {
    expect(rawShapeOf('raw/a.csv')).toBe('csv');
    expect(rawShapeOf('raw/a.csv.gz')).toBe('csv');
    expect(rawShapeOf('raw/energy.json')).toBe('json');
    expect(rawShapeOf('raw/energy.json.gz')).toBe('json');
    expect(rawShapeOf('raw/telemetry.jsonl')).toBe('ndjson');
    expect(rawShapeOf('raw/telemetry.ndjson.gz')).toBe('ndjson');
    expect(rawShapeOf('raw/telemetry.jsonl.gz')).toBe('ndjson');
    expect(rawShapeOf('raw/a.json.bak')).toBeUndefined();
    expect(isSplittableKey('raw/prod/energy/e.json')).toBe(true);
    expect(isSplittableKey('raw/t.ndjson')).toBe(true);
    expect(isSplittableKey('reference/sources/x.json')).toBe(false);
    expect(isRawFileName('t.jsonl')).toBe(true);
  });

  it('gives S3 one filter per suffix under raw/, none a suffix of another (S3 refuses overlapping filters)', () => {
    expect(SPLITTER_FILTERS).toEqual(RAW_SUFFIXES.map((suffix) => ({ prefix: PREFIXES.raw, suffix })));
    expect(RAW_SUFFIXES).toEqual(
      expect.arrayContaining(['.json', '.json.gz', '.jsonl', '.jsonl.gz', '.ndjson', '.ndjson.gz']),
    );
    for (const a of RAW_SUFFIXES)
      for (const b of RAW_SUFFIXES) if (a !== b) expect(a.endsWith(b), `${a} ends with ${b}`).toBe(false);
  });

  it('walks directories for JSON and JSON Lines files as for CSVs, in a stable order', async () => {
    const { dir, cleanup } = await tempDir();
    await mkdir(join(dir, 'nested'), { recursive: true });
    for (const name of ['b.ndjson', 'a.json', 'notes.txt', 'nested/c.jsonl.gz', 'nested/d.csv'])
      await writeFile(join(dir, name), '');
    expect((await expandInputs([dir])).map((f) => f.name)).toEqual(['a.json', 'b.ndjson', 'c.jsonl.gz', 'd.csv']);
    await cleanup();
  });
});
