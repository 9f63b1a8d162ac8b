/**
 * The soak hook: tests that can push harder run a bounded amount in `npm test` and
 * more under `npm run soak`, which sets DUBEGRID_SOAK=1. A test asks `scaled(quick,
 * soak)` for its count; DUBEGRID_SOAK_<NAME> overrides one count by name.
 */
export const SOAK_ENV = 'DUBEGRID_SOAK';

export function isSoak(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[SOAK_ENV] === '1' || env[SOAK_ENV] === 'true';
}

/** `quick` in npm test, `soak` under npm run soak; `DUBEGRID_SOAK_<NAME>` wins over both. */
export function scaled(name: string, quick: number, soak: number, env: NodeJS.ProcessEnv = process.env): number {
  const override = env[`${SOAK_ENV}_${name.toUpperCase()}`];
  if (override !== undefined && Number.isInteger(Number(override)) && Number(override) > 0) return Number(override);
  return isSoak(env) ? soak : quick;
}

/**
 * The scenarios whose smoke version runs in `npm test`. `npm test` must stay under 10
 * minutes on two cores, and all eleven smoke versions together are about 5 minutes of
 * the int tier's work (measured 2026-12-06), so the fault-and-recovery paths no other
 * int test covers run there; the rest (poison, disk-full, corrupt-state, peak-memory,
 * long-run), whose mechanisms the unit tier covers, run their smoke specs under
 * `npm run soak` (DUBEGRID_SOAK=1) and directly with `npm run soak -- --size smoke`.
 */
export const SMOKE_IN_NPM_TEST: ReadonlySet<string> = new Set([
  'kill-loop',
  'emulator-death',
  'many-files',
  'fault-proxy',
]);

/** Whether this run includes the smoke spec of scenario `name`. */
export function smokeRuns(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return isSoak(env) || SMOKE_IN_NPM_TEST.has(name);
}
