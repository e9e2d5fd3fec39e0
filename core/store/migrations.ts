/**
 * The store's schema, as numbered migrations. `PRAGMA user_version` holds the number of the last one
 * applied; a store is brought up to date by applying the ones above it, all in one transaction, so a crash or
 * a failing migration leaves the file exactly as it was.
 *
 * Rules for adding one: append it with the next number and never edit a released one, since stores out there
 * already ran it. Prefer additive changes (new tables, new nullable columns): an older Headroom opens a
 * newer store read-only and still reads it.
 */
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/**
 * Marks the file as Headroom's (`PRAGMA application_id`, "HDRM"), so a SQLite database of another
 * application is recognised and left alone instead of having our tables added to it.
 */
export const HEADROOM_APPLICATION_ID = 0x4844524d;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'silences, connections, snapshots',
    sql: `
      PRAGMA application_id = ${HEADROOM_APPLICATION_ID};

      -- AUTOINCREMENT: a removed silence's id is never handed out again, so "remove 12" cannot hit a
      -- newer silence that someone read about in an older listing.
      CREATE TABLE silences (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        rule TEXT NOT NULL,
        -- All three NULL: the silence covers every target of the rule.
        target_namespace TEXT,
        target_kind TEXT,
        target_name TEXT,
        reason TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        created_by TEXT,
        CHECK ((target_namespace IS NULL) = (target_kind IS NULL) AND (target_kind IS NULL) = (target_name IS NULL))
      );
      CREATE INDEX silences_by_expiry ON silences (expires_at);

      CREATE TABLE connections (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        -- The name folded for comparison: SQLite's NOCASE folds ASCII only.
        name_key TEXT NOT NULL UNIQUE,
        -- JSON without secrets; the secrets are one sealed string from the SecretBox.
        prometheus TEXT NOT NULL,
        kube TEXT,
        sealed_secrets TEXT,
        secret_storage TEXT CHECK (secret_storage IN ('os-keychain', 'plaintext')),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        CHECK ((sealed_secrets IS NULL) = (secret_storage IS NULL))
      );

      CREATE TABLE snapshots (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        connection_id TEXT REFERENCES connections (id) ON DELETE SET NULL,
        window_start REAL NOT NULL,
        window_end REAL NOT NULL,
        created_at INTEGER NOT NULL,
        query_count INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        stored_bytes INTEGER NOT NULL,
        -- Last on purpose: SQLite reads a row's columns in order, so listing the columns above never walks
        -- the payload's overflow pages.
        payload BLOB NOT NULL
      );
      CREATE INDEX snapshots_by_creation ON snapshots (created_at);
      CREATE INDEX snapshots_by_connection ON snapshots (connection_id);
    `,
  },
];

/** The schema version this Headroom writes. */
export const STORE_SCHEMA_VERSION = MIGRATIONS.reduce((latest, migration) => Math.max(latest, migration.version), 0);

/**
 * Applies the migrations above the file's `user_version` in one `BEGIN IMMEDIATE` transaction and returns
 * the version the file is at afterwards. The version is read inside the transaction: when two processes open
 * a new store at once, the second waits for the first's write lock and then finds nothing left to do. A file
 * already above the known versions is returned untouched.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  return db
    .transaction((): number => {
      let version = db.pragma('user_version', { simple: true }) as number;
      for (const migration of migrations) {
        if (migration.version <= version) continue;
        db.exec(migration.sql);
        // PRAGMA takes no bound parameters; the version is one of our own integers.
        db.pragma(`user_version = ${migration.version}`);
        version = migration.version;
      }
      return version;
    })
    .immediate();
}
