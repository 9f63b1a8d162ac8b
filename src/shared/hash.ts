/**
 * The one hash DubeGrid derives its deterministic ids from (event, notification, DLQ
 * entry ids): SHA-256 as hex. `crypto.hash` is the one-shot form: on the splitter's hot
 * path it costs a third of `createHash().update().digest()` (no Hash object per call;
 * measured 0.33 vs 1.05 µs an event id), with the same digest.
 */
import { hash } from 'node:crypto';

export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}
