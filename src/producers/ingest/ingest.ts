/**
 * The core of `dubegrid ingest` (and of `npm start`'s sample ingest): files from disk
 * into the raw zone, then, when asked, the wait for the splitter and its totals.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Manifest } from '../../shared/manifest.ts';
import { PREFIXES } from '../../shared/resources.ts';
import { IngestInputError, type InputFile } from './inputs.ts';
import { firstReadingTime, rawKeyFor } from './partition.ts';
import { totalsOf, type IngestTotals } from './totals.ts';
import { uploadFile, type Uploaded } from './upload.ts';
import { waitForManifests, type SplitFailure } from './wait.ts';

export interface IngestOptions {
  /** Upload under this prefix instead of the partition of each file's first reading. */
  readonly prefix?: string;
  /** Wait until the splitter has finished every file. */
  readonly wait: boolean;
  readonly timeoutMs: number;
  /** Zone of zone-less LV monitor timestamps (for the partition). */
  readonly sourceTimeZone?: string;
  readonly failures?: () => Promise<readonly SplitFailure[]>;
  /** With `wait` and a prefix under reference/assets/: until the registry loader has loaded `key` (uploaded after `since`). */
  readonly registryLoaded?: (key: string, since: string) => Promise<void>;
  /** One line of progress (stderr). */
  readonly progress?: (line: string) => void;
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
  /** With `wait` and a reference/assets/ prefix: the keys the registry loader has loaded. */
  readonly registryLoaded?: readonly string[];
}

/** Progress of a large upload is reported at most this often. */
const PROGRESS_EVERY_MS = 1_000;

/**
 * A prefix nothing reads is refused before anything is uploaded: readings go under
 * raw/ (the splitter), asset registry CSVs under reference/assets/ (the registry loader).
 */
export function checkPrefix(prefix: string | undefined): void {
  if (prefix !== undefined && !prefix.startsWith(PREFIXES.raw) && !isRegistryPrefix(prefix)) {
    throw new IngestInputError(
      `--prefix must be under ${PREFIXES.raw} (readings, for the splitter) or ${PREFIXES.referenceAssets} (assets.csv, for the registry loader), got ${JSON.stringify(prefix)}`,
    );
  }
}

export function isRegistryPrefix(prefix: string | undefined): boolean {
  return prefix !== undefined && prefix.startsWith(PREFIXES.referenceAssets);
}

export async function ingest(s3: S3Client, bucket: string, inputs: readonly InputFile[], options: IngestOptions): Promise<IngestResult> {
  const say = options.progress ?? (() => undefined);
  checkPrefix(options.prefix);
  const planned: { input: InputFile; key: string }[] = [];
  for (const input of inputs) {
    const firstTs = options.prefix === undefined ? await firstReadingTime(input.path, options.sourceTimeZone) : undefined;
    const key = rawKeyFor(input.name, firstTs, options.prefix);
    const clash = planned.find((p) => p.key === key);
    if (clash) throw new IngestInputError(`${clash.input.path} and ${input.path} would both be uploaded as ${key}; rename one or ingest them separately`);
    if (options.prefix === undefined && firstTs === undefined) say(`warning: ${input.path} has no readable first reading; uploading it as ${key}`);
    planned.push({ input, key });
  }

  const total = inputs.reduce((n, f) => n + f.size, 0);
  const since = new Date(Date.now() - 1000).toISOString();
  say(`uploading ${inputs.length} file(s), ${formatBytes(total)}, to s3://${bucket}/`);
  const uploads: IngestedFile[] = [];
  for (const { input, key } of planned) {
    let lastReport = Date.now();
    const uploaded = await uploadFile(s3, bucket, key, input.path, input.size, (sent, size) => {
      if (sent < size && Date.now() - lastReport < PROGRESS_EVERY_MS) return;
      lastReport = Date.now();
      if (sent < size) say(`  ${input.name}: ${Math.floor((sent / size) * 100)}% of ${formatBytes(size)}`);
    });
    say(`  ${input.path} → ${key} (${formatBytes(input.size)})`);
    uploads.push({ ...uploaded, file: input.path });
  }
  if (!options.wait) return { bucket, uploads };

  if (isRegistryPrefix(options.prefix)) {
    const loaded = options.registryLoaded;
    if (!loaded) return { bucket, uploads };
    say(`waiting for the registry loader to load ${uploads.length} file(s)…`);
    for (const u of uploads) await loaded(u.key, since);
    return { bucket, uploads, registryLoaded: uploads.map((u) => u.key) };
  }

  say(`waiting for the splitter to finish ${uploads.length} file(s)…`);
  let reported = -1;
  const manifests = await waitForManifests(s3, bucket, uploads, {
    timeoutMs: options.timeoutMs,
    failures: options.failures,
    onProgress: (done, all) => {
      if (done !== reported && done < all) say(`  split ${done} of ${all}`);
      reported = done;
    },
  });
  return { bucket, uploads, manifests, totals: totalsOf(manifests) };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
