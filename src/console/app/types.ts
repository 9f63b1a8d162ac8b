/**
 * The API's shapes as the console reads them: inferred from the API's zod schemas
 * (`src/api/schemas.ts`), never declared again. Type-only imports: esbuild erases them,
 * so neither zod nor the schemas reach the bundle.
 */
import type { z } from '@hono/zod-openapi';
import type * as S from '../../api/schemas.ts';

export type AssetStatus = S.AssetStatus;
export type AssetSummary = z.infer<typeof S.AssetSummary>;
export type AssetList = z.infer<typeof S.AssetList>;
export type AssetSeries = z.infer<typeof S.AssetSeries>;
export type Series = z.infer<typeof S.Series>;
export type Incident = z.infer<typeof S.Incident>;
export type AlertList = z.infer<typeof S.AlertList>;
export type AlertNotification = z.infer<typeof S.AlertNotification>;
export type Report = z.infer<typeof S.Report>;
export type QueryRun = z.infer<typeof S.QueryRun>;

/** What the alert views show: an incident as listed, or a notification as it arrived live. */
export type Alert = Incident | AlertNotification;
