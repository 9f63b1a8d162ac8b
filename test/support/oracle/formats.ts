/**
 * THE ORACLE (test only): the splitter's format detection before mappings, over the
 * old hand-written mappers, shaped as the core's `CsvMappers` so the same core runs
 * either side by side (property test, `npm run bench -- sources`).
 */
import { duplicateColumn, normaliseHeader } from '../../../src/producers/splitter/formats.ts';
import type { CsvMappers } from '../../../src/producers/splitter/mapping/set.ts';
import { TimestampReader } from '../../../src/producers/splitter/timestamps.ts';
import { DnoWideMapper } from './dno-wide.ts';
import { LvLongMapper } from './lv-long.ts';

export function oracleMappers(sourceTimeZone = 'UTC'): CsvMappers {
  return {
    chooseCsv(header) {
      if (duplicateColumn(header) !== undefined) return { mapper: undefined, why: 'a column twice' };
      const names = normaliseHeader(header);
      const mapper =
        LvLongMapper.forHeader(names, new TimestampReader(sourceTimeZone)) ?? DnoWideMapper.forHeader(names);
      return mapper === undefined
        ? { mapper: undefined, why: 'not a known format' }
        : { mapper, name: mapper.format, hash: 'oracle', why: 'oracle' };
    },
  };
}
