/**
 * The JSON side of the splitter core: which reader a JSON object needs, which mapping
 * reads its records, and each record through that mapping into the split's accounting
 * (core.ts: the same events, quarantine entries and counts as a CSV row's).
 *
 * The mapping is chosen on the first record, as a CSV header chooses it (mapping/set.ts):
 * the source the object names (`ingest --source`), else among the mappings of the
 * object's shape (for a JSON document, those whose records path is the one the reader
 * found) the one naming the longest raw prefix of the key, else the highest priority
 * that recognises the record (or the document's metadata, for `recognise.json.in:
 * document`). With none, every record is `unknown_format`, saying why.
 */
import type { QuarantineReason } from '../../shared/quarantine.ts';
import type { SplitAccount } from './core.ts';
import { ArrayBatch, JsonDocumentReader, NdjsonRecordReader, type JsonItem, type JsonObject } from './json-records.ts';
import type { Mapping } from '../../shared/sources/mapping.ts';
import type { CompiledMapping, Recognition, RecordMapper } from './mapping/compile.ts';
import { compileJsonPath, jsonAccessor, JsonPathError, parseJsonPath } from './mapping/json-accessor.ts';
import { clip } from './rows.ts';

export type JsonReader = NdjsonRecordReader | JsonDocumentReader;

/** A JSON document's records path (`$` for a document that is the array) as keys; throws JsonPathError for anything else. */
export function recordsPathOf(records: string): string[] {
  if (records === '$') return [];
  const parsed = parseJsonPath(records);
  if (parsed.document) throw new JsonPathError(`records path ${JSON.stringify(records)}: records are in the document`);
  return parsed.steps.map((step) => {
    if (!('key' in step))
      throw new JsonPathError(`records path ${JSON.stringify(records)}: only keys lead to the records array`);
    return step.key;
  });
}

/** The reader for a JSON shape; a document reader looks for records where the JSON mappings say they are. */
export function jsonReaderFor(shape: 'json' | 'ndjson', mappings: readonly CompiledMapping[]): JsonReader {
  if (shape === 'ndjson') return new NdjsonRecordReader();
  const paths: string[][] = [];
  for (const m of mappings) {
    if (m.mapping.shape.kind !== 'json') continue;
    const path = recordsPathOf(m.mapping.shape.records);
    if (!paths.some((p) => samePath(p, path))) paths.push(path);
  }
  return new JsonDocumentReader({ recordsPaths: paths.length > 0 ? paths : [[]] });
}

export class JsonRecordSplit {
  /** undefined until the first record chooses; then a mapper, or why every record is rejected. */
  private mapper: RecordMapper<unknown> | { reason: QuarantineReason; message: string } | undefined;

  constructor(
    private readonly account: SplitAccount,
    private readonly reader: JsonReader,
    private readonly mappings: readonly CompiledMapping[],
    /** The object's key, for mappings that claim a raw prefix. */
    private readonly sourceKey = '',
    /** The source the object names (`ingest --source`): its mapping, whatever the record. */
    private readonly sourceName?: string | undefined,
  ) {}

  process(items: readonly JsonItem[]): void {
    const account = this.account;
    for (const item of items) {
      if (account.stopped) return;
      if (item instanceof ArrayBatch) {
        this.batch(item);
        continue;
      }
      if ('reject' in item) {
        account.rejected(item.reject, item.line, item.raw, item.message);
        continue;
      }
      const mapper = (this.mapper ??= this.choose(item.value));
      if ('reason' in mapper) {
        account.rejected(mapper.reason, item.line, item.raw, mapper.message);
        continue;
      }
      account.mapped(item.line, item.raw, 0, item.raw.length, mapper, item.value);
    }
  }

  /** A batch's records, each handed over as numbers into the batch's text (no text or object per record). */
  private batch(batch: ArrayBatch): void {
    const account = this.account;
    const { values, text, starts, ends, lines } = batch;
    for (let k = 0; k < values.length; k++) {
      if (account.stopped) return;
      const value = values[k] as JsonObject;
      const mapper = (this.mapper ??= this.choose(value));
      if ('reason' in mapper) account.rejected(mapper.reason, lines[k] as number, batch.raw(k), mapper.message);
      else account.mapped(lines[k] as number, text, starts[k] as number, ends[k] as number, mapper, value);
    }
  }

  private choose(record: unknown): RecordMapper<unknown> | { reason: QuarantineReason; message: string } {
    const document = this.reader instanceof JsonDocumentReader ? this.reader : undefined;
    const kind = document ? 'json' : 'ndjson';
    const fits = (m: CompiledMapping): boolean => {
      const shape = m.mapping.shape;
      if (shape.kind !== kind) return false;
      return shape.kind !== 'json' || samePath(recordsPathOf(shape.records), document?.recordsPath ?? []);
    };
    let chosen: { m: CompiledMapping; why: string } | undefined;
    const whyNot: string[] = [];
    if (this.sourceName !== undefined && this.sourceName !== '') {
      const m = this.mappings.find((c) => c.name === this.sourceName);
      if (m === undefined)
        whyNot.push(`the object names the source ${JSON.stringify(this.sourceName)}, which no mapping has`);
      else if (!fits(m)) whyNot.push(`the object names the source ${m.name}, which reads ${describeShape(m)}`);
      else chosen = { m, why: `the object names its source: ${m.name}` };
    } else {
      const candidates = this.mappings.filter(fits).sort((a, b) => b.priority - a.priority);
      let prefix = '';
      for (const m of candidates)
        for (const p of m.mapping.recognise.prefixes ?? [])
          if (this.sourceKey.startsWith(p) && p.length > prefix.length) {
            prefix = p;
            chosen = { m, why: `the key is under ${p}, which names ${m.name}` };
          }
      for (const m of chosen ? [] : candidates) {
        const verdict = recogniseJson(m.mapping, record, document?.metadata);
        if (verdict.matched) {
          chosen = { m, why: verdict.why };
          break;
        }
        whyNot.push(`${m.name}: ${verdict.why}`);
      }
      if (candidates.length === 0)
        whyNot.push(`no ${kind === 'json' ? 'JSON document' : 'JSON Lines'} mapping is known`);
    }
    if (chosen === undefined) {
      this.account.setMapping(null);
      const keys = Object.keys(record as object).join(', ');
      return {
        reason: 'unknown_format',
        message: clip(`no mapping takes the first record, whose keys are ${keys} (${whyNot.join('; ')})`, 600),
      };
    }
    const { m, why } = chosen;
    this.account.setMapping({ name: m.name, hash: m.hash, why });
    try {
      return m.forRecords(jsonAccessor(document?.metadata));
    } catch (err) {
      return {
        reason: 'mapping_error',
        message: `mapping ${m.name} cannot read these records: ${(err as Error).message}`,
      };
    }
  }
}

function describeShape(m: CompiledMapping): string {
  const shape = m.mapping.shape;
  return shape.kind === 'json'
    ? `a JSON document with records at ${shape.records}`
    : shape.kind === 'csv'
      ? 'CSV'
      : 'JSON Lines';
}

/**
 * Whether a JSON record (or, for `recognise.json.in: document`, the document's
 * metadata) is a mapping's layout: every path of `recognise.json.paths` is present.
 */
export function recogniseJson(mapping: Mapping, record: unknown, document: unknown): Recognition {
  const json = mapping.recognise.json;
  if (mapping.shape.kind === 'csv' || json === undefined)
    return { matched: false, why: `${mapping.name} does not recognise JSON by its keys` };
  const where = json.in === 'document' ? 'the document' : 'the record';
  const target = json.in === 'document' ? document : record;
  const missing = json.paths.filter((p) => compileJsonPath(p, document)(target) === undefined);
  if (missing.length > 0) return { matched: false, why: `${where} lacks ${missing.join(', ')}` };
  return { matched: true, why: `${where} has ${json.paths.join(', ')}` };
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}
