/**
 * The parts of `npm run bench -- lake-ops`, run in this order over the one dataset the
 * benchmark builds. Rollups come after compaction: they are built from its output when
 * it ran. stale_feed needs no lake (a labelled file on the whole pipeline).
 */
import { compactionPart } from './compaction.ts';
import type { LakeOpsPart } from './context.ts';
import { rollupsPart } from './rollups.ts';
import { staleFeedPart } from './stale-feed.ts';

export const LAKE_OPS_PARTS: readonly LakeOpsPart[] = [compactionPart, rollupsPart, staleFeedPart];
