/**
 * A registry item (`shared/asset-item.ts`) as the anomaly rules read it. Here, not in
 * the registry consumer: it is the anomaly consumer's reading of the registry's
 * contract, and consumers never import each other.
 */
import type { AssetItem } from '../../shared/asset-item.ts';
import type { AssetInfo } from './rules/types.ts';

export function assetInfoOf(item: AssetItem): AssetInfo {
  return {
    assetId: item.asset_id,
    kind: item.kind,
    ...(item.rated_current_a !== undefined ? { ratedCurrentA: item.rated_current_a } : {}),
    ...(item.transformer_kva !== undefined ? { transformerKva: item.transformer_kva } : {}),
    hasGeneration: item.has_generation === true,
    ...(item.interval_minutes !== undefined ? { intervalMs: Math.round(item.interval_minutes * 60_000) } : {}),
  };
}
