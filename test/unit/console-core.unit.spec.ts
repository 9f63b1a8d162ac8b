import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SseParser } from '../../src/console/app/sse.ts';
import { align, loadPct, rangeEnding } from '../../src/console/app/series.ts';
import { toCsv } from '../../src/console/app/csv.ts';
import { parseConsoleConfig } from '../../src/shared/console-config.ts';

describe('console SSE parser', () => {
  const stream = 'event: alert\ndata: {"a":1}\nid: 7\n\n: keep-alive\n\ndata: line one\ndata: line two\n\n';

  it('yields whole events: data lines joined, event and id kept, comments ignored', () => {
    expect(new SseParser().push(stream)).toEqual([
      { event: 'alert', data: '{"a":1}', id: '7' },
      { event: 'message', data: 'line one\nline two', id: '7' },
    ]);
  });

  it('gives the same events however the stream is split into chunks, with any line endings', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(stream.length), { maxLength: 8 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        (cuts, eol) => {
          const text = stream.replace(/\n/g, eol);
          const points = [...new Set(cuts.map((c) => Math.min(c, text.length)))].sort((a, b) => a - b);
          const parser = new SseParser();
          const events = [];
          let at = 0;
          for (const p of [...points, text.length]) {
            events.push(...parser.push(text.slice(at, p)));
            at = p;
          }
          expect(events).toEqual(new SseParser().push(stream));
        },
      ),
    );
  });

  it('holds an unfinished event until its blank line arrives', () => {
    const p = new SseParser();
    expect(p.push('data: {"x":')).toEqual([]);
    expect(p.push('2}\n')).toEqual([]);
    expect(p.push('\n')).toEqual([{ event: 'message', data: '{"x":2}', id: undefined }]);
  });
});

describe('console series', () => {
  it('aligns series on the union of their timestamps, null where one has no reading', () => {
    const a = { t: [1754870400_000, 1754871600_000], v: [1, 3] };
    const b = { t: [1754871000_000], v: [2] };
    const { xs, columns } = align([a, b]);
    expect(xs).toEqual([1754870400, 1754871000, 1754871600]);
    expect(columns).toEqual([
      [1, null, 3],
      [null, 2, null],
    ]);
  });

  it('load against rating is the most loaded column as a percentage', () => {
    expect(
      loadPct(
        [
          [100, null, 50],
          [150, null, null],
        ],
        200,
      ),
    ).toEqual([75, null, 25]);
  });

  it('a range ends just after the given time (the API excludes its end)', () => {
    expect(rangeEnding('2025-08-17T23:50:00.000Z', 7)).toEqual({
      from: '2025-08-10T23:50:01.000Z',
      to: '2025-08-17T23:50:01.000Z',
    });
  });
});

describe('console CSV', () => {
  it('quotes fields with commas, quotes and line breaks, and leaves empty cells empty', () => {
    expect(
      toCsv(
        ['a', 'b', 'c'],
        [
          { a: 'x,y', b: 'say "hi"', c: null },
          { a: 1.5, b: 'two\nlines' },
        ],
      ),
    ).toBe('a,b,c\r\n"x,y","say ""hi""",\r\n1.5,"two\nlines",\r\n');
  });
});

describe('console config.json', () => {
  it('reads the local form', () => {
    expect(parseConsoleConfig({ target: 'local' })).toEqual({ target: 'local' });
  });

  it('reads the AWS form, trimming a trailing slash and a scheme on the hosted UI domain', () => {
    expect(
      parseConsoleConfig({
        target: 'aws',
        api_url: 'https://x.execute-api.eu-west-2.amazonaws.com/',
        user_pool_id: 'eu-west-2_abc',
        app_client_id: 'client',
        hosted_ui_domain: 'https://dg.auth.eu-west-2.amazoncognito.com/',
      }),
    ).toEqual({
      target: 'aws',
      api_url: 'https://x.execute-api.eu-west-2.amazonaws.com',
      user_pool_id: 'eu-west-2_abc',
      app_client_id: 'client',
      hosted_ui_domain: 'dg.auth.eu-west-2.amazoncognito.com',
    });
  });

  it('names the missing field', () => {
    expect(() => parseConsoleConfig({ target: 'aws', api_url: 'https://x' })).toThrow(/user_pool_id is required/);
    expect(() => parseConsoleConfig({ target: 'gcp' })).toThrow(/target must be "local" or "aws"/);
    expect(() => parseConsoleConfig(null)).toThrow(/not a JSON object/);
  });
});
