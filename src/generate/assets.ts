/**
 * The generated network: substations, their feeders, and the parameters the model
 * draws them with; and `assets.csv`, the registry of it. Substation i is drawn from
 * its own seeded stream, so a larger run contains the smaller one's substations
 * unchanged.
 */
import { ASSETS_CSV_COLUMNS, type AssetsCsvColumn } from '../shared/assets-csv.ts';
import { between, hash32, mulberry32, pick, type Rng } from './prng.ts';

/** One row of `assets.csv`: one feeder and the substation it hangs off. */
export interface AssetRecord {
  readonly substation_number: string;
  readonly substation_name: string;
  readonly feeder_id: string;
  readonly transformer_kva: number;
  readonly feeder_rated_current_a: number;
  readonly has_generation: boolean;
  readonly latitude: number;
  readonly longitude: number;
  /** Empty: the generated monitors are known by their observed cadence, as most are. */
  readonly interval_minutes: '';
}

// The columns and the record name the same fields, both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _columnsMatchRecord: Same<AssetsCsvColumn, keyof AssetRecord> = true;

export const TRANSFORMER_KVA = [200, 315, 500, 800, 1000] as const;
export const FEEDER_RATINGS_A = [200, 250, 315, 400] as const;

/**
 * Peak apparent power may reach this share of the transformer's rating and
 * per-phase current this share of a feeder's rating (after phase imbalance and
 * voltage), leaving clean data clear of the ~85% an alert would fire on.
 */
export const MAX_TRANSFORMER_LOADING = 0.75;
const PEAK_UTILISATION = [0.48, 0.66] as const;
/** Nominal phase voltage the design peak currents are sized at. */
const DESIGN_VOLTAGE_V = 240;

export interface FeederAsset {
  readonly feederId: string;
  /** Position on the board, from 0. */
  readonly index: number;
  readonly ratedCurrentA: number;
  readonly hasGeneration: boolean;
  /** Active power at the profile's maximum (winter weekday evening). */
  readonly peakKw: number;
  /** Apparent power at that maximum. */
  readonly peakKva: number;
  /** Peak output of the feeder's rooftop PV, 0 without. */
  readonly pvPeakKw: number;
  /** Power factor of the load at its peak. */
  readonly powerFactor: number;
  /** How each phase's load compares with the mean (each within 6% of 1). */
  readonly phaseShares: readonly [number, number, number];
  /** This feeder's customers keep a slightly earlier or later clock, hours. */
  readonly profileShiftH: number;
  readonly voltageOffsetV: number;
  /** Key of this feeder's noise. */
  readonly noiseKey: number;
}

export interface SubstationAsset {
  /** Position in the run, from 0. */
  readonly index: number;
  readonly substationNumber: string;
  readonly substationName: string;
  readonly transformerKva: number;
  readonly hasGeneration: boolean;
  readonly latitude: number;
  readonly longitude: number;
  /** Busbar phase voltage at no load. */
  readonly noLoadVoltageV: number;
  readonly phaseOffsetsV: readonly [number, number, number];
  readonly feeders: readonly FeederAsset[];
  /** Key of this substation's noise. */
  readonly noiseKey: number;
  /** Key of the noise every substation of the run shares: weather and sunshine. */
  readonly regionKey: number;
}

const SALT_ASSET = 0x5a55e7;
const SALT_NAMES = 0x4e414d45;
const SALT_NOISE = 0x401de;
const SALT_REGION = 0x4e610;
const SALT_SOLAR = 0x50a1;

/** The network of a run: `count` substations drawn from `seed`. */
export function buildAssets(seed: number, count: number): SubstationAsset[] {
  const names = streetNames(seed);
  return Array.from({ length: count }, (_, i) => buildSubstation(seed, i, nameAt(names, i)));
}

function buildSubstation(seed: number, index: number, name: string): SubstationAsset {
  const rng = mulberry32(hash32(seed, SALT_ASSET, index));
  const noiseKey = hash32(seed, SALT_NOISE, index);
  const hasGeneration = hasSolar(seed, index);
  const feederCount = pick(rng, [1, 2, 3, 4], [15, 35, 30, 20]);
  const drafts = Array.from({ length: feederCount }, (_, f) => {
    const ratedCurrentA = pick(rng, FEEDER_RATINGS_A, [2, 3, 3, 2]);
    return {
      ratedCurrentA,
      peakCurrentA: ratedCurrentA * between(rng, ...PEAK_UTILISATION),
      pv: hasGeneration && (f === 0 || rng() < 0.8),
    };
  });
  // Size the transformer to the after-diversity demand as a planner would; where even
  // the largest is too small, the feeders carry less.
  const demandKva = drafts.reduce((s, d) => s + (3 * DESIGN_VOLTAGE_V * d.peakCurrentA) / 1000, 0);
  const fitting = TRANSFORMER_KVA.findIndex((kva) => demandKva <= MAX_TRANSFORMER_LOADING * kva);
  const sized =
    fitting < 0 ? TRANSFORMER_KVA.length - 1 : Math.min(TRANSFORMER_KVA.length - 1, fitting + (rng() < 0.35 ? 1 : 0));
  const transformerKva = TRANSFORMER_KVA[sized] as number;
  const scale = Math.min(1, (MAX_TRANSFORMER_LOADING * transformerKva) / demandKva);
  const feeders = drafts.map((d, f): FeederAsset => {
    const powerFactor = between(rng, 0.962, 0.976);
    const peakKva = (3 * DESIGN_VOLTAGE_V * d.peakCurrentA * scale) / 1000;
    const a = between(rng, -0.06, 0.06);
    const b = between(rng, -0.06, 0.06);
    return {
      feederId: String(f + 1).padStart(2, '0'),
      index: f,
      ratedCurrentA: d.ratedCurrentA,
      hasGeneration: d.pv,
      peakKw: peakKva * powerFactor,
      peakKva,
      pvPeakKw: d.pv ? peakKva * powerFactor * between(rng, 0.55, 0.85) : 0,
      powerFactor,
      phaseShares: [1 + a, 1 + b, Math.min(1.06, Math.max(0.94, 1 - a - b))],
      profileShiftH: between(rng, -0.5, 0.5),
      voltageOffsetV: between(rng, -0.3, 0.3),
      noiseKey: hash32(noiseKey, f + 1),
    };
  });
  const town = pick(rng, TOWNS);
  return {
    index,
    substationNumber: `LV${100001 + index}`,
    substationName: name,
    transformerKva,
    hasGeneration,
    latitude: round(town[1] + between(rng, -0.04, 0.04), 5),
    longitude: round(town[2] + between(rng, -0.06, 0.06), 5),
    noLoadVoltageV: between(rng, 238.5, 243.5),
    phaseOffsetsV: [between(rng, -1, 1), between(rng, -1, 1), between(rng, -1, 1)],
    feeders,
    noiseKey,
    regionKey: hash32(seed, SALT_REGION),
  };
}

/**
 * One substation in every four has rooftop PV: exactly one of each block of four, at
 * a seeded place, so that even a small run has some and a large one has a quarter.
 */
function hasSolar(seed: number, index: number): boolean {
  const block = Math.floor(index / 4);
  return index % 4 === hash32(seed, SALT_SOLAR, block) % 4;
}

/** The registry rows of a network, one per feeder. */
export function assetRecords(assets: readonly SubstationAsset[]): AssetRecord[] {
  return assets.flatMap((s) =>
    s.feeders.map((f) => ({
      substation_number: s.substationNumber,
      substation_name: s.substationName,
      feeder_id: f.feederId,
      transformer_kva: s.transformerKva,
      feeder_rated_current_a: f.ratedCurrentA,
      has_generation: f.hasGeneration,
      latitude: s.latitude,
      longitude: s.longitude,
      interval_minutes: '',
    })),
  );
}

/** `assets.csv` in full. */
export function assetsCsv(assets: readonly SubstationAsset[]): string {
  const lines = assetRecords(assets).map((r) => ASSETS_CSV_COLUMNS.map((c) => csvField(String(r[c]))).join(','));
  return `${[ASSETS_CSV_COLUMNS.join(','), ...lines].join('\n')}\n`;
}

/** A CSV field, quoted only where it has to be. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function round(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}

// Names are a seeded shuffle of every street × kind, so they stay unique until the
// list runs out (then a number tells them apart) and substation i keeps its name
// whatever the run's size.
const STREETS = [
  'Abbey',
  'Albert',
  'Alexandra',
  'Ash',
  'Back',
  'Beech',
  'Belle Vue',
  'Bridge',
  'Broad',
  'Brook',
  'Castle',
  'Cedar',
  'Chapel',
  'Cherry Tree',
  'Church',
  'Clarence',
  'College',
  'Common',
  'Coronation',
  'Cromwell',
  'Elm',
  'Fairfield',
  'Fern',
  'Forest',
  'Garden',
  'George',
  'Glebe',
  'Granby',
  'Grange',
  'Green',
  'Hawthorn',
  'Highfield',
  'Hill',
  'Holly',
  'Kings',
  'Lime',
  'Manor',
  'Maple',
  'Market',
  'Meadow',
  'Mill',
  'Moor',
  'Mount Pleasant',
  'New',
  'North',
  'Oak',
  'Orchard',
  'Park',
  'Priory',
  'Queens',
  'Railway',
  'Rectory',
  'Riverside',
  'Rose',
  'School',
  'Springfield',
  'Station',
  'Stanley',
  'Sycamore',
  'Union',
  'Vicarage',
  'Victoria',
  'West',
  'Westfield',
  'Willow',
  'Windsor',
  'Woodland',
  'York',
];
const KINDS = [
  'Road',
  'Street',
  'Lane',
  'Avenue',
  'Close',
  'Way',
  'Drive',
  'Crescent',
  'Grove',
  'Terrace',
  'Gardens',
  'Place',
  'Walk',
  'Row',
];

function streetNames(seed: number): string[] {
  const names = STREETS.flatMap((s) => KINDS.map((k) => `${s} ${k}`));
  const rng: Rng = mulberry32(hash32(seed, SALT_NAMES));
  for (let i = names.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [names[i], names[j]] = [names[j] as string, names[i] as string];
  }
  return names;
}

function nameAt(names: readonly string[], index: number): string {
  const base = names[index % names.length] as string;
  return index < names.length ? base : `${base} ${Math.floor(index / names.length) + 1}`;
}

/** Where the substations are: around towns across Great Britain. */
const TOWNS: readonly (readonly [string, number, number])[] = [
  ['Leeds', 53.8, -1.55],
  ['Bristol', 51.454, -2.588],
  ['Nottingham', 52.954, -1.158],
  ['Cardiff', 51.481, -3.179],
  ['Norwich', 52.63, 1.297],
  ['Exeter', 50.718, -3.534],
  ['York', 53.959, -1.082],
  ['Reading', 51.454, -0.973],
  ['Leicester', 52.636, -1.133],
  ['Carlisle', 54.892, -2.932],
  ['Glasgow', 55.861, -4.251],
  ['Milton Keynes', 52.041, -0.759],
  ['Swindon', 51.558, -1.782],
  ['Preston', 53.763, -2.703],
];
