/** How the console shows an asset's status and an alert's severity: one colour each, everywhere. */
import type { AssetStatus } from './types.ts';

export const STATUS_ORDER: readonly AssetStatus[] = ['alerting', 'stale', 'unknown', 'ok'];

export const STATUS_COLOR: Record<AssetStatus, string> = {
  ok: '#2e8540',
  alerting: '#d83933',
  stale: '#c77c02',
  unknown: '#8a8f98',
};

export function severityColor(severity: string): string {
  return severity === 'critical' ? '#d83933' : severity === 'warning' ? '#c77c02' : '#4a6fa5';
}

export function assetHref(assetId: string): string {
  return `#/assets/${encodeURIComponent(assetId)}`;
}
