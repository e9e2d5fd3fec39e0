import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { HEADROOM_APPLICATION_ID, MIGRATIONS, migrate, STORE_SCHEMA_VERSION } from '../../../core/store/migrations';
import { openStore, type HeadroomStore } from '../../../core/store/open';
import { manualClock, rejectedStoreError, storeError, useTemporaryFolder } from './helpers';

const clock = manualClock();
const inAnHour = clock.now + 3600;
const silence = { rule: 'cpu-throttled', target: null, reason: 'known', expiresAt: inAnHour };

function raw(file: string): Database.Database {
  return new Database(file);
}

/** A store with enough rows to span many pages, closed again. */
async function populatedStore(file: string): Promise<void> {
  const store = openStore(file, { clock: clock.clock });
  store.silences.add(silence);
  for (let index = 0; index < 20; index += 1) {
    await store.snapshots.save({
      name: `investigation ${index}`,
      window: { start: 0, end: 3600 },
      // Random-looking text does not compress, so the file really grows.
      report: { noise: Array.from({ length: 400 }, (_, n) => ((n * 7919 + index * 104729) % 1_000_003).toString(36)) },
      queries: [],
    });
  }
  store.close();
}

describe('openStore: creating and migrating', () => {
  const folder = useTemporaryFolder();

  it('creates the file and its folders, at the latest schema, in WAL mode with foreign keys', () => {
    const file = join(folder.path, 'config', 'headroom', 'headroom.db');
    const store = openStore(file);
    expect(store.path).toBe(file);
    expect(store.schemaVersion).toBe(STORE_SCHEMA_VERSION);
    expect(store.readOnlyReason).toBeNull();
    store.close();

    const db = raw(file);
    expect(db.pragma('user_version', { simple: true })).toBe(STORE_SCHEMA_VERSION);
    expect(db.pragma('application_id', { simple: true })).toBe(HEADROOM_APPLICATION_ID);
    // WAL is a property of the file, so it is still set for a fresh connection.
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['connections', 'silences', 'snapshots']));
    db.close();
  });

  it('turns an empty file (as `touch` makes) into a store', () => {
    const file = join(folder.path, 'headroom.db');
    writeFileSync(file, '');
    const store = openStore(file);
    expect(store.schemaVersion).toBe(STORE_SCHEMA_VERSION);
    store.close();
  });

  it('re-opens a store with its data and without migrating again', () => {
    const file = join(folder.path, 'headroom.db');
    const first = openStore(file, { clock: clock.clock });
    const saved = first.silences.add(silence);
    first.close();

    const second = openStore(file, { clock: clock.clock });
    expect(second.schemaVersion).toBe(STORE_SCHEMA_VERSION);
    expect(second.silences.list()).toEqual([saved]);
    second.close();
  });

  it('numbers the migrations 1, 2, 3… with the last one as the schema version', () => {
    expect(MIGRATIONS.map((migration) => migration.version)).toEqual(MIGRATIONS.map((_, index) => index + 1));
    expect(STORE_SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it('applies pending migrations in one transaction: a failing one leaves the file as it was', () => {
    const file = join(folder.path, 'migrating.db');
    const db = raw(file);
    const migrations = [
      { version: 1, description: 'first', sql: 'CREATE TABLE first (id INTEGER)' },
      { version: 2, description: 'second', sql: 'CREATE TABLE second (id INTEGER)' },
      { version: 3, description: 'broken', sql: 'CREATE TABLE third (id INTEGER); INSERT INTO missing VALUES (1)' },
    ];
    expect(() => migrate(db, migrations)).toThrow(/no such table: missing/);
    expect(db.pragma('user_version', { simple: true })).toBe(0);
    expect(db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table'").pluck().get()).toBe(0);

    // Only the migrations above the file's version run: re-running 1 would fail on the existing table.
    expect(migrate(db, migrations.slice(0, 1))).toBe(1);
    expect(migrate(db, migrations.slice(0, 2))).toBe(2);
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    db.close();
  });

  it('works in memory for tests of pure logic', () => {
    const store = openStore(':memory:', { clock: clock.clock });
    expect(store.silences.add(silence).id).toBe(1);
    store.close();
  });
});

describe('openStore: a store written by a newer Headroom', () => {
  const folder = useTemporaryFolder();

  it('opens read-only: reads work, every write is refused, nothing is downgraded', async () => {
    const file = join(folder.path, 'headroom.db');
    const current = openStore(file, { clock: clock.clock });
    const kept = current.silences.add(silence);
    const connection = await current.connections.save({ name: 'prod', prometheus: { url: 'http://prom:9090' }, kube: null });
    current.close();
    const newer = STORE_SCHEMA_VERSION + 1;
    const db = raw(file);
    db.exec('CREATE TABLE from_the_future (id INTEGER)');
    db.pragma(`user_version = ${newer}`);
    db.close();
    const before = readFileSync(file);

    const store = openStore(file, { clock: clock.clock });
    expect(store.schemaVersion).toBe(newer);
    expect(store.readOnlyReason).toMatch(/written by a newer Headroom \(store version \d+, this one knows up to \d+\); it is open read-only/);
    expect(store.silences.list()).toEqual([kept]);
    expect(store.connections.list().map((saved) => saved.name)).toEqual(['prod']);

    const refusals = [
      storeError(() => store.silences.add(silence)),
      storeError(() => store.silences.extend(kept.id, inAnHour + 60)),
      storeError(() => store.silences.remove(kept.id)),
      storeError(() => store.connections.remove(connection.id)),
      await rejectedStoreError(store.connections.save({ name: 'dev', prometheus: { url: 'http://dev:9090' }, kube: null })),
      await rejectedStoreError(store.snapshots.save({ name: 's', window: { start: 0, end: 1 }, report: {}, queries: [] })),
    ];
    for (const refusal of refusals) {
      expect(refusal.reason).toBe('newer-version');
      expect(refusal.message).toContain(file);
    }
    store.close();

    expect(readFileSync(file).equals(before)).toBe(true);
    const after = raw(file);
    expect(after.pragma('user_version', { simple: true })).toBe(newer);
    expect(after.prepare('SELECT count(*) FROM silences').pluck().get()).toBe(1);
    after.close();
  });
});

describe('openStore: files that are not a usable store are left alone', () => {
  const folder = useTemporaryFolder();

  /** Opens `file`, expecting a StoreError, and checks the folder and the file did not change. */
  function refusal(file: string): { reason: string; message: string } {
    const before = readFileSync(file);
    const listing = readdirSync(folder.path);
    const error = storeError(() => openStore(file));
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(readdirSync(folder.path)).toEqual(listing);
    expect(error.message).toContain(file);
    expect(error.message).not.toContain('\n');
    return { reason: error.reason, message: error.message };
  }

  const notDatabases: Array<[string, string | Buffer]> = [
    ['a text file', 'this is my shopping list, not a database\n'],
    ['a JSON file', JSON.stringify({ connections: [] })],
    ['a few bytes', 'SQL'],
    ['random bytes', Buffer.from(Array.from({ length: 8192 }, (_, index) => (index * 31 + 7) % 256))],
  ];

  it.each(notDatabases)('%s is not a store', (_name, content) => {
    const file = join(folder.path, 'headroom.db');
    writeFileSync(file, content);
    expect(refusal(file)).toEqual({
      reason: 'not-a-store',
      message: `${file} is not a Headroom store (file is not a database); move it aside or point --store elsewhere.`,
    });
  });

  it("another application's SQLite database is not a store, and gets none of our tables", () => {
    const file = join(folder.path, 'other.db');
    const db = raw(file);
    db.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me')");
    db.close();
    const { reason, message } = refusal(file);
    expect(reason).toBe('not-a-store');
    expect(message).toMatch(/a SQLite database of another application\); move it aside or point --store elsewhere/);
  });

  const overwritePage = (bytes: Buffer, pageSize: number): Buffer => {
    const damaged = Buffer.from(bytes);
    damaged.fill(0x41, pageSize * 2, pageSize * 3);
    return damaged;
  };
  // Journal mode matters: switching a rollback-journal file to WAL rewrites its header, which must not
  // happen before the file is known to be sound.
  const damages: Array<[string, 'wal' | 'delete', (bytes: Buffer, pageSize: number) => Buffer]> = [
    ['truncated to half', 'wal', (bytes) => bytes.subarray(0, Math.floor(bytes.length / 2))],
    ['missing its last page', 'wal', (bytes, pageSize) => bytes.subarray(0, bytes.length - pageSize)],
    ['cut after the 100-byte header', 'wal', (bytes) => bytes.subarray(0, 100)],
    ['with a page overwritten', 'wal', overwritePage],
    ['in rollback-journal mode with a page overwritten', 'delete', overwritePage],
    [
      'with the header intact and the rest overwritten',
      'wal',
      (bytes) => {
        const damaged = Buffer.from(bytes);
        damaged.fill(0x5a, 100);
        return damaged;
      },
    ],
  ];

  it.each(damages)('a store %s is corrupt', async (_name, journalMode, damage) => {
    const file = join(folder.path, 'headroom.db');
    await populatedStore(file);
    const db = raw(file);
    db.pragma(`journal_mode = ${journalMode}`);
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.close();
    writeFileSync(file, damage(readFileSync(file), pageSize));

    const { reason, message } = refusal(file);
    expect(reason).toBe('corrupt');
    expect(message).toMatch(/ is damaged \(.+\); move it aside or point --store elsewhere\.$/);
  });

  it('a folder in place of the file is unavailable', () => {
    const file = join(folder.path, 'headroom.db');
    mkdirSync(file);
    const error = storeError(() => openStore(file));
    expect(error.reason).toBe('unavailable');
    expect(error.message).toBe(`${file} is a folder, not a Headroom store; point --store at a file.`);
    expect(statSync(file).isDirectory()).toBe(true);
  });

  it('an empty path is refused before touching the disk', () => {
    expect(storeError(() => openStore('  ')).reason).toBe('invalid');
  });
});

describe('openStore: two Headroom processes on one file', () => {
  const folder = useTemporaryFolder();

  it("each sees the other's committed writes", async () => {
    const file = join(folder.path, 'headroom.db');
    const app = openStore(file, { clock: clock.clock });
    const cli = openStore(file, { clock: clock.clock });
    try {
      const fromCli = cli.silences.add({ ...silence, reason: 'from the CLI' });
      expect(app.silences.list().map((saved) => saved.reason)).toEqual(['from the CLI']);

      const connection = await app.connections.save({ name: 'prod', prometheus: { url: 'http://prom:9090' }, kube: null });
      expect(cli.connections.list()).toEqual([connection]);

      app.silences.remove(fromCli.id);
      expect(cli.silences.list()).toEqual([]);
    } finally {
      app.close();
      cli.close();
    }
  });

  it('another OS process sees our committed writes, and we see its', () => {
    const file = join(folder.path, 'headroom.db');
    const store = openStore(file, { clock: () => Date.now() / 1000 });
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    try {
      store.silences.add({ ...silence, reason: 'from this process', expiresAt });
      const child = fileURLToPath(new URL('./other-process.ts', import.meta.url));
      const seen = execFileSync(process.execPath, ['--import', 'tsx', child, file, String(expiresAt)], { encoding: 'utf8' });
      expect(JSON.parse(seen)).toEqual(['from this process']);
      expect(store.silences.list().map((saved) => saved.reason).sort()).toEqual(['from the other process', 'from this process']);
    } finally {
      store.close();
    }
  });

  it('a long read does not hold up a write (WAL), and keeps its own view until it ends', () => {
    const file = join(folder.path, 'headroom.db');
    const store = openStore(file, { clock: clock.clock, busyTimeoutMs: 100 });
    const reader = raw(file);
    const count = reader.prepare('SELECT count(*) FROM silences').pluck();
    try {
      reader.exec('BEGIN');
      expect(count.get()).toBe(0);
      // Under a rollback journal this commit would wait for the reader and fail as busy.
      store.silences.add(silence);
      expect(count.get()).toBe(0);
      reader.exec('COMMIT');
      expect(count.get()).toBe(1);
    } finally {
      reader.close();
      store.close();
    }
  });

  it('a write that waits longer than the busy timeout for the other writer fails as busy', () => {
    const file = join(folder.path, 'headroom.db');
    const store = openStore(file, { clock: clock.clock, busyTimeoutMs: 100 });
    const other = raw(file);
    other.exec('BEGIN IMMEDIATE');
    try {
      const error = storeError(() => store.silences.add(silence));
      expect(error.reason).toBe('busy');
      expect(error.message).toBe(`${file} is locked by another Headroom; close it or try again.`);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(store.silences.add(silence).reason).toBe('known');
    store.close();
  });
});

describe('HeadroomStore.close', () => {
  const folder = useTemporaryFolder();

  it('makes every later call fail as closed', async () => {
    const store: HeadroomStore = openStore(join(folder.path, 'headroom.db'), { clock: clock.clock });
    store.close();
    expect(storeError(() => store.silences.list()).reason).toBe('closed');
    expect(storeError(() => store.silences.add(silence)).reason).toBe('closed');
    expect((await rejectedStoreError(store.snapshots.get(1))).reason).toBe('closed');
    expect((await rejectedStoreError(store.connections.get('x'))).reason).toBe('closed');
  });
});
