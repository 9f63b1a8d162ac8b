/**
 * Which objects the splitter takes, and how notification keys are read. The S3
 * notification's filter on AWS (prefix `raw/`, suffixes RAW_SUFFIXES) and the embedded
 * wiring both follow `isSplittableKey`.
 */
import { PREFIXES, RAW_SUFFIXES } from './resources.ts';

export function isSplittableKey(key: string): boolean {
  return key.startsWith(PREFIXES.raw) && RAW_SUFFIXES.some((suffix) => key.endsWith(suffix));
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
