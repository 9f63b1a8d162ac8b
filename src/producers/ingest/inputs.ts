/**
 * What `dubegrid ingest` uploads: the files named, and every splittable file (a suffix
 * of RAW_SUFFIXES: CSV, JSON, JSON Lines, each maybe gzipped) under the directories
 * named (recursively), in a stable order.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { RAW_SUFFIXES } from '../../shared/resources.ts';
import { rawShapeOf } from '../../shared/s3-keys.ts';

export interface InputFile {
  readonly path: string;
  readonly name: string;
  readonly size: number;
}

export class IngestInputError extends Error {
  override name = 'IngestInputError';
}

export function isRawFileName(name: string): boolean {
  return rawShapeOf(name) !== undefined;
}

export async function expandInputs(paths: readonly string[]): Promise<InputFile[]> {
  const out: InputFile[] = [];
  for (const given of paths) {
    const path = resolve(given);
    const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
      throw new IngestInputError(
        err.code === 'ENOENT' ? `${given}: no such file or directory` : `${given}: ${err.message}`,
        { cause: err },
      );
    });
    if (info.isDirectory()) {
      const found = await walk(path);
      if (found.length === 0) throw new IngestInputError(`${given}: no ${RAW_SUFFIXES.join(', ')} files under it`);
      out.push(...found);
    } else if (!isRawFileName(path)) {
      throw new IngestInputError(`${given}: the splitter only takes ${RAW_SUFFIXES.join(', ')} files`);
    } else {
      out.push({ path, name: basename(path), size: info.size });
    }
  }
  return out;
}

async function walk(dir: string): Promise<InputFile[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  const out: InputFile[] = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(path)));
    else if (e.isFile() && isRawFileName(e.name)) out.push({ path, name: e.name, size: (await stat(path)).size });
  }
  return out;
}
