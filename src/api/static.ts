/**
 * The console's files, read from one directory. A request path names a file only
 * if, decoded and resolved, it stays inside that directory (symbolic links
 * included): `..`, encoded slashes, backslashes and NUL bytes never reach the disk.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
}

/** The file `urlPath` (as sent, still percent-encoded) names under `root`, or undefined. */
export async function staticFile(root: string, urlPath: string): Promise<StaticFile | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (/[\0\\]/.test(decoded)) return undefined;
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..')) return undefined;
  let base: string;
  try {
    base = await realpath(root);
  } catch {
    return undefined;
  }
  const candidate = resolve(base, ...segments);
  if (!candidate.startsWith(base + sep)) return undefined;
  try {
    const real = await realpath(candidate);
    if (!real.startsWith(base + sep) || !(await stat(real)).isFile()) return undefined;
    return { body: await readFile(real), type: TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream' };
  } catch {
    return undefined;
  }
}
