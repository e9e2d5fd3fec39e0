/**
 * Opening Headroom's local store: one SQLite file (better-sqlite3) holding silences, connections and
 * snapshots. The desktop app and the CLI may have it open at once, hence WAL (readers never wait for the
 * writer) and a busy timeout (a writer waits for the other's transaction instead of failing).
 *
 * A file is never overwritten, wiped or downgraded. Before anything is written the file is checked: not a
 * SQLite database, another application's database, or damaged → a `StoreError` that names it and says what
 * to do, with the file left byte for byte as it was. A store written by a newer Headroom opens read-only:
 * reads work, writes throw.
 */
import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { corrupt, systemClock, translate, type Clock, type StoreContext } from './context';
import { createConnectionStore, type ConnectionStore } from './connections';
import { StoreError } from './errors';
import { HEADROOM_APPLICATION_ID, migrate, STORE_SCHEMA_VERSION } from './migrations';
import type { SecretBox } from './secrets';
import { createSilenceStore, type SilenceStore } from './silences';
import { createSnapshotStore, DEFAULT_MAX_SNAPSHOT_BYTES, type SnapshotStore } from './snapshots';

export interface StoreOptions {
  /** Unix seconds; `Date.now()` by default. */
  clock?: Clock;
  /** Seals connection secrets; without one, connections with credentials cannot be saved or opened. */
  secretBox?: SecretBox;
  /** How long a write waits for another process's transaction; 5 s by default. */
  busyTimeoutMs?: number;
  /** Largest snapshot accepted, as uncompressed JSON; 128 MiB by default. */
  maxSnapshotBytes?: number;
}

export interface HeadroomStore {
  /** The absolute path of the file, or `:memory:`. */
  readonly path: string;
  /** The schema version the file is at (above this Headroom's own when a newer one wrote it). */
  readonly schemaVersion: number;
  /** Why writes are refused (a newer Headroom's store), or null. Front ends can show it up front. */
  readonly readOnlyReason: string | null;
  readonly silences: SilenceStore;
  readonly connections: ConnectionStore;
  readonly snapshots: SnapshotStore;
  /** Closes the file; further calls throw a `closed` StoreError. */
  close(): void;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

/** The first 16 bytes of every SQLite 3 database file. */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Opens (creating it and its folder when missing) the store at `path`, migrating it to this Headroom's
 * schema. `:memory:` gives a private in-memory store for tests of pure logic.
 */
export function openStore(path: string, options: StoreOptions = {}): HeadroomStore {
  if (path.trim() === '') {
    throw new StoreError('invalid', 'The store path is empty; pass a file path, or leave --store out for the default.');
  }
  const memory = path === ':memory:';
  const file = memory ? path : resolve(path);
  if (!memory) checkFileBeforeOpening(file);

  let db: Database.Database;
  try {
    db = new Database(file, { timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS });
  } catch (error) {
    throw translate({ file, readOnlyReason: null }, error);
  }

  let schemaVersion: number;
  let readOnlyReason: string | null = null;
  try {
    schemaVersion = inspect(db, file);
    if (schemaVersion <= STORE_SCHEMA_VERSION) {
      // Switching to WAL writes the file header, so it waits until the file is known to be ours and sound.
      db.pragma('journal_mode = WAL');
      schemaVersion = migrate(db);
    }
    // Checked after migrating too: a newer Headroom may have migrated the file while we waited for its lock.
    if (schemaVersion > STORE_SCHEMA_VERSION) {
      readOnlyReason = `${file} was written by a newer Headroom (store version ${schemaVersion}, this one knows up to ${STORE_SCHEMA_VERSION}); it is open read-only: update Headroom to change it.`;
      // SQLite itself then refuses every write on this connection, whatever the code above it does.
      db.pragma('query_only = ON');
    }
    db.pragma('foreign_keys = ON');
  } catch (error) {
    db.close();
    throw translate({ file, readOnlyReason: null }, error);
  }

  const clock = options.clock ?? systemClock;
  const context: StoreContext = { db, file, now: () => Math.floor(clock()), readOnlyReason };
  return {
    path: file,
    schemaVersion,
    readOnlyReason,
    silences: createSilenceStore(context),
    connections: createConnectionStore(context, options.secretBox ?? null),
    snapshots: createSnapshotStore(context, options.maxSnapshotBytes ?? DEFAULT_MAX_SNAPSHOT_BYTES),
    close: () => {
      db.close();
    },
  };
}

/**
 * Catches what must never reach SQLite: a folder in the file's place, and a file that is not a SQLite
 * database at all (SQLite would only fail on first use, after we had tried to write). Creates the folder of a
 * new store, since the default location's folder usually does not exist yet.
 */
function checkFileBeforeOpening(file: string): void {
  let size: number;
  try {
    const stats = statSync(file);
    if (stats.isDirectory()) {
      throw new StoreError('unavailable', `${file} is a folder, not a Headroom store; point --store at a file.`);
    }
    size = stats.size;
  } catch (error) {
    if (error instanceof StoreError) throw error;
    if (!isMissingFile(error)) throw unreadable(file, error);
    try {
      mkdirSync(dirname(file), { recursive: true });
    } catch (mkdirError) {
      throw unreadable(dirname(file), mkdirError);
    }
    return;
  }
  // SQLite treats an empty file as an empty database: e.g. one made by `touch` to choose the location.
  if (size === 0) return;
  const header = Buffer.alloc(SQLITE_HEADER.length);
  let read: number;
  try {
    const descriptor = openSync(file, 'r');
    try {
      read = readSync(descriptor, header, 0, header.length, 0);
    } finally {
      closeSync(descriptor);
    }
  } catch (error) {
    throw unreadable(file, error);
  }
  if (read < header.length || !header.equals(SQLITE_HEADER)) {
    throw new StoreError(
      'not-a-store',
      `${file} is not a Headroom store (file is not a database); move it aside or point --store elsewhere.`,
    );
  }
}

/**
 * Reads the file's identity and checks its structure, writing nothing; returns its schema version. The full
 * structural check (`quick_check`, about 0.1 s per 200 MB) runs at every open because a damaged page would
 * otherwise surface in the middle of a later write.
 */
function inspect(db: Database.Database, file: string): number {
  const version = db.pragma('user_version', { simple: true }) as number;
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  const tables = db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table'").pluck().get() as number;
  const fresh = applicationId === 0 && version === 0 && tables === 0;
  if (!fresh && applicationId !== HEADROOM_APPLICATION_ID) {
    throw new StoreError(
      'not-a-store',
      `${file} is not a Headroom store (a SQLite database of another application); move it aside or point --store elsewhere.`,
    );
  }
  const check = db.pragma('quick_check', { simple: true }) as string;
  if (check !== 'ok') {
    throw corrupt(file, check);
  }
  return version;
}

function isMissingFile(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}

function unreadable(file: string, error: unknown): StoreError {
  const detail = error instanceof Error && 'code' in error ? String(error.code) : String(error);
  return new StoreError('unavailable', `${file} cannot be read (${detail}); check the path and its permissions.`);
}
