/**
 * The physical model: what one substation's monitor reads at one instant. A pure
 * function of (asset, instant, noise); every bound it keeps is stated next to the
 * term that could break it.
 *
 * Per feeder, demand P + jQ follows the residential profile; rooftop PV subtracts
 * from P (a feeder exports when PV exceeds demand). The busbar voltage sags with
 * transformer loading and rises with PV export. Phase currents carry the feeder's
 * apparent power in its phase shares, so that Σ V·I = |P + jQ| exactly.
 *
 * Clean data must pass a rolling z-score spike rule, so randomness comes in two
 * kinds only: stratified white noise (bounded, see `stratifiedNoise`) and drifts
 * whose knots are hours apart, as long as a rule's window, so that no series sits
 * still and then suddenly moves.
 */
import type { FeederAsset, SubstationAsset } from './assets.ts';
import type { Instant } from './calendar.ts';
import { dailyShape, seasonFactor, solarFactor, sunOf } from './profile.ts';
import { hash32, hashUnit, smoothNoise, stratifiedNoise } from './prng.ts';

export type PhaseValues = readonly [number, number, number];

export interface FeederSnapshot {
  readonly currentA: PhaseValues;
  readonly voltageV: PhaseValues;
  /** Net of PV: negative while the feeder exports. */
  readonly activeKw: number;
  readonly reactiveKvar: number;
}

export interface SubstationSnapshot {
  readonly feeders: readonly FeederSnapshot[];
  /** The transformer's apparent power: its feeders' phase powers combined. */
  readonly apparentKva: number;
}

// Demand = peak × shape × season × level + noise, where the amplitudes of level's
// terms and of the noise add up to 1: demand never exceeds the design peak.
const WEATHER_DAY = 0.03; // regional: a cold day lifts every substation
const FEEDER_DAY = 0.03;
const FEEDER_DRIFT = 0.05;
/** White noise at the design peak; it scales with √demand, as the sum of many households' does. */
const DEMAND_NOISE = 0.08;
const BASE_LEVEL = 1 - WEATHER_DAY - FEEDER_DAY - FEEDER_DRIFT - DEMAND_NOISE;
/** Knot spacing of the drifts, hours: at least a rule's window (24 readings of 10 minutes). */
const DRIFT_KNOT_H = 4;

/**
 * A PV feeder's reactive power has noise of its own (inverters, motors), as a share
 * of active power's and independent of it. Without it the feeder's current goes
 * quiet while net active power is near zero (the current is then almost all
 * reactive) and its noise returns all at once when the evening demand arrives,
 * which reads as a spike.
 */
const PV_REACTIVE_NOISE = 1;

const PHASE_DRIFT = 0.025; // slow per-phase drift of a feeder's shares
const PHASE_NOISE = 0.03;

const SOURCE_SWING_V = 1.6; // the 11 kV side: a little higher at night
const SOURCE_DRIFT_V = 1;
const PHASE_DRIFT_V = 0.5;
const TRANSFORMER_DROP_V = 6; // at full rated load (~2.5% regulation)
const FEEDER_DROP_V = 1; // at the feeder's design peak
const PV_RISE_V = 3; // at PV output equal to the transformer's rating
const VOLTAGE_NOISE_V = 0.7;

/**
 * A PV feeder's midday net power should not linger near zero: there its current
 * flattens at the reactive floor and then climbs away from it, which a spike rule
 * reads as a jump. So a day's PV peak is either at most LOW or at least HIGH times
 * the midday demand: a dull day or a sunny one, not the knife-edge between.
 */
const PV_RATIO_LOW = 0.6;
const PV_RATIO_HIGH = 1.5;

/** White noise in [-1, 1] for one of an asset's noise streams (`streamOf`) at one instant. */
export type WhiteNoise = (stream: number) => number;

/** The asset's white noise at `at`: a pure function of asset, instant and stream. */
export function noiseAt(asset: SubstationAsset, at: Instant): WhiteNoise {
  const keys = keysOf(asset);
  return (stream) => stratifiedNoise(keys.strata[stream] as number, keys.jitter[stream] as number, at.index);
}

// A feeder's white-noise streams: a block of STREAMS_PER_FEEDER numbers of its own.
const W_DEMAND = 0;
const W_SHARE = 1; // + phase
const W_VOLTAGE = 4; // + phase
const W_REACTIVE = 7;
const STREAMS_PER_FEEDER = 8;
const streamOf = (f: FeederAsset, w: number): number => f.index * STREAMS_PER_FEEDER + w;

/** What the substation's monitor reads at `at`, before rounding. */
export function snapshotOf(
  asset: SubstationAsset,
  at: Instant,
  noise: WhiteNoise = noiseAt(asset, at),
): SubstationSnapshot {
  const keys = keysOf(asset);
  const day = dayContext(asset, keys, at);
  const demand = asset.feeders.map((f) => feederDemand(f, keys.feeders[f.index] as FeederKeys, at, day, noise));
  let totalP = 0;
  let totalQ = 0;
  let totalPv = 0;
  for (const d of demand) {
    totalP += d.p;
    totalQ += d.q;
    totalPv += d.pv;
  }
  const drift = at.hours / DRIFT_KNOT_H;
  const busbarCommon =
    asset.noLoadVoltageV +
    SOURCE_SWING_V * (0.6 - dailyShape(at.localHour, at.weekend)) +
    SOURCE_DRIFT_V * smoothNoise(keys.source, drift) -
    (TRANSFORMER_DROP_V * Math.hypot(totalP, totalQ)) / asset.transformerKva +
    (PV_RISE_V * totalPv) / asset.transformerKva;
  const busbar = [0, 1, 2].map(
    (ph) =>
      busbarCommon +
      (asset.phaseOffsetsV[ph] as number) +
      PHASE_DRIFT_V * smoothNoise(keys.phaseVoltage[ph] as number, drift),
  );

  const phaseP = [0, 0, 0];
  const phaseQ = [0, 0, 0];
  const feeders = asset.feeders.map((f, i): FeederSnapshot => {
    const { p, q, s } = demand[i] as FeederDemand;
    const fk = keys.feeders[i] as FeederKeys;
    const feederV = f.voltageOffsetV - (FEEDER_DROP_V * s) / f.peakKva;
    const v: number[] = [];
    const w: number[] = [];
    let vw = 0;
    for (let ph = 0; ph < 3; ph++) {
      v[ph] = (busbar[ph] as number) + feederV + VOLTAGE_NOISE_V * noise(streamOf(f, W_VOLTAGE + ph));
      w[ph] =
        (f.phaseShares[ph] as number) *
        (1 + PHASE_DRIFT * smoothNoise(fk.share[ph] as number, drift) + PHASE_NOISE * noise(streamOf(f, W_SHARE + ph)));
      vw += (v[ph] as number) * (w[ph] as number);
    }
    // Phase ph carries the part V·w / Σ V·w of the feeder's power, so Σ V·I = S.
    const current: number[] = [];
    for (let ph = 0; ph < 3; ph++) {
      const part = ((v[ph] as number) * (w[ph] as number)) / vw;
      current[ph] = (s * 1000 * part) / (v[ph] as number);
      phaseP[ph] = (phaseP[ph] as number) + p * part;
      phaseQ[ph] = (phaseQ[ph] as number) + q * part;
    }
    return {
      currentA: current as unknown as PhaseValues,
      voltageV: v as unknown as PhaseValues,
      activeKw: p,
      reactiveKvar: q,
    };
  });
  const apparentKva = phaseP.reduce((sum, p, ph) => sum + Math.hypot(p, phaseQ[ph] as number), 0);
  return { feeders, apparentKva };
}

/** What every feeder of the substation shares at this instant. */
interface DayContext {
  readonly season: number;
  readonly weather: number;
  /** Clear-sky PV factor with slow clouds, before the day's clearness. */
  readonly sun: number;
  /** The region's share of clear-sky sunshine today. */
  readonly clearness: number;
  /** Clear-sky PV at solar noon, as a fraction of June's. */
  readonly noonStrength: number;
  readonly solarNoonLocalHour: number;
}

function dayContext(asset: SubstationAsset, keys: AssetKeys, at: Instant): DayContext {
  const season = seasonFactor(at.dayOfYear);
  // Day-scale noise has its knots at noon, so that it never steps at midnight.
  const weather = smoothNoise(keys.weather, (at.hours - 12) / 24);
  if (!asset.hasGeneration) return { season, weather, sun: 0, clearness: 0, noonStrength: 0, solarNoonLocalHour: 12 };
  // One value per day for the region, skewed towards bright days; it changes between
  // days only at night, when PV is zero.
  const clearness = 0.2 + 0.8 * Math.pow(hashUnit(keys.sunshine, Math.floor(at.hours / 24)), 0.6);
  const clouds = 1 - 0.05 * (1 + smoothNoise(keys.clouds, at.hours / DRIFT_KNOT_H));
  const clearSky = solarFactor(at.utcHour, at.dayOfYear, asset.latitude, asset.longitude);
  const sunDay = sunOf(at.dayOfYear, asset.latitude, asset.longitude);
  const offsetH = (((at.localHour - at.utcHour) % 24) + 24) % 24;
  return {
    season,
    weather,
    sun: clearSky * clouds,
    clearness,
    noonStrength: sunDay.strength,
    solarNoonLocalHour: sunDay.noonUtc + offsetH,
  };
}

interface FeederDemand {
  /** Net active power, kW. */
  readonly p: number;
  readonly q: number;
  /** Apparent power, kVA. */
  readonly s: number;
  /** PV output, kW. */
  readonly pv: number;
}

function feederDemand(f: FeederAsset, keys: FeederKeys, at: Instant, day: DayContext, noise: WhiteNoise): FeederDemand {
  const shape = dailyShape(at.localHour + f.profileShiftH, at.weekend);
  const level =
    BASE_LEVEL +
    WEATHER_DAY * day.weather +
    FEEDER_DAY * smoothNoise(keys.day, (at.hours - 12) / 24) +
    FEEDER_DRIFT * smoothNoise(keys.drift, at.hours / DRIFT_KNOT_H);
  const expected = f.peakKw * shape * day.season * level;
  const spread = DEMAND_NOISE * Math.sqrt(expected * f.peakKw);
  const load = expected + spread * noise(streamOf(f, W_DEMAND));
  // Night-time load (fridges, electronics) is a little more reactive.
  const pf = f.powerFactor - 0.012 * (1 - shape) + 0.003 * smoothNoise(keys.powerFactor, at.hours / DRIFT_KNOT_H);
  const pv = day.sun > 0 && f.pvPeakKw > 0 ? f.pvPeakKw * day.sun * feederClearness(f, at, day) : 0;
  const reactiveNoise = f.hasGeneration ? PV_REACTIVE_NOISE * spread * noise(streamOf(f, W_REACTIVE)) : 0;
  const p = load - pv;
  const q = (load * Math.sqrt(1 - pf * pf)) / pf + reactiveNoise;
  return { p, q, s: Math.hypot(p, q), pv };
}

/** The day's clearness for this feeder, moved out of the band where PV would just match demand at midday. */
function feederClearness(f: FeederAsset, at: Instant, day: DayContext): number {
  const middayDemand =
    f.peakKw * dailyShape(day.solarNoonLocalHour + f.profileShiftH, at.weekend) * day.season * BASE_LEVEL;
  const ratio = (f.pvPeakKw * day.noonStrength * day.clearness) / middayDemand;
  if (ratio <= PV_RATIO_LOW || ratio >= PV_RATIO_HIGH) return day.clearness;
  const brighter = (day.clearness * PV_RATIO_HIGH) / ratio;
  return ratio > (PV_RATIO_LOW + PV_RATIO_HIGH) / 2 && brighter <= 1
    ? brighter
    : (day.clearness * PV_RATIO_LOW) / ratio;
}

/** The keys of an asset's noise, derived once from its own keys. */
interface AssetKeys {
  readonly weather: number;
  readonly sunshine: number;
  readonly clouds: number;
  readonly source: number;
  readonly phaseVoltage: readonly number[];
  readonly feeders: readonly FeederKeys[];
  /** Per white-noise stream. */
  readonly strata: Uint32Array;
  readonly jitter: Uint32Array;
}

interface FeederKeys {
  readonly day: number;
  readonly drift: number;
  readonly powerFactor: number;
  readonly share: readonly number[];
}

const keyCache = new WeakMap<SubstationAsset, AssetKeys>();

function keysOf(asset: SubstationAsset): AssetKeys {
  const cached = keyCache.get(asset);
  if (cached) return cached;
  const streams = asset.feeders.length * STREAMS_PER_FEEDER;
  const strata = new Uint32Array(streams);
  const jitter = new Uint32Array(streams);
  for (let stream = 0; stream < streams; stream++) {
    // Every feeder's demand noise visits the strata in one common order (each feeder
    // with its own place inside the stratum), so that the transformer's total stays
    // stratified too: a sum of independently stratified streams is not.
    strata[stream] = hash32(asset.noiseKey, 1, stream % STREAMS_PER_FEEDER === W_DEMAND ? -1 : stream);
    jitter[stream] = hash32(asset.noiseKey, 2, stream);
  }
  const keys: AssetKeys = {
    weather: hash32(asset.regionKey, 1),
    sunshine: hash32(asset.regionKey, 2),
    clouds: hash32(asset.noiseKey, 3),
    source: hash32(asset.noiseKey, 4),
    phaseVoltage: [0, 1, 2].map((ph) => hash32(asset.noiseKey, 5, ph)),
    feeders: asset.feeders.map((f) => ({
      day: hash32(f.noiseKey, 1),
      drift: hash32(f.noiseKey, 2),
      powerFactor: hash32(f.noiseKey, 3),
      share: [0, 1, 2].map((ph) => hash32(f.noiseKey, 4, ph)),
    })),
    strata,
    jitter,
  };
  keyCache.set(asset, keys);
  return keys;
}
