/**
 * The layering rules in eslint.config.js, shown failing: ESLint's own API lints a
 * deliberately wrong import as if it were a file inside each restricted folder (the
 * files do not exist; `lintText` needs only their path), and a correct one passing.
 */
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RULE = 'no-restricted-imports';

let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT });
});

/** The layering messages ESLint gives `specifier` imported (as a value, as a type, or re-exported) from `file`. */
async function lint(file: string, specifier: string, form: 'value' | 'type' | 're-export' = 'value') {
  const code = {
    value: `import { thing } from '${specifier}';\nexport const used = thing;\n`,
    type: `import type { Thing } from '${specifier}';\nexport type Used = Thing;\n`,
    're-export': `export { thing } from '${specifier}';\n`,
  }[form];
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}${file}` });
  return result?.messages ?? [];
}

async function expectRestricted(file: string, specifier: string, form?: 'value' | 'type' | 're-export'): Promise<void> {
  const messages = await lint(file, specifier, form);
  expect(
    messages.map((m) => m.ruleId),
    `${file} importing ${specifier}`,
  ).toEqual([RULE]);
}

async function expectAllowed(file: string, specifier: string): Promise<void> {
  expect(await lint(file, specifier), `${file} importing ${specifier}`).toEqual([]);
}

describe('layering: no consumer imports another consumer', () => {
  it('fails a sibling consumer, by any route and at any depth', async () => {
    await expectRestricted('src/consumers/anomaly/fixture.ts', '../state/core.ts');
    await expectRestricted('src/consumers/anomaly/store/fixture.ts', '../../registry/record.ts');
    await expectRestricted('src/consumers/state/fixture.ts', '../../consumers/anomaly/handler.ts');
    await expectRestricted('src/consumers/registry/fixture.ts', '../anomaly/store/retry.ts');
  });

  it('fails type-only imports and re-exports too', async () => {
    await expectRestricted('src/consumers/anomaly/fixture.ts', '../state/core.ts', 'type');
    await expectRestricted('src/consumers/state/fixture.ts', '../anomaly/rules/types.ts', 're-export');
  });

  it('fails the kit importing a consumer', async () => {
    await expectRestricted('src/consumers/kit/fixture.ts', '../state/core.ts');
  });

  it('names the rule and the way out in its message', async () => {
    const [message] = await lint('src/consumers/anomaly/fixture.ts', '../state/core.ts');
    expect(message?.message).toContain('src/consumers/anomaly/ must not import src/consumers/state/');
  });

  it('allows the kit, shared/, and the consumer itself', async () => {
    await expectAllowed('src/consumers/anomaly/fixture.ts', '../kit/records.ts');
    await expectAllowed('src/consumers/anomaly/store/fixture.ts', '../../kit/records.ts');
    await expectAllowed('src/consumers/anomaly/fixture.ts', '../../shared/event.ts');
    await expectAllowed('src/consumers/anomaly/store/fixture.ts', '../rules/types.ts');
    await expectAllowed('src/consumers/state/fixture.ts', './core.ts');
  });
});

describe('layering: producers, consumers and the lake never import local/, ops/, cli/ or generate/', () => {
  it('fails each of them, from producers, consumers and the lake', async () => {
    for (const area of ['local', 'ops', 'cli', 'generate']) {
      await expectRestricted('src/lake/fixture.ts', `../${area}/x.ts`);
      await expectRestricted('src/lake/compaction/fixture.ts', `../../${area}/x.ts`);
      await expectRestricted('src/producers/splitter/fixture.ts', `../../${area}/x.ts`);
      await expectRestricted('src/producers/ingest/deeper/fixture.ts', `../../../${area}/x.ts`);
      await expectRestricted('src/consumers/registry/fixture.ts', `../../${area}/x.ts`);
      await expectRestricted('src/consumers/anomaly/rules/fixture.ts', `../../../${area}/x.ts`, 'type');
    }
  });

  it('allows shared/, lake/ and the producers among themselves', async () => {
    await expectAllowed('src/producers/ingest/fixture.ts', '../../shared/resources.ts');
    await expectAllowed('src/producers/ingest/fixture.ts', '../splitter/body.ts');
    await expectAllowed('src/consumers/state/fixture.ts', '../../lake/config.ts');
  });
});

describe('layering: shared/ imports nothing from the rest of src/', () => {
  it('fails any other part of src/, from shared/ and from a folder inside it', async () => {
    await expectRestricted('src/shared/fixture.ts', '../consumers/state/core.ts');
    await expectRestricted('src/shared/fixture.ts', '../local/data-dir.ts', 'type');
    await expectRestricted('src/shared/kinesis/fixture.ts', '../../local/data-dir.ts');
    await expectRestricted('src/shared/kinesis/fixture.ts', '../../producers/splitter/keys.ts');
  });

  it('allows shared/ itself and packages', async () => {
    await expectAllowed('src/shared/kinesis/fixture.ts', '../resources.ts');
    await expectAllowed('src/shared/fixture.ts', './kinesis/shard-reader.ts');
    await expectAllowed('src/shared/fixture.ts', '@aws-sdk/client-kinesis');
  });
});

describe('layering: what the rules leave alone', () => {
  it('lets the embedded runtime, ops and the CLI import the lower layers', async () => {
    await expectAllowed('src/ops/replay/fixture.ts', '../../shared/kinesis/batch-runner.ts');
    await expectAllowed('src/local/services/fixture.ts', '../../consumers/state/handler.ts');
    await expectAllowed('src/cli/commands/fixture.ts', '../../generate/index.ts');
  });
});
