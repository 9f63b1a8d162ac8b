/**
 * The record accessor for JSON records: a mapping's path → a getter, compiled once.
 *
 * Path syntax (docs/sources-json.md):
 * - `a.b.c` — nested objects flattened by path;
 * - `a[0]` — an array element by index;
 * - `signals[name=Odometer].value` — the first element of an array of objects whose
 *   field `name` reads `Odometer` (a name/value signal array);
 * - `a["key.with.dots"]` — a key that a dot would split;
 * - `$doc.meta.site` — the document's metadata (the members around the records array)
 *   instead of the record; `$.a` is the record, as `a` is.
 *
 * A field holding a JSON string is parsed when the path goes on into it: seed 004's
 * `body: "{\"value\": true}"` is read by `body.value`. The last string parsed is kept,
 * so reading two fields of one body parses it once.
 */
import type { Getter, NumericGetter, RecordAccessor } from './accessor.ts';

/** One step of a path. */
export type PathStep =
  { readonly key: string } | { readonly index: number } | { readonly where: string; readonly equals: string };

export interface JsonPath {
  /** Read from the document's metadata (`$doc.`) rather than the record. */
  readonly document: boolean;
  readonly steps: readonly PathStep[];
}

export class JsonPathError extends Error {
  override name = 'JsonPathError';
}

const DOC = '$doc';

/** Parses a path; throws JsonPathError saying where it is wrong. */
export function parseJsonPath(path: string): JsonPath {
  let document = false;
  let rest = path;
  if (rest === DOC || rest.startsWith(`${DOC}.`) || rest.startsWith(`${DOC}[`)) {
    document = true;
    rest = rest.slice(DOC.length);
  } else if (rest === '$' || rest.startsWith('$.') || rest.startsWith('$[')) {
    rest = rest.slice(1);
  }
  if (rest.startsWith('.')) rest = rest.slice(1);
  const steps: PathStep[] = [];
  let i = 0;
  const fail = (what: string): never => {
    throw new JsonPathError(`path ${JSON.stringify(path)}: ${what} at character ${path.length - rest.length + i + 1}`);
  };
  while (i < rest.length) {
    if (rest[i] === '[') {
      const close = rest.indexOf(']', i);
      if (close === -1) fail('"[" is not closed');
      const inner = rest.slice(i + 1, close);
      if (/^\d+$/.test(inner)) steps.push({ index: Number(inner) });
      else if (/^".*"$/.test(inner)) steps.push({ key: JSON.parse(inner) as string });
      else if (/^[^=]+=.*$/.test(inner)) {
        const eq = inner.indexOf('=');
        steps.push({ where: inner.slice(0, eq).trim(), equals: inner.slice(eq + 1).trim() });
      } else fail(`"[${inner}]" is neither an index, a "quoted key" nor field=value`);
      i = close + 1;
      if (i < rest.length && rest[i] !== '.' && rest[i] !== '[') fail('expected "." or "[" after "]"');
      if (rest[i] === '.') i++;
      continue;
    }
    let end = i;
    while (end < rest.length && rest[end] !== '.' && rest[end] !== '[') end++;
    if (end === i) fail('an empty key');
    steps.push({ key: rest.slice(i, end) });
    i = end;
    if (rest[i] === '.') {
      i++;
      if (i === rest.length) fail('a path may not end with "."');
    }
  }
  if (steps.length === 0 && !document) fail('an empty path');
  return { document, steps };
}

/** The value at `path` in a record (or the document), undefined when it is not there. */
export function compileJsonPath(path: string, document?: unknown): (record: unknown) => unknown {
  const parsed = parseJsonPath(path);
  const steps = parsed.steps;
  if (parsed.document) {
    // the document's metadata does not change from record to record: read it once
    const value = walk(document, steps);
    return () => value;
  }
  if (steps.length === 1) {
    const step = steps[0] as PathStep;
    if ('key' in step) {
      const key = step.key;
      return (record) => (isObject(record) ? record[key] : undefined);
    }
  }
  return (record) => walk(record, steps);
}

/** A value as the text a field expression works on: strings as they are, numbers and booleans as their JSON text; null as absent. */
export function jsonText(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return Number.isFinite(value) ? String(value) : undefined;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      return value === null ? undefined : JSON.stringify(value);
    default:
      return undefined;
  }
}

/** The JSON record accessor; `document` is the document's metadata, for `$doc.` paths. */
export function jsonAccessor(document?: unknown): RecordAccessor<unknown> {
  return {
    field(name): Getter<unknown> {
      const read = compileJsonPath(name, document);
      return (record) => jsonText(read(record));
    },
    numeric(name): NumericGetter<unknown> {
      const read = compileJsonPath(name, document);
      return (record) => {
        const value = read(record);
        return typeof value === 'number' && Number.isFinite(value) ? value : jsonText(value);
      };
    },
    label: (name) => name,
  };
}

function walk(value: unknown, steps: readonly PathStep[]): unknown {
  let at = value;
  for (const step of steps) {
    if (typeof at === 'string') at = parseEmbedded(at);
    if ('key' in step) {
      at = isObject(at) ? at[step.key] : undefined;
    } else if ('index' in step) {
      at = Array.isArray(at) ? at[step.index] : undefined;
    } else {
      at = Array.isArray(at) ? at.find((el) => isObject(el) && jsonText(el[step.where]) === step.equals) : undefined;
    }
    if (at === undefined) return undefined;
  }
  return at;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

let lastText: string | undefined;
let lastValue: unknown;

/** A JSON string field read as the JSON it holds (the last one is kept: a body's fields are read in turn). */
function parseEmbedded(text: string): unknown {
  if (text === lastText) return lastValue;
  const first = text.trimStart().charCodeAt(0);
  let value: unknown;
  if (first === 0x7b || first === 0x5b) {
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
  }
  lastText = text;
  lastValue = value;
  return value;
}
