import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
  ...readdirSync(join(ROOT, 'docs/adr'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/adr/${f}`),
];

/** GitHub's anchor for a heading. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}_\- ]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(path: string): Set<string> {
  const text = read(path).replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#+ (.*)$/gm)].map((m) => slug(m[1] ?? '')));
}

describe('docs', () => {
  it('the README opens with the two commands and stays short', () => {
    const readme = read('README.md');
    expect(
      readme.startsWith(
        '```bash\n' +
          'npm ci && npm start    # install, then run the pipeline on the embedded stack (no AWS account needed)\n' +
          'npm test               # lint, typecheck, unit and integration tests\n' +
          '```\n',
      ),
    ).toBe(true);
    expect(readme.split('\n').length).toBeLessThanOrEqual(250);
  });

  it('the README layout table names every folder of src/', () => {
    const readme = read('README.md');
    const folders = readdirSync(join(ROOT, 'src'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && d.name !== 'types')
      .map((d) => `\`src/${d.name}/\``);
    expect(folders.filter((f) => !readme.includes(f))).toEqual([]);
  });

  it('every relative link in the README and docs/ resolves, anchors included', () => {
    const broken: string[] = [];
    for (const doc of DOCS) {
      for (const [, target] of read(doc).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (!target || /^[a-z]+:/.test(target)) continue;
        const [path = '', anchor] = target.split('#');
        const file = path ? normalize(relative(ROOT, join(ROOT, dirname(doc), path))) : doc;
        if (!existsSync(join(ROOT, file))) broken.push(`${doc}: ${target} (no such file)`);
        else if (anchor && file.endsWith('.md') && !anchorsOf(file).has(anchor))
          broken.push(`${doc}: ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('no source comment cites design.md (the design is docs/architecture.md)', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
        const path = `${dir}/${entry.name}`;
        if (entry.isDirectory()) walk(path);
        else if (/\.(ts|js)$/.test(entry.name) && /(?<![\w/])design\.md/.test(read(path))) offenders.push(path);
      }
    };
    for (const dir of ['src', 'infra', 'bench', 'bin']) walk(dir);
    expect(offenders).toEqual([]);
  });
});
