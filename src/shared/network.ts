/**
 * Facts about the UK LV network that more than one part of DubeGrid judges readings
 * by (the anomaly rules, the lake's performance summaries). One definition each.
 */

/**
 * The statutory supply voltage band (Electricity Safety, Quality and Continuity
 * Regulations 2002, reg. 27): 230 V nominal, +10 % / −6 %, per phase to neutral.
 */
export const STATUTORY_VOLTAGE = {
  nominalV: 230,
  minV: 216.2,
  maxV: 253,
} as const;
