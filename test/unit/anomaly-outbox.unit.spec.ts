/**
 * `publishAll`'s order and concurrency: one asset's notifications in their order, assets
 * side by side, never more in flight than asked, and a failure left to the sweeper
 * without stopping the others. (The int tier runs it against the emulators:
 * anomaly-outbox.int; what is in flight at once is not observable there.)
 */
import { describe, expect, it } from 'vitest';
import type { AlertArchive } from '../../src/consumers/anomaly/archive.ts';
import { publishAll } from '../../src/consumers/anomaly/outbox.ts';
import type { AlertPublisher } from '../../src/consumers/anomaly/publisher.ts';
import type { AlertStore, StoredNotification } from '../../src/consumers/anomaly/store/alert-store.ts';

const notification = (asset: string, i: number): StoredNotification =>
  ({
    notification_id: `${asset}-${i}`,
    asset_id: asset,
    subject: `${asset} ${i}`,
    message: 'm',
    attributes: {},
  }) as unknown as StoredNotification;

/** A publisher whose calls each wait a turn of the event loop, recording order and how many are in flight. */
function recording(failOn?: string) {
  const order: string[] = [];
  let inFlight = 0;
  let most = 0;
  const publisher: AlertPublisher = {
    async publish(m) {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
      if (m.subject === failOn) throw new Error('topic away');
      order.push(m.subject);
      return { messageId: `id-${m.subject}` };
    },
  } as AlertPublisher;
  const marked: string[] = [];
  const alerts = {
    markPublished: async (n: StoredNotification) => void marked.push(n.notification_id),
  } as unknown as AlertStore;
  const archive = { put: async () => undefined } as unknown as AlertArchive;
  return { publisher, alerts, archive, order, marked, most: () => most };
}

describe('publishAll', () => {
  const many = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'].flatMap((asset) =>
    [0, 1, 2].map((i) => notification(asset, i)),
  );

  it("publishes each asset's notifications in their order, assets side by side, at most `concurrency` at once", async () => {
    const r = recording();
    const out = await publishAll(many, r.publisher, r.alerts, r.archive, 4);
    expect(out).toEqual({ published: 36, failed: 0, errors: [] });
    expect(r.marked).toHaveLength(36);
    expect(r.most()).toBe(4);
    for (const asset of ['a', 'f', 'l']) {
      expect(r.order.filter((s) => s.startsWith(`${asset} `))).toEqual([`${asset} 0`, `${asset} 1`, `${asset} 2`]);
    }
    // side by side: the second asset's first went before the first asset's last
    expect(r.order.indexOf('b 0')).toBeLessThan(r.order.indexOf('a 2'));
  });

  it('one at a time with a concurrency of 1: the order given', async () => {
    const r = recording();
    await publishAll(many, r.publisher, r.alerts, r.archive, 1);
    expect(r.most()).toBe(1);
    expect(r.order).toEqual(many.map((n) => n.subject));
  });

  it('leaves a failed notification unmarked for the sweeper and publishes the rest', async () => {
    const r = recording('c 1');
    const out = await publishAll(many, r.publisher, r.alerts, r.archive);
    expect(out.published).toBe(35);
    expect(out.failed).toBe(1);
    expect(out.errors).toEqual(['c-1: topic away']);
    expect(r.marked).not.toContain('c-1');
    expect(r.order).toContain('c 2');
  });
});
