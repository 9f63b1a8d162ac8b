/**
 * Mapping text (YAML or JSON — YAML is a superset) → a validated `Mapping`, or a
 * `MappingError` naming each problem by its path and line. The schema check is
 * `mapping.schema.json` through ajv; ajv's raw report for a `oneOf` lists every
 * alternative's complaint, so it is narrowed here to the alternative the author
 * evidently meant (the key they wrote: `column`, `regex`, `kind: json`, …).
 */
import { Ajv, type ErrorObject } from 'ajv';
import { isMap, isNode, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { sha256Hex } from '../hash.ts';
import schema from './mapping.schema.json' with { type: 'json' };
import { MappingError, type MappingProblem } from './errors.ts';
import type { LoadedMapping, Mapping } from './mapping.ts';

export { schema as MAPPING_SCHEMA };

// verbose: an error carries its parent schema, so an unknown key can be answered with the keys allowed
const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
const validate = ajv.compile(schema);

/** The keys that pick an alternative of an expression, in the schema's `oneOf` order (0 is a bare string). */
const EXPR_KEYS = ['', 'column', 'path', 'const', 'template', 'regex', 'lookup', 'var'] as const;
const SHAPE_KINDS = ['csv', 'json', 'ndjson'] as const;

/** Parses and schema-checks mapping text. `origin` names it in errors. */
export function parseMapping(text: string, origin: string): LoadedMapping {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first !== undefined) {
    // the first syntax error only: the ones after it are mostly its echoes
    throw new MappingError(origin, [
      {
        path: '',
        line: lines.linePos(first.pos[0]).line,
        problem: `is not valid YAML or JSON: ${first.message.split('\n')[0] ?? first.code}`,
      },
    ]);
  }
  const data: unknown = doc.toJS({ maxAliasCount: 50 });
  if (!validate(data)) {
    throw new MappingError(origin, explain(validate.errors ?? [], data, doc, lines));
  }
  return { mapping: data as unknown as Mapping, hash: sha256Hex(text), origin };
}

/** Schema problems, narrowed and worded. */
export function explain(
  errors: readonly ErrorObject[],
  data: unknown,
  doc?: Document,
  lines?: LineCounter,
): MappingProblem[] {
  const kept = errors.filter((e) => keep(e, data));
  const chosen = kept.length > 0 ? kept : errors.filter((e) => e.keyword === 'oneOf');
  const seen = new Set<string>();
  const out: MappingProblem[] = [];
  for (const e of chosen) {
    const problem = word(e, data);
    const key = `${problem.path}\u0000${problem.problem}`;
    if (seen.has(key)) continue;
    seen.add(key);
    // an unknown key is on its own line, not its object's
    const at =
      e.keyword === 'additionalProperties'
        ? `${e.instancePath}/${String((e.params as { additionalProperty?: unknown }).additionalProperty)
            .replace(/~/g, '~0')
            .replace(/\//g, '~1')}`
        : e.instancePath;
    out.push({ ...problem, line: doc && lines ? lineOf(doc, lines, at) : undefined });
  }
  return out;
}

function keep(e: ErrorObject, data: unknown): boolean {
  if (e.keyword === 'oneOf') {
    // the top-level choice of reading/readings/signals is worded by its own errors below
    return e.instancePath === '' || explainsNoBranch(e, data);
  }
  // ajv reports an error inside the (recursive, so not inlined) `$defs/expr` relative to it: `#/oneOf/N/…`
  const expr =
    e.instancePath === '' ? null : /^#\/(?:\$defs\/expr\/)?oneOf\/(\d+)\/(?:properties\/([^/]+))?/.exec(e.schemaPath);
  if (expr) {
    const key = expr[2];
    const at = key === undefined ? e.instancePath : e.instancePath.slice(0, e.instancePath.lastIndexOf(`/${key}`));
    return exprBranch(valueAt(data, at)) === Number(expr[1]);
  }
  const shape = /^#\/properties\/shape\/oneOf\/(\d+)\//.exec(e.schemaPath);
  if (shape) {
    const kind = (valueAt(data, '/shape') as { kind?: unknown } | undefined)?.kind;
    const index = SHAPE_KINDS.indexOf(kind as (typeof SHAPE_KINDS)[number]);
    return index < 0 ? shape[1] === '0' && e.keyword === 'const' : index === Number(shape[1]);
  }
  if (/^#\/oneOf\/\d+\/required$/.test(e.schemaPath)) return false; // worded by the top-level oneOf
  return true;
}

/** A oneOf over an expression or a shape where no alternative is recognisable at all. */
function explainsNoBranch(e: ErrorObject, data: unknown): boolean {
  if (e.instancePath !== '' && /^#\/(\$defs\/expr\/)?oneOf$/.test(e.schemaPath))
    return exprBranch(valueAt(data, e.instancePath)) < 0;
  return false;
}

function exprBranch(value: unknown): number {
  if (typeof value === 'string') return 0;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return -1;
  return EXPR_KEYS.findIndex((k, i) => i > 0 && k in value);
}

function word(e: ErrorObject, data: unknown): MappingProblem {
  const path = dotted(e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return {
        path: join(path, String(p.additionalProperty)),
        problem: `is not a key of this object`,
        expected: allowed.length > 0 ? `one of ${allowed.join(', ')}` : undefined,
      };
    }
    case 'required':
      return { path: join(path, String(p.missingProperty)), problem: 'is missing', expected: 'it to be present' };
    case 'type':
      return {
        path,
        problem: `is ${describe(valueAt(data, e.instancePath))}`,
        expected: `${/^[aeiou]/.test(String(p.type)) ? 'an' : 'a'} ${String(p.type)}`,
      };
    case 'enum':
      return {
        path,
        problem: `is ${describe(valueAt(data, e.instancePath))}`,
        expected: `one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'const':
      return {
        path,
        problem: `is ${describe(valueAt(data, e.instancePath))}`,
        // an unknown shape kind fails every alternative; the first one's `csv` is not the whole answer
        expected:
          path === 'shape.kind'
            ? `one of ${SHAPE_KINDS.map((k) => JSON.stringify(k)).join(', ')}`
            : JSON.stringify(p.allowedValue),
      };
    case 'pattern':
      return {
        path,
        problem: `${describe(valueAt(data, e.instancePath))} does not match ${String(p.pattern)}`,
        expected: patternHint(String(p.pattern)),
      };
    case 'oneOf':
      if (e.instancePath === '')
        return { path: '', problem: 'has none or several of reading, readings, signals', expected: 'exactly one' };
      return {
        path,
        problem: `is ${describe(valueAt(data, e.instancePath))}`,
        expected: 'a column/path name, or an object with one of column, path, const, template, regex, lookup, var',
      };
    default:
      return { path, problem: e.message ?? e.keyword, expected: undefined };
  }
}

function patternHint(pattern: string): string | undefined {
  if (pattern.startsWith('^[a-z][a-z0-9_]*')) return 'a lower-case slug such as acme_meters';
  if (pattern.startsWith('^[1-9]')) return 'a duration such as 30m, 1h, 1d';
  if (pattern.startsWith('^raw/')) return 'a prefix under raw/ ending in /';
  return undefined;
}

function describe(value: unknown): string {
  if (value === undefined) return 'absent';
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return `${typeof value} ${text.length > 60 ? `${text.slice(0, 60)}…` : text}`;
}

/** `/readings/2/unit` → `readings[2].unit`. */
export function dotted(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(seg) ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  }
  return out;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function segments(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function valueAt(data: unknown, pointer: string): unknown {
  let v = data;
  for (const seg of segments(pointer)) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[seg];
  }
  return v;
}

function lineOf(doc: Document, lines: LineCounter, pointer: string): number | undefined {
  const path = segments(pointer).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  let node: unknown = doc.contents;
  for (const key of path) {
    if (isMap(node) || isSeq(node)) node = node.get(key, true);
    else break;
  }
  if (!isNode(node) || !node.range) return undefined;
  return lines.linePos(node.range[0]).line;
}
