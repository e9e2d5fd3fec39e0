import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type HeadroomStore } from '../../../core/store/open';
import type { SnapshotInput, SnapshotQuery } from '../../../core/store/snapshots';
import { manualClock, rejectedStoreError, storeBytes, storeError, useTemporaryFolder } from './helpers';

const T0 = 1_700_000_000;

/** Range-query answers as Prometheus gives them: repetitive label sets, values as strings. */
function rangeQueries(count: number): SnapshotQuery[] {
  return Array.from({ length: count }, (_, index) => ({
    endpoint: '/api/v1/query_range',
    params: { query: `sum by (namespace, pod) (rate(container_cpu_usage_seconds_total[5m])) # ${index}`, start: String(T0 - 3600), end: String(T0), step: '60' },
    response: {
      status: 'success',
      data: {
        resultType: 'matrix',
        result: Array.from({ length: 20 }, (_, pod) => ({
          metric: { namespace: 'shop', pod: `cart-7d9f8b6c5-${pod}` },
          values: Array.from({ length: 60 }, (_, step) => [T0 - 3600 + step * 60, String(0.25 + ((pod * step) % 7) / 100)]),
        })),
      },
    },
  }));
}

const report = { schemaVersion: 1, window: { start: T0 - 3600, end: T0 }, services: [], findings: [], recommendations: [] };

function snapshot(overrides: Partial<SnapshotInput> = {}): SnapshotInput {
  return { name: 'checkout latency, Tuesday', window: { start: T0 - 3600, end: T0 }, report, queries: rangeQueries(3), ...overrides };
}

describe('snapshots', () => {
  const folder = useTemporaryFolder();
  let clock: ReturnType<typeof manualClock>;
  let file: string;
  let store: HeadroomStore;

  beforeEach(() => {
    clock = manualClock(T0);
    file = join(folder.path, 'headroom.db');
    store = openStore(file, { clock: clock.clock });
  });
  afterEach(() => {
    store.close();
  });

  it('round-trips the report and the queries', async () => {
    const input = snapshot();
    const id = await store.snapshots.save(input);
    store.close();
    store = openStore(file, { clock: clock.clock });

    const saved = await store.snapshots.get(id);
    expect(saved).toEqual({
      id,
      name: input.name,
      connectionId: null,
      window: input.window,
      createdAt: T0,
      queryCount: 3,
      bytes: Buffer.byteLength(JSON.stringify({ report: input.report, queries: input.queries })),
      storedBytes: expect.any(Number),
      report: input.report,
      queries: input.queries,
    });
  });

  it('stores the payload gzip-compressed in a BLOB, several times smaller than its JSON', async () => {
    const id = await store.snapshots.save(snapshot({ queries: rangeQueries(30) }));
    const [meta] = store.snapshots.list();
    expect(meta?.storedBytes).toBeLessThan((meta?.bytes ?? 0) / 5);

    const db = new Database(file, { readonly: true });
    const payload = db.prepare('SELECT payload FROM snapshots WHERE id = ?').pluck().get(id) as Buffer;
    db.close();
    expect(payload).toBeInstanceOf(Buffer);
    expect(payload.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(payload.length).toBe(meta?.storedBytes);
    // The JSON is nowhere in the file in the clear.
    expect(storeBytes(file).includes('cart-7d9f8b6c5-')).toBe(false);
  });

  it('lists metadata newest first, with sizes', async () => {
    const first = await store.snapshots.save(snapshot({ name: 'first', queries: rangeQueries(1) }));
    clock.now = T0 + 60;
    const second = await store.snapshots.save(snapshot({ name: 'second', queries: [] }));
    const listed = store.snapshots.list();
    expect(listed.map((meta) => [meta.id, meta.name, meta.createdAt, meta.queryCount])).toEqual([
      [second, 'second', T0 + 60, 0],
      [first, 'first', T0, 1],
    ]);
    for (const meta of listed) {
      expect(meta.bytes).toBeGreaterThan(0);
      expect(meta.storedBytes).toBeGreaterThan(0);
      expect(meta).not.toHaveProperty('report');
      expect(meta).not.toHaveProperty('queries');
    }
  });

  it('refuses a snapshot over the size limit, saying by how much, and saves nothing', async () => {
    store.close();
    store = openStore(file, { clock: clock.clock, maxSnapshotBytes: 1024 * 1024 });
    const error = await rejectedStoreError(store.snapshots.save(snapshot({ name: 'huge', queries: rangeQueries(60) })));
    expect(error.reason).toBe('too-large');
    expect(error.message).toMatch(
      /^Cannot save the snapshot: "huge" is \d+\.\d MiB of JSON, over this store's limit of 1\.0 MiB; save a shorter window or fewer queries\.$/,
    );
    expect(store.snapshots.list()).toEqual([]);
    expect(await store.snapshots.save(snapshot({ name: 'small', queries: rangeQueries(1) }))).toBeGreaterThan(0);
  });

  it('links a snapshot to a saved connection, and refuses an unknown one', async () => {
    const connection = await store.connections.save({ name: 'prod', prometheus: { url: 'http://prom:9090' }, kube: null });
    const id = await store.snapshots.save(snapshot({ connectionId: connection.id }));
    expect((await store.snapshots.get(id)).connectionId).toBe(connection.id);

    const error = await rejectedStoreError(store.snapshots.save(snapshot({ connectionId: 'gone' })));
    expect(error.reason).toBe('not-found');
    expect(error.message).toBe(`Cannot save the snapshot: there is no connection gone in ${file}.`);
  });

  const invalid: Array<[string, Partial<SnapshotInput> | Record<string, unknown>, RegExp]> = [
    ['an empty name', { name: ' ' }, /name: give the snapshot a name/],
    ['a window that ends before it starts', { window: { start: T0, end: T0 - 60 } }, /window: the window must end after it starts/],
    ['a window with NaN', { window: { start: Number.NaN, end: T0 } }, /window\.start/],
    ['a missing report', { report: undefined }, /report: the report is missing/],
    ['a query with a number as a parameter', { queries: [{ endpoint: '/api/v1/query', params: { time: 5 }, response: {} }] }, /queries\.0\.params\.time/],
    ['a report that is not JSON', { report: { big: 10n } }, /is not JSON \(.*BigInt.*\)/],
  ];

  it.each(invalid)('refuses %s', async (_name, overrides, message) => {
    const error = await rejectedStoreError(store.snapshots.save({ ...snapshot(), ...overrides } as SnapshotInput));
    expect(error.reason).toBe('invalid');
    expect(error.message).toMatch(message);
    expect(store.snapshots.list()).toEqual([]);
  });

  it('removes a snapshot; an unknown id is not-found', async () => {
    const id = await store.snapshots.save(snapshot());
    store.snapshots.remove(id);
    expect(store.snapshots.list()).toEqual([]);
    expect(storeError(() => store.snapshots.remove(id)).reason).toBe('not-found');
    const error = await rejectedStoreError(store.snapshots.get(id));
    expect(error.reason).toBe('not-found');
    expect(error.message).toBe(`There is no snapshot ${id} in ${file}; it may have been removed.`);
  });

  it('reports a damaged payload as a damaged store', async () => {
    const id = await store.snapshots.save(snapshot());
    const db = new Database(file);
    db.prepare('UPDATE snapshots SET payload = ? WHERE id = ?').run(Buffer.from('not gzip'), id);
    db.close();
    const error = await rejectedStoreError(store.snapshots.get(id));
    expect(error.reason).toBe('corrupt');
    expect(error.message).toMatch(new RegExp(`^${file} is damaged \\(snapshot ${id} cannot be read: .+\\); move it aside`));
  });
});
