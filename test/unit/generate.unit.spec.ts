import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { withGlobalOptions } from '../../src/cli/command.ts';
import { registerGenerate } from '../../src/cli/register/generate.ts';
import {
  ASSETS_FILE,
  generate,
  GenerateOptionsError,
  LV_MONITOR_COLUMNS,
  parseInterval,
  type GenerateOptions,
  type GenerateSummary,
} from '../../src/generate/index.ts';
import { ASSETS_CSV_COLUMNS } from '../../src/shared/assets-csv.ts';
import { resolveGenerateOptions } from '../../src/generate/options.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dubegrid-gen-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function run(options: GenerateOptions): Promise<GenerateSummary> {
  return generate({ out: await tempDir(), ...options });
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

interface Row {
  readonly substation: string;
  readonly name: string;
  readonly ts: string;
  readonly attribute: string;
  readonly feeder: string;
  readonly description: string;
  readonly units: string;
  readonly value: number;
}

async function readRows(path: string): Promise<{ header: string; rows: Row[] }> {
  const [header = '', ...lines] = (await readFile(path, 'utf8')).trimEnd().split('\n');
  const rows = lines.map((line) => {
    const f = line.split(',');
    if (f.length !== 8) throw new Error(`not 8 fields: ${line}`);
    const [substation, name, ts, attribute, feeder, description, units, value] = f as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    return { substation, name, ts, attribute, feeder, description, units, value: Number(value) };
  });
  return { header, rows };
}

async function readAssets(out: string): Promise<Record<string, string>[]> {
  const [header = '', ...lines] = (await readFile(join(out, ASSETS_FILE), 'utf8')).trimEnd().split('\n');
  const columns = header.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [columns[i], v])));
}

/** Every series (substation, feeder, description) → its values in time order, with their times. */
function seriesOf(rows: readonly Row[]): Map<string, { ts: string[]; values: number[] }> {
  const series = new Map<string, { ts: string[]; values: number[] }>();
  for (const r of rows) {
    const key = `${r.substation}|${r.feeder}|${r.description}`;
    let s = series.get(key);
    if (!s) series.set(key, (s = { ts: [], values: [] }));
    s.ts.push(r.ts);
    s.values.push(r.value);
  }
  return series;
}

describe('generate: determinism', () => {
  it('writes byte-identical files for the same seed, and different ones for another seed', async () => {
    const options = { substations: 3, days: 1, seed: 42 };
    const [a, b, c] = await Promise.all([run(options), run(options), run({ ...options, seed: 43 })]);
    const names = await filesUnder(a.out);
    expect(names).toEqual(await filesUnder(b.out));
    for (const name of names) {
      const [x, y] = await Promise.all([readFile(join(a.out, name)), readFile(join(b.out, name))]);
      expect(x.length, name).toBeGreaterThan(0);
      expect(x.equals(y), name).toBe(true);
    }
    const month = a.files[0]?.path ?? '';
    expect(await readFile(join(c.out, relative(a.out, month)), 'utf8')).not.toEqual(await readFile(month, 'utf8'));
  });

  it('gives a substation the same readings whatever the size of the run', async () => {
    const [small, large] = await Promise.all([run({ substations: 1, days: 1 }), run({ substations: 3, days: 1 })]);
    const only = (rows: Row[]): Row[] => rows.filter((r) => r.substation === 'LV100001');
    const a = only((await readRows(small.files[0]?.path ?? '')).rows);
    const b = only((await readRows(large.files[0]?.path ?? '')).rows);
    expect(a.length).toBeGreaterThan(0);
    expect(b).toEqual(a);
  });
});

describe('generate: layout', () => {
  it('writes one file per month, each with only its own month, rows in time order', async () => {
    const summary = await run({ substations: 2, days: 2, start: '2025-01-31', intervalMinutes: 30 });
    expect(summary.files.map((f) => relative(summary.out, f.path))).toEqual([
      join('y=2025', 'm=01', 'lv_data_2025_01.csv'),
      join('y=2025', 'm=02', 'lv_data_2025_02.csv'),
    ]);
    for (const [i, file] of summary.files.entries()) {
      const { header, rows } = await readRows(file.path);
      expect(header).toBe(LV_MONITOR_COLUMNS.join(','));
      expect(header).toBe(
        'Substation Number,Substation Name,Timestamp,Attribute Type,Feeder ID,Description,Units,Value',
      );
      expect(rows).toHaveLength(file.rows);
      expect(rows.every((r) => r.ts.startsWith(i === 0 ? '2025-01-31T' : '2025-02-01T'))).toBe(true);
      expect(rows.map((r) => r.ts)).toEqual([...rows.map((r) => r.ts)].sort());
    }
    expect(summary.rows).toBe(summary.files.reduce((s, f) => s + f.rows, 0));
    expect(summary).toMatchObject({
      start: '2025-01-31T00:00:00Z',
      end: '2025-02-02T00:00:00Z',
      interval_minutes: 30,
      substations: 2,
    });
  });

  it('orders each interval as: per substation, each feeder’s 8 rows, then the transformer row', async () => {
    const summary = await run({ substations: 2, days: 1 });
    const { rows } = await readRows(summary.files[0]?.path ?? '');
    const assets = await readAssets(summary.out);
    const first = rows.filter((r) => r.ts === '2025-08-11T00:00:00Z');
    const expected = [...new Set(assets.map((a) => a.substation_number))].flatMap((sub) => [
      ...assets
        .filter((a) => a.substation_number === sub)
        .flatMap((a) =>
          [
            'L1 Current',
            'L2 Current',
            'L3 Current',
            'L1 Voltage',
            'L2 Voltage',
            'L3 Voltage',
            'Total Active Power',
            'Total Reactive Power',
          ].map((d) => `${sub}|feeder|${a.feeder_id}|${d}`),
        ),
      `${sub}|transformer||Total Apparent Power`,
    ]);
    expect(first.map((r) => `${r.substation}|${r.attribute}|${r.feeder}|${r.description}`)).toEqual(expected);
    const units = Object.fromEntries(rows.map((r) => [r.description, r.units]));
    expect(units).toEqual({
      'L1 Current': 'A',
      'L2 Current': 'A',
      'L3 Current': 'A',
      'L1 Voltage': 'V',
      'L2 Voltage': 'V',
      'L3 Voltage': 'V',
      'Total Active Power': 'kW',
      'Total Reactive Power': 'kVAR',
      'Total Apparent Power': 'kVA',
    });
    expect(rows.every((r) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00Z$/.test(r.ts))).toBe(true);
  });
});

describe('generate: physical ranges', () => {
  interface Week {
    readonly assets: Record<string, string>[];
    readonly rows: Row[];
    readonly series: ReturnType<typeof seriesOf>;
  }
  const DAYS = 4;
  let weeks: Week[] = [];
  beforeAll(async () => {
    // Summer (a sunny spell for seed 3: PV exports at midday) and winter (the heaviest
    // demand); 8 substations, 2 with PV.
    const runs = await Promise.all([
      run({ substations: 8, days: DAYS, start: '2025-06-16', seed: 3 }),
      run({ substations: 8, days: DAYS, start: '2025-01-16', seed: 3 }),
    ]);
    weeks = await Promise.all(
      runs.map(async (summary) => {
        const { rows } = await readRows(summary.files[0]?.path ?? '');
        return { assets: await readAssets(summary.out), rows, series: seriesOf(rows) };
      }),
    );
  }, 60_000);
  const feederOf = (assets: Record<string, string>[], sub: string, feeder: string): Record<string, string> =>
    assets.find((a) => a.substation_number === sub && a.feeder_id === feeder) ?? {};
  /** Each series' key with the readings (at their times) that break `ok`. */
  const breaches = (
    week: Week,
    select: (key: string) => boolean,
    ok: (values: number[], i: number, key: string) => boolean,
  ): string[] =>
    [...week.series].flatMap(([key, s]) =>
      select(key) ? s.values.flatMap((v, i) => (ok(s.values, i, key) ? [] : [`${key} ${s.ts[i]} ${v}`])) : [],
    );

  it('keeps voltages well inside 216.2–253 V', () => {
    for (const week of weeks)
      expect(
        breaches(
          week,
          (k) => k.endsWith('Voltage'),
          (v, i) => v[i]! >= 226 && v[i]! <= 249,
        ),
      ).toEqual([]);
  });

  it('keeps currents positive and under 85% of the feeder rating', () => {
    for (const week of weeks) {
      const rating = (key: string): number => {
        const [sub = '', feeder = ''] = key.split('|');
        return Number(feederOf(week.assets, sub, feeder).feeder_rated_current_a);
      };
      expect(
        breaches(
          week,
          (k) => k.endsWith('Current'),
          (v, i, key) => v[i]! > 0 && v[i]! <= 0.85 * rating(key),
        ),
      ).toEqual([]);
    }
  });

  it('keeps the transformer positive and under 85% of its rating', () => {
    for (const week of weeks) {
      const rating = (key: string): number =>
        Number(week.assets.find((a) => a.substation_number === key.split('|')[0])?.transformer_kva);
      expect(
        breaches(
          week,
          (k) => k.endsWith('Apparent Power'),
          (v, i, key) => v[i]! > 0 && v[i]! <= 0.85 * rating(key),
        ),
      ).toEqual([]);
    }
  });

  it('makes only feeders with generation export, and they do in summer', () => {
    for (const week of weeks) {
      const generating = (key: string): boolean => {
        const [sub = '', feeder = ''] = key.split('|');
        return feederOf(week.assets, sub, feeder).has_generation === 'true';
      };
      expect(
        breaches(
          week,
          (k) => k.endsWith('Total Active Power'),
          (v, i, key) => v[i]! >= 0 || generating(key),
        ),
      ).toEqual([]);
    }
    const summer = weeks[0] as Week;
    expect(summer.assets.filter((a) => a.has_generation === 'true').length).toBeGreaterThan(0);
    expect(summer.rows.filter((r) => r.description === 'Total Active Power' && r.value < 0).length).toBeGreaterThan(0);
  });

  it('has no gaps: every series has every interval', () => {
    for (const week of weeks) {
      for (const [key, s] of week.series) expect(s.ts.length, key).toBe(DAYS * 144);
      expect(
        breaches(
          week,
          () => true,
          (_v, i, key) =>
            i === 0 ||
            Date.parse(week.series.get(key)!.ts[i]!) - Date.parse(week.series.get(key)!.ts[i - 1]!) === 600_000,
        ),
      ).toEqual([]);
    }
  });

  it('never repeats a value 6 times in a row (no flatline)', () => {
    const sixth = (v: number[], i: number): boolean => i < 5 || new Set(v.slice(i - 5, i + 1)).size > 1;
    for (const week of weeks)
      expect(
        breaches(
          week,
          () => true,
          (v, i) => sixth(v, i),
        ),
      ).toEqual([]);
  });

  it('keeps each phase current within 30% of the three-phase mean', () => {
    for (const week of weeks) {
      const phase = (key: string, n: number, i: number): number =>
        week.series.get(key.replace(/L\d Current/, `L${n} Current`))!.values[i]!;
      const balanced = (key: string, i: number): boolean => {
        const p = [1, 2, 3].map((n) => phase(key, n, i));
        const mean = (p[0]! + p[1]! + p[2]!) / 3;
        return p.every((x) => Math.abs(x - mean) <= 0.3 * mean);
      };
      expect(
        breaches(
          week,
          (k) => k.endsWith('L1 Current'),
          (_v, i, key) => balanced(key, i),
        ),
      ).toEqual([]);
    }
  });

  it('makes active and reactive power consistent with voltages and currents', () => {
    for (const week of weeks) {
      const at = (key: string, d: string, i: number): number =>
        week.series.get(key.replace('L1 Current', d))!.values[i]!;
      const consistent = (key: string, i: number): boolean => {
        const vi = [1, 2, 3].reduce((s, n) => s + at(key, `L${n} Current`, i) * at(key, `L${n} Voltage`, i), 0) / 1000;
        return (
          Math.abs(vi - Math.hypot(at(key, 'Total Active Power', i), at(key, 'Total Reactive Power', i))) <=
          0.5 + 0.01 * vi
        );
      };
      expect(
        breaches(
          week,
          (k) => k.endsWith('L1 Current'),
          (_v, i, key) => consistent(key, i),
        ),
      ).toEqual([]);
    }
  });

  // Above ~4.5 are rare, and then on PV feeders as net power crosses zero (see model.ts).
  it('has no spike: no reading is 5.5 standard deviations from the mean of the previous 24', () => {
    const window = 24;
    const z = (v: number[], i: number): number => {
      const w = v.slice(i - window, i);
      const mean = w.reduce((a, b) => a + b, 0) / window;
      const sd = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / window);
      return Math.abs(v[i]! - mean) / sd;
    };
    for (const week of weeks)
      expect(
        breaches(
          week,
          () => true,
          (v, i) => i < window || z(v, i) < 5.5,
        ),
      ).toEqual([]);
  });
});

describe('generate: assets.csv', () => {
  it('has one row per feeder with the registry columns and plausible values', async () => {
    const summary = await run({ substations: 12, days: 1 });
    const header = (await readFile(summary.assets_file, 'utf8')).split('\n')[0];
    expect(header).toBe(ASSETS_CSV_COLUMNS.join(','));
    expect(header).toBe(
      'substation_number,substation_name,feeder_id,transformer_kva,feeder_rated_current_a,has_generation,latitude,longitude,interval_minutes',
    );
    const assets = await readAssets(summary.out);
    expect(assets).toHaveLength(summary.feeders);
    const substations = new Set(assets.map((a) => a.substation_number));
    expect(substations.size).toBe(12);
    expect([...substations][0]).toBe('LV100001');
    for (const a of assets) {
      expect(a.substation_number).toMatch(/^LV\d{6}$/);
      expect(a.substation_name).toMatch(/^[A-Z][A-Za-z ]+$/);
      expect(a.feeder_id).toMatch(/^0[1-4]$/);
      expect([200, 315, 500, 800, 1000]).toContain(Number(a.transformer_kva));
      expect([200, 250, 315, 400]).toContain(Number(a.feeder_rated_current_a));
      expect(['true', 'false']).toContain(a.has_generation);
      expect(Number(a.latitude)).toBeGreaterThan(49.9);
      expect(Number(a.latitude)).toBeLessThan(58.7);
      expect(Number(a.longitude)).toBeGreaterThan(-6.4);
      expect(Number(a.longitude)).toBeLessThan(1.8);
      // no registry interval: the generated monitors are known by their observed cadence
      expect(a.interval_minutes).toBe('');
    }
    // One substation in four has PV.
    const withPv = new Set(assets.filter((a) => a.has_generation === 'true').map((a) => a.substation_number));
    expect(withPv.size).toBe(3);
    expect(summary.substations_with_generation).toBe(3);
  });
});

describe('generate: the transform hook', () => {
  it('sees every reading and can change or drop it', async () => {
    const clean = await run({ substations: 2, days: 1, seed: 5 });
    const seen: string[] = [];
    const faulty = await run({
      substations: 2,
      days: 1,
      seed: 5,
      transform: (r) => {
        seen.push(r.measure.description);
        if (r.measure.attributeType === 'transformer') return null;
        return r.measure.description === 'L1 Voltage' ? { ...r, value: 0 } : r;
      },
    });
    expect(seen).toHaveLength(clean.rows);
    const { rows } = await readRows(faulty.files[0]?.path ?? '');
    const cleanRows = (await readRows(clean.files[0]?.path ?? '')).rows;
    expect(rows).toHaveLength(cleanRows.filter((r) => r.attribute !== 'transformer').length);
    expect(faulty.rows).toBe(rows.length);
    expect(rows.filter((r) => r.description === 'L1 Voltage').every((r) => r.value === 0)).toBe(true);
    expect(rows.filter((r) => r.description === 'L2 Voltage')).toEqual(
      cleanRows.filter((r) => r.description === 'L2 Voltage'),
    );
  });
});

describe('generate: options', () => {
  it.each([
    ['5m', 5],
    ['10m', 10],
    ['30min', 30],
    ['1h', 60],
  ])('reads the interval %s', (text, minutes) => {
    expect(parseInterval(text)).toBe(minutes);
  });

  it.each([
    [{ substations: 0 }, /substations/],
    [{ days: 1.5 }, /days/],
    [{ intervalMinutes: 7 }, /divide a day/],
    [{ start: '2025-02-30' }, /calendar date/],
    [{ start: '11/08/2025' }, /YYYY-MM-DD/],
    [{ seed: -1 }, /seed/],
  ] as const)('rejects %o', (options, message) => {
    expect(() => resolveGenerateOptions(options)).toThrow(GenerateOptionsError);
    expect(() => resolveGenerateOptions(options)).toThrow(message);
  });

  it('rejects an interval it cannot read', () => {
    expect(() => parseInterval('ten minutes')).toThrow(/5m, 10m/);
  });
});

describe('dubegrid generate', () => {
  async function cli(...args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }> {
    const program = withGlobalOptions(new Command('dubegrid').exitOverride());
    registerGenerate(program);
    const out: string[] = [];
    const err: string[] = [];
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (err.push(String(chunk)), true));
    const before = process.exitCode;
    try {
      await program.parseAsync(['node', 'dubegrid', 'generate', ...args]);
      return { stdout: out.join(''), stderr: err.join(''), exitCode: Number(process.exitCode ?? 0) };
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
      process.exitCode = before;
    }
  }

  it('prints the summary as JSON with --json', async () => {
    const out = await tempDir();
    const r = await cli('--out', out, '--substations', '2', '--days', '1', '--interval', '1h', '--seed', '9', '--json');
    expect(r.exitCode).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({
      out,
      substations: 2,
      interval_minutes: 60,
      seed: 9,
      assets_file: join(out, ASSETS_FILE),
      start: '2025-08-11T00:00:00Z',
    });
    expect(summary.rows).toBe(summary.files[0].rows);
    expect(summary.rows).toBe(24 * (summary.feeders * 8 + 2));
  });

  it('turns a bad flag into a one-line usage error (exit 2)', async () => {
    const r = await cli('--out', await tempDir(), '--interval', '7m');
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe(
      'dubegrid: --interval must divide a day evenly (e.g. 5m, 10m, 15m, 30m, 1h), got 7 minutes',
    );
    const days = await cli('--out', await tempDir(), '--days', 'seven');
    expect(days.exitCode).toBe(2);
    expect(days.stderr.trim()).toBe('dubegrid: --days must be a whole number, got "seven"');
    const zero = await cli('--out', await tempDir(), '--substations', '0');
    expect(zero.stderr.trim()).toBe('dubegrid: --substations must be a whole number from 1 to 10000, got 0');
  });
});
