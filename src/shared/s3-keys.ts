/**
 * Which objects the splitter takes, and how notification keys are read. The S3
 * notification's filter on AWS (prefix `raw/`, suffixes RAW_SUFFIXES) and the embedded
 * wiring both follow `isSplittableKey`.
 */
import { PREFIXES, RAW_SHAPES, RAW_SUFFIXES, type RawShape } from './resources.ts';

export function isSplittableKey(key: string): boolean {
  return key.startsWith(PREFIXES.raw) && rawShapeOf(key) !== undefined;
}

/** How an object (or a local file) named so is read, by its suffix; undefined when the splitter does not take it. */
export function rawShapeOf(name: string): RawShape | undefined {
  const suffix = RAW_SUFFIXES.find((s) => name.endsWith(s));
  return suffix === undefined ? undefined : RAW_SHAPES[suffix];
}

/** S3 notifications URL-encode keys, with `+` for a space. */
export function decodeS3EventKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

/** The key as an S3 notification carries it (for notifications made up locally). */
export function encodeS3EventKey(key: string): string {
  return key
    .split('/')
    .map((part) => encodeURIComponent(part).replace(/%20/g, '+'))
    .join('/');
}
