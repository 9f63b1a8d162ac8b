import { describe, expect, it } from 'vitest';
import { keyFigures, renderStatus } from '../../src/cli/commands/status-render.ts';
import type { ResourceStatus } from '../../src/ops/status.ts';

const shard = (n: number) => ({
  shard_id: `shardId-00000000000${n}`,
  state: 'reading',
  records: 10 * n,
  millis_behind_latest: 0,
});
/** The shape the running stack's control endpoint answers (trimmed). */
const services = {
  splitter: { files_done: 1, files_failed: 0, in_flight: 0, queued: 0, retries: 0 },
  state: { records: 30, retries: 0, millis_behind_latest: 0, shards: [shard(1), shard(2)] },
  anomaly: {
    records: 30,
    late_readings: 2,
    outbox_pending: 0,
    this_process: { applied: 30, late: 2 },
    last_error: 'boom',
  },
  sns: { topic_arn: 'arn:aws:sns:eu-west-2:000000000000:dubegrid-alerts', published: 4 },
};
const resources: ResourceStatus = {
  bucket: { name: 'b', exists: true, objects: { raw: 1, manifests: 1 } },
  stream: { name: 's', exists: true, shards: 4, open_shards: 4 },
  tables: {
    latest: { name: 'dubegrid-latest', exists: true, key_schema: 'asset_id HASH', items: 0, items_approximate: true },
  } as ResourceStatus['tables'],
};

describe('status, as a person reads it', () => {
  const runtime = { running: true, mode: 'up', pid: 42 };

  it('prints aligned tables: resources, then one row per service with its numbers; no JSON, no shards', () => {
    const text = renderStatus('local', '/d', runtime, resources, services, false);
    const lines = text.split('\n');
    expect(lines[0]).toBe('embedded stack running (pid 42, up) on /d');
    expect(text).toMatch(/^resource +name +exists +contents$/m);
    expect(text).toMatch(/^table +dubegrid-latest +yes +≈0 items \(asset_id HASH\)$/m);
    expect(text).toMatch(/^service +key figures$/m);
    const row = (name: string) => lines.find((l) => l.startsWith(`${name} `));
    expect(row('splitter')).toMatch(/files_done 1 · files_failed 0 · in_flight 0 · queued 0 · retries 0$/);
    expect(row('anomaly')).toMatch(/late_readings 2 · outbox_pending 0 · last_error boom$/);
    expect(row('sns')).toMatch(/published 4$/);
    // the service rows are aligned: every figure column starts at the same place
    const col = (l: string | undefined) => l?.search(/ {2}\S/);
    expect(new Set(['splitter', 'state', 'anomaly', 'sns'].map((n) => col(row(n)))).size).toBe(1);
    expect(text).not.toMatch(/shardId|[{[]"|arn:aws/);
    expect(text).toMatch(/--verbose/);
  });

  it('--verbose adds each service’s shards as a table and its nested figures', () => {
    const text = renderStatus('local', '/d', runtime, resources, services, true);
    expect(text).toMatch(/^state shards:\nshard_id +state +records +millis_behind_latest$/m);
    expect(text).toMatch(/^shardId-000000000002 +reading +20 +0$/m);
    expect(text).toMatch(/^anomaly this_process:$/m);
    expect(text).toMatch(/^sns topic_arn: arn:aws:sns/m);
  });

  it('says when no stack was running, and keeps key figures to numbers and errors', () => {
    expect(renderStatus('local', '/d', { running: false, mode: 'x' }, resources, {}, false)).toMatch(
      /^no stack was running on \/d; started one for this command/,
    );
    expect(keyFigures({ a: 1, b: 'text', c: { d: 1 }, last_error: 'x' })).toBe('a 1 · last_error x');
  });
});
