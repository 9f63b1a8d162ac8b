/**
 * The bytes of a raw object, decompressed when they are gzip. The format is sniffed
 * from the magic bytes, not the key's suffix: a `.csv` that is gzip is read, and a
 * `.csv.gz` that is plain text is read too.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';

const GZIP_MAGIC = [0x1f, 0x8b] as const;

export interface DecodedBody {
  readonly gzip: boolean;
  readonly chunks: AsyncIterable<Buffer>;
}

/** Error of the gzip decoder: the object's data is damaged (not a transport failure). */
export function isCorruptBodyError(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

export async function decodeBody(body: AsyncIterable<Uint8Array>): Promise<DecodedBody> {
  const it = body[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headBytes = 0;
  let done = false;
  while (headBytes < GZIP_MAGIC.length) {
    const next = await it.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    head.push(chunk);
    headBytes += chunk.length;
  }
  const first = Buffer.concat(head);
  const gzip = first.length >= 2 && first[0] === GZIP_MAGIC[0] && first[1] === GZIP_MAGIC[1];

  async function* raw(): AsyncGenerator<Buffer> {
    try {
      if (first.length > 0) yield first;
      if (done) return;
      for (let next = await it.next(); !next.done; next = await it.next()) {
        yield Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
      }
    } finally {
      // stopping early (a split that ends before the body) must release the source
      await it.return?.();
    }
  }
  if (!gzip) return { gzip, chunks: raw() };
  const gunzip = createGunzip();
  const source = Readable.from(raw(), { objectMode: false });
  pipeline(source, gunzip, () => undefined); // errors surface on gunzip, which is iterated
  return { gzip, chunks: gunzip };
}
