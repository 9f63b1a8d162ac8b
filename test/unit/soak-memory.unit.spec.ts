import { describe, expect, it } from 'vitest';
import {
  fileRssMiB,
  fileTotalMiB,
  peakMiB,
  rssMiB,
  slopeMiBPerMin,
  totalMiB,
  vmRssMiB,
  type RssSample,
} from '../soak/memory/rss.ts';
import { planFiles, readingsFlag, slopeParts } from '../soak/scenarios/long-run.ts';

const sample = (atMs: number, up: number, emulators: number): RssSample => ({ atMs, mib: { up, emulators } });

describe('RSS sampling', () => {
  it('reads VmRSS from /proc/<pid>/status in MiB', async () => {
    expect(vmRssMiB('Name:\tnode\nVmPeak:\t  9 kB\nVmRSS:\t  524288 kB\nRssAnon:\t 1 kB\n')).toBe(512);
    expect(vmRssMiB('Name:\tkthreadd\nState:\tS\n')).toBeUndefined();
    const own = await rssMiB(process.pid);
    expect(own).toBeGreaterThan(10);
    expect(await rssMiB(4_194_304 + 7)).toBeUndefined();
  });

  it('sums the processes of a sample and takes the peak of the sums', () => {
    const samples = [sample(0, 100, 50), sample(1_000, 90, 80), sample(2_000, 120, 20)];
    expect(samples.map(totalMiB)).toEqual([150, 170, 140]);
    expect(peakMiB(samples)).toBe(170);
    expect(peakMiB(samples, (s) => s.mib.up ?? 0)).toBe(120);
  });

  it('fits the slope after warm-up in MiB per minute', () => {
    // warm-up climbs steeply, then 3 MiB a minute with noise that cancels out
    const warm = [sample(0, 100, 0), sample(30_000, 300, 0)];
    const after = [0, 1, 2, 3, 4].map((m) => sample(60_000 * (m + 1), 400 + 3 * m + (m % 2 ? 1 : -1) * 0.5, 0));
    const slope = slopeMiBPerMin([...warm, ...after], 60_000);
    expect(slope).toBeCloseTo(3, 9); // the ±0.5 alternation is symmetric about the middle point: it cancels out
    expect(slopeMiBPerMin([...warm, ...after.slice(0, 2)], 60_000)).toBeUndefined();
    const flat = [1, 2, 3, 4].map((m) => sample(60_000 * m, 250, 200));
    expect(slopeMiBPerMin(flat, 0)).toBe(0);
  });
});

describe('what grows', () => {
  it('reads the file-backed part of VmRSS (RssFile + RssShmem)', () => {
    const status = 'VmRSS:\t  524288 kB\nRssAnon:\t  393216 kB\nRssFile:\t  130048 kB\nRssShmem:\t    1024 kB\n';
    expect(fileRssMiB(status)).toBe(128);
    expect(fileRssMiB('VmRSS:\t  524288 kB\n')).toBeUndefined();
  });

  it('fits the slope of each process and of the file-backed pages apart', () => {
    // up flat at 300, the host climbing 2 MiB a minute, all of it file-backed
    const samples: RssSample[] = [0, 1, 2, 3, 4].map((m) => ({
      atMs: 60_000 * m,
      mib: { up: 300, emulators: 200 + 2 * m },
      fileMib: { up: 80, emulators: 40 + 2 * m },
    }));
    expect(fileTotalMiB(samples[4]!)).toBe(128);
    expect(slopeMiBPerMin(samples, 0)).toBeCloseTo(2, 9);
    expect(slopeParts({ samples, warmedUpAtMs: 0 }).map((f) => [f.name, f.value])).toEqual([
      ['RSS slope after warm-up, up', 0],
      ['RSS slope after warm-up, emulator host', 2],
      ['RSS slope after warm-up, file-backed (both)', 2],
    ]);
  });
});

describe('long-run plan', () => {
  it('plans enough files, one a month, never two in one month', () => {
    const plans = planFiles(2_000_000, 83_664, { substations: 3, days: 7 });
    expect(plans).toHaveLength(24);
    expect(new Set(plans.map((p) => p.start.slice(0, 7))).size).toBe(24);
    expect(plans[0]?.start).toBe('2020-01-01');
    expect(plans[12]?.start).toBe('2021-01-01');
    expect(plans[23]?.start).toBe('2021-12-01');
    expect(planFiles(6_000, 4_000, { substations: 1, days: 1 })).toHaveLength(2);
    expect(planFiles(10, 4_000, { substations: 1, days: 1 })).toHaveLength(1);
  });

  it('takes --readings N, and refuses what is not a count', () => {
    expect(readingsFlag({}, 2_000_000)).toBe(2_000_000);
    expect(readingsFlag({ readings: '500000' }, 2_000_000)).toBe(500_000);
    expect(() => readingsFlag({ readings: '1e' }, 1)).toThrow(/--readings/);
    expect(() => readingsFlag({ readings: '0' }, 1)).toThrow(/--readings/);
  });
});
