/**
 * Builds the console: esbuild bundles `app/main.ts` (uPlot and its CSS included) into
 * `app.js` and `app.css` next to `index.html`, so every script and style ships with the
 * package and nothing loads from a CDN. It runs when the server starts (`dubegrid up`,
 * `npm start`) and when the CDK stack synthesises the site: esbuild takes well under a
 * second, so there is no build artefact to go stale and a fresh clone shows the console.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { CONSOLE_CONFIG_FILE, type ConsoleConfig } from '../shared/console-config.ts';

const APP = fileURLToPath(new URL('./app/', import.meta.url));

/** The files a built console consists of (the server serves exactly these). */
export const CONSOLE_FILES = ['index.html', 'app.js', 'app.css', CONSOLE_CONFIG_FILE] as const;

export interface ConsoleBuildOptions {
  /**
   * Written as `config.json`; `null` writes none (the CDK stack deploys its own, whose
   * API URL is only known at deploy time). @default { target: 'local' }
   */
  readonly config?: ConsoleConfig | null | undefined;
  /** @default true */
  readonly minify?: boolean | undefined;
}

export interface ConsoleBuild {
  readonly dir: string;
  readonly bytes: Record<string, number>;
}

/** Bundles the console into `outDir` (created if missing) and writes its `config.json`. */
export async function buildConsole(outDir: string, options: ConsoleBuildOptions = {}): Promise<ConsoleBuild> {
  await mkdir(outDir, { recursive: true });
  const result = await build({
    entryPoints: { app: join(APP, 'main.ts') },
    bundle: true,
    format: 'esm',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    platform: 'browser',
    minify: options.minify ?? true,
    sourcemap: false,
    outdir: outDir,
    metafile: true,
    logLevel: 'silent',
    legalComments: 'none',
  });
  await copyFile(join(APP, 'index.html'), join(outDir, 'index.html'));
  if (options.config !== null)
    await writeFile(join(outDir, CONSOLE_CONFIG_FILE), `${JSON.stringify(options.config ?? { target: 'local' })}\n`);
  const bytes: Record<string, number> = {};
  for (const [path, out] of Object.entries(result.metafile.outputs)) bytes[path.split('/').pop() ?? path] = out.bytes;
  return { dir: outDir, bytes };
}
