/**
 * What the silences, connections and snapshots modules share: the open database, the clock, the store's
 * write permission, and the translation of SQLite's failures into `StoreError`s that name the file.
 */
import Database from 'better-sqlite3';
import { StoreError } from './errors';

/** Unix seconds; injectable so expiry can be tested without waiting. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now() / 1000;

export interface StoreContext {
  db: Database.Database;
  /** The absolute path for messages, or `:memory:`. */
  file: string;
  /** The clock's time, in whole seconds (what the store records). */
  now(): number;
  /** Why the store refuses writes, or null when it accepts them. */
  readOnlyReason: string | null;
}

/** Runs a read, turning SQLite's failures into `StoreError`s. */
export function read<T>(context: StoreContext, action: () => T): T {
  try {
    assertOpen(context);
    return action();
  } catch (error) {
    throw translate(context, error);
  }
}

/**
 * Runs `action` in a `BEGIN IMMEDIATE` transaction: taking the write lock up front means a check and the
 * write that depends on it (a name still free, a row still there) cannot be split by another process.
 */
export function write<T>(context: StoreContext, action: () => T): T {
  assertWritable(context);
  return read(context, () => context.db.transaction(action).immediate());
}

/** Refuses a write before any work: a keychain prompt or a gzip pass for a write that must fail is waste. */
export function assertWritable(context: StoreContext): void {
  assertOpen(context);
  if (context.readOnlyReason !== null) throw new StoreError('newer-version', context.readOnlyReason);
}

function assertOpen(context: StoreContext): void {
  if (!context.db.open) throw new StoreError('closed', `The Headroom store ${context.file} is closed.`);
}

/** A StoreError for any failure of better-sqlite3; other errors (our own bugs) pass through unchanged. */
export function translate(context: Pick<StoreContext, 'file' | 'readOnlyReason'>, error: unknown): unknown {
  if (!(error instanceof Database.SqliteError)) return error;
  const { file } = context;
  const code = error.code;
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return corrupt(file, error.message);
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StoreError('busy', `${file} is locked by another Headroom; close it or try again.`);
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return new StoreError('unavailable', `${file} cannot be written (read-only file or folder); check its permissions.`);
  }
  if (code === 'SQLITE_FULL') {
    return new StoreError('unavailable', `${file} cannot grow: the disk is full; free some space and try again.`);
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_PERM') {
    return new StoreError('unavailable', `${file} cannot be opened or read (${error.message}); check the path and its permissions.`);
  }
  // A newer Headroom may have changed tables this one reads; that is not a bug here.
  if (context.readOnlyReason !== null) {
    return new StoreError('newer-version', `${context.readOnlyReason} (${error.message})`);
  }
  return error;
}

export function corrupt(file: string, detail: string): StoreError {
  return new StoreError(
    'corrupt',
    `${file} is damaged (${firstLine(detail)}); move it aside or point --store elsewhere.`,
  );
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '' && !line.startsWith('***'))?.trim() ?? text.trim();
}
