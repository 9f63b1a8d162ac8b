import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildConsole, CONSOLE_FILES } from '../../src/console/build.ts';
import { tempDir } from '../support/tmp.ts';

describe('the console build', () => {
  it('bundles the app, its CSS (uPlot included) and config.json, loading nothing from another origin', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await buildConsole(dir);
      expect((await readdir(dir)).sort()).toEqual([...CONSOLE_FILES].sort());
      const html = await readFile(join(dir, 'index.html'), 'utf8');
      const css = await readFile(join(dir, 'app.css'), 'utf8');
      const js = await readFile(join(dir, 'app.js'), 'utf8');
      // only relative references: no CDN, no web font
      expect([...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1])).toEqual([
        'app.css',
        'data:,',
        '#/',
        '#/',
        '#/map',
        '#/alerts',
        '#/report',
        'app.js',
      ]);
      expect(css).toMatch(/\.uplot/);
      expect(css).not.toMatch(/@import|url\(\s*['"]?https?:/);
      expect(css).not.toMatch(/@font-face/);
      // the API's zod schemas are imported for their types only: none of zod reaches the bundle
      expect(js).not.toMatch(/ZodError|zod/i);
      expect(js.length).toBeLessThan(150_000);
      expect(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'))).toEqual({ target: 'local' });
    } finally {
      await cleanup();
    }
  });

  it('writes no config.json when told (the CDK stack deploys its own)', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await buildConsole(dir, { config: null });
      expect(await readdir(dir)).not.toContain('config.json');
    } finally {
      await cleanup();
    }
  });
});
