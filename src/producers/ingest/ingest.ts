/**
 * The core of `dubegrid ingest` (and of `npm start`'s sample ingest): files from disk
 * into the raw zone, then, when asked, the wait for the splitter and its totals.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Manifest } from '../../shared/manifest.ts';
import type { ProgressMeter } from '../../shared/progress.ts';
import { PREFIXES } from '../../shared/resources.ts';
import { IngestInputError, type InputFile } from './inputs.ts';
import { SOURCE_METADATA_KEY } from '../../shared/sources/store.ts';
import type { CsvMappers } from '../splitter/mapping/set.ts';
import { inspectFile, rawKeyFor } from './partition.ts';
import { totalsOf, type IngestTotals } from './totals.ts';
import { uploadFile, type Uploaded } from './upload.ts';
import { waitForManifests, type SplitFailure } from './wait.ts';
import { formatBytes } from '../../shared/bytes.ts';

export interface IngestOptions {
  /** Upload under this prefix instead of the partition of each file's first reading. */
  readonly prefix?: string | undefined;
  /** The mapping every file is (`--source NAME`), kept as object metadata for the splitter. */
  readonly source?: string | undefined;
  /** Wait until the splitter has finished every file. */
  readonly wait: boolean;
  readonly timeoutMs: number;
  /** Zone of zone-less LV monitor timestamps (for the partition). */
  readonly sourceTimeZone?: string | undefined;
  /** The mappings the splitter will use (built-in and stored), for the partition. @default the built-in ones */
  readonly mappings?: CsvMappers | undefined;
  readonly failures?: (() => Promise<readonly SplitFailure[]>) | undefined;
  /** See `WaitOptions.failuresHint`. */
  readonly failuresHint?: string | undefined;
  /**
   * Until the registry loader has loaded `key` (uploaded after `since`): asset files are
   * uploaded first and, when this is given, loaded before any readings go up.
   */
  readonly registryLoaded?: ((key: string, since: string) => Promise<void>) | undefined;
  /** One line of progress (stderr). */
  readonly progress?: ((line: string) => void) | undefined;
  /** Counts: bytes uploaded of the files' sizes, then files split of those uploaded. */
  readonly meter?: ProgressMeter | undefined;
}

export interface IngestedFile extends Uploaded {
  readonly file: string;
}

export interface IngestResult {
  readonly bucket: string;
  readonly uploads: readonly IngestedFile[];
  /** With `wait`: the manifests, in upload order, and their sums. */
  readonly manifests?: readonly Manifest[];
  readonly totals?: IngestTotals;
  /** Asset registry files (under reference/assets/) the registry loader has loaded. */
  readonly registryLoaded?: readonly string[];
  /** Inputs not uploaded, and why. */
  readonly skipped?: readonly SkippedFile[];
}

export interface SkippedFile {
  readonly file: string;
  readonly why: string;
}

/**
 * A prefix nothing reads is refused before anything is uploaded: readings go under
 * raw/ (the splitter), asset registry CSVs under reference/assets/ and reference files
 * for a mapping under reference/mapped/ (both the registry loader).
 */
export function checkPrefix(prefix: string | undefined): void {
  if (prefix !== undefined && !prefix.startsWith(PREFIXES.raw) && !isRegistryPrefix(prefix)) {
    throw new IngestInputError(
      `--prefix must be under ${PREFIXES.raw} (readings, for the splitter), ${PREFIXES.referenceAssets} (assets.csv, for the registry loader) or ${PREFIXES.referenceMapped} (a reference file a mapping reads into the registry), got ${JSON.stringify(prefix)}`,
    );
  }
}

export function isRegistryPrefix(prefix: string | undefined): boolean {
  return (
    prefix !== undefined && (prefix.startsWith(PREFIXES.referenceAssets) || prefix.startsWith(PREFIXES.referenceMapped))
  );
}

export async function ingest(
  s3: S3Client,
  bucket: string,
  inputs: readonly InputFile[],
  options: IngestOptions,
): Promise<IngestResult> {
  const say = options.progress ?? (() => undefined);
  checkPrefix(options.prefix);
  const planned: { input: InputFile; key: string }[] = [];
  const skipped: SkippedFile[] = [];
  for (const input of inputs) {
    const seen =
      options.prefix === undefined
        ? await inspectFile(input.path, options.sourceTimeZone, { mappings: options.mappings, source: options.source })
        : undefined;
    if (seen?.kind === 'labels') {
      skipped.push({
        file: input.path,
        why: "anomaly labels (the generator's ground truth), which no part of the pipeline reads",
      });
      say(`skipping ${input.path}: it holds anomaly labels (ground truth for the benchmarks), not readings`);
      continue;
    }
    const key =
      seen?.kind === 'assets'
        ? `${PREFIXES.referenceAssets}${input.name}`
        : rawKeyFor(input.name, seen?.firstTs, options.prefix);
    const clash = planned.find((p) => p.key === key);
    if (clash)
      throw new IngestInputError(
        `${clash.input.path} and ${input.path} would both be uploaded as ${key}; rename one or ingest them separately`,
      );
    if (seen?.kind === 'readings' && seen.firstTs === undefined)
      say(`warning: ${input.path} has no readable first reading; uploading it as ${key}`);
    if (seen?.kind === 'assets')
      say(`${input.path} is an asset registry file: it goes to ${key} for the registry loader`);
    planned.push({ input, key });
  }
  // Ratings first: the anomaly rules read them, so the registry is loaded before readings arrive.
  planned.sort((a, b) => Number(isRegistryPrefix(b.key)) - Number(isRegistryPrefix(a.key)));

  const total = planned.reduce((n, p) => n + p.input.size, 0);
  const since = new Date(Date.now() - 1000).toISOString();
  say(`uploading ${planned.length} file(s), ${formatBytes(total)}, to s3://${bucket}/`);
  const uploads: IngestedFile[] = [];
  const registryLoaded: string[] = [];
  let sentBefore = 0;
  for (const { input, key } of planned) {
    const isReadings = !isRegistryPrefix(key);
    if (isReadings && options.registryLoaded) {
      for (const u of uploads) {
        if (!isRegistryPrefix(u.key) || registryLoaded.includes(u.key)) continue;
        say(`waiting for the registry loader to load ${u.key}…`);
        await options.registryLoaded(u.key, since);
        registryLoaded.push(u.key);
      }
    }
    const uploaded = await uploadFile(
      s3,
      bucket,
      key,
      input.path,
      input.size,
      (sent) => {
        options.meter?.({ task: 'upload', done: sentBefore + sent, total, unit: 'bytes' });
      },
      { metadata: options.source === undefined ? undefined : { [SOURCE_METADATA_KEY]: options.source } },
    );
    sentBefore += input.size;
    say(`  ${input.path} → ${key} (${formatBytes(input.size)})`);
    uploads.push({ ...uploaded, file: input.path });
  }
  const base = { bucket, uploads, ...(skipped.length ? { skipped } : {}) };
  if (!options.wait) return base;

  const assets = uploads.filter((u) => isRegistryPrefix(u.key) && !registryLoaded.includes(u.key));
  if (assets.length > 0 && options.registryLoaded) {
    say(`waiting for the registry loader to load ${assets.length} file(s)…`);
    for (const u of assets) {
      await options.registryLoaded(u.key, since);
      registryLoaded.push(u.key);
    }
  }
  const withRegistry = { ...base, ...(registryLoaded.length ? { registryLoaded } : {}) };
  const readings = uploads.filter((u) => !isRegistryPrefix(u.key));
  if (readings.length === 0) return withRegistry;

  say(`waiting for the splitter to finish ${readings.length} file(s)…`);
  const manifests = await waitForManifests(s3, bucket, readings, {
    timeoutMs: options.timeoutMs,
    failures: options.failures,
    failuresHint: options.failuresHint,
    onProgress: (done, all) => options.meter?.({ task: 'split', done, total: all, unit: 'files' }),
  });
  return { ...withRegistry, manifests, totals: totalsOf(manifests) };
}
