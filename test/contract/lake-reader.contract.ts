/**
 * The lake reader contract: what `dubegrid verify` may count on from `LakeReader` on
 * either target, over the same lake: per-day counts and digests of the distinct event
 * ids (a later correction replaces, a redelivery does not add), and the readings of
 * given days. One suite, run against every implementation (`lake-reader.unit.spec.ts`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbParquetWriter } from '../../src/lake/parquet.ts';
import { DayDigests } from '../../src/ops/replay/verify/model.ts';
import type { LakeReader } from '../../src/ops/replay/verify/lake.ts';
import type { ReadingEvent } from '../../src/shared/event.ts';
import { reading, writeLake } from '../support/lake-fixture.ts';
import { tempDir } from '../support/tmp.ts';

const first = [
  reading({ substation: 'S1', feeder: '01', measurement: 'total_active_power', ts: '2025-08-14T15:00:00Z', value: 10 }),
  reading({ substation: 'S1', feeder: '01', measurement: 'total_active_power', ts: '2025-08-14T15:30:00Z', value: 11 }),
  reading({ substation: 'S2', measurement: 'l1_voltage', ts: '2025-08-15T00:00:00Z', value: 240.5 }),
  reading({ substation: 'S2', measurement: 'l1_voltage', ts: '2025-09-01T23:30:00Z', value: 239 }),
];
/** The first reading delivered again, and the second corrected by a later file. */
const later = [
  first[0] as ReadingEvent,
  { ...(first[1] as ReadingEvent), value: 12, ingested_at: '2025-09-02T00:00:00.000Z' },
];

export const LAKE_MONTHS = ['2025-08', '2025-09'] as const;

export function lakeReaderContract(
  name: string,
  make: (lakeDir: string, months: readonly string[]) => Promise<LakeReader>,
): void {
  describe(`lake reader contract: ${name}`, () => {
    let reader: LakeReader;
    let cleanup: () => Promise<void>;

    beforeAll(async () => {
      const t = await tempDir('dubegrid-lake-contract-');
      cleanup = t.cleanup;
      const writer = await DuckDbParquetWriter.open();
      try {
        await writeLake(t.dir, first, writer, 'first');
        await writeLake(t.dir, later, writer, 'later');
      } finally {
        await writer.close();
      }
      reader = await make(t.dir, LAKE_MONTHS);
    });
    afterAll(async () => {
      await reader?.close();
      await cleanup?.();
    });

    it('counts and digests the distinct event ids of each day', async () => {
      const expected = new DayDigests();
      for (const e of first) expected.add(e.ts.slice(0, 10), e.event_id);
      const got = await reader.digests();
      expect([...got.days.keys()].sort()).toEqual(['2025-08-14', '2025-08-15', '2025-09-01']);
      expect(got.differingDays(expected)).toEqual([]);
      expect(got.total.count).toBe(4);
      expect(got.total.toString()).toBe(expected.total.toString());
    });

    it("reads the given days' readings by event id, the correction winning", async () => {
      const got = await reader.readingsOfDays(new Set(['2025-08-14', '2025-09-01']));
      expect(Object.fromEntries(got)).toEqual({
        [first[0]!.event_id]: {
          event_id: first[0]!.event_id,
          asset_id: 'S1:01',
          measurement: 'total_active_power',
          ts: first[0]!.ts,
          value: 10,
        },
        [first[1]!.event_id]: {
          event_id: first[1]!.event_id,
          asset_id: 'S1:01',
          measurement: 'total_active_power',
          ts: first[1]!.ts,
          value: 12,
        },
        [first[3]!.event_id]: {
          event_id: first[3]!.event_id,
          asset_id: 'S2',
          measurement: 'l1_voltage',
          ts: first[3]!.ts,
          value: 239,
        },
      });
    });

    it('reads nothing of a day the lake does not hold', async () => {
      expect((await reader.readingsOfDays(new Set(['2025-07-01']))).size).toBe(0);
    });
  });
}
