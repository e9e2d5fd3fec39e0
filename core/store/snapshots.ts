/**
 * Snapshots: an investigation kept for offline use, the report plus the raw answers of every query behind it,
 * so it can be reopened (and re-analysed) without the Prometheus it came from.
 *
 * The payload is JSON, gzip-compressed into one BLOB: query answers are repetitive label sets and compress
 * several times over. Compression runs on libuv's thread pool (`save` and `get` are async) so a large snapshot
 * does not freeze the window. A size limit on the JSON guards both the disk and the memory `get` needs.
 */
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { z } from 'zod';
import { assertWritable, corrupt, read, write, type StoreContext } from './context';
import { StoreError } from './errors';
import { parseInput, parseRowId } from './validation';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Large enough for a week of range queries over a big fleet; well below V8's longest string (~512 MiB). */
export const DEFAULT_MAX_SNAPSHOT_BYTES = 128 * 1024 * 1024;

const querySchema = z.strictObject({
  /** The Prometheus HTTP API endpoint, e.g. `/api/v1/query_range`. */
  endpoint: z.string().min(1),
  params: z.record(z.string(), z.string()),
  response: z.unknown(),
});

const snapshotInputSchema = z.strictObject({
  name: z.string().trim().min(1, 'give the snapshot a name').max(200),
  connectionId: z.string().min(1).nullable().optional(),
  window: z
    .strictObject({ start: z.number().finite(), end: z.number().finite() })
    .refine((window) => window.start < window.end, 'the window must end after it starts'),
  // JSON has no `undefined`: a report that is undefined would come back missing.
  report: z.unknown().refine((report) => report !== undefined, 'the report is missing'),
  queries: z.array(querySchema),
});

export type SnapshotQuery = z.infer<typeof querySchema>;
export type SnapshotInput = z.input<typeof snapshotInputSchema>;

export interface SnapshotMeta {
  id: number;
  name: string;
  /** null when taken without a saved connection, or when that connection was removed since. */
  connectionId: string | null;
  window: { start: number; end: number };
  createdAt: number;
  queryCount: number;
  /** Size of the payload as JSON. */
  bytes: number;
  /** Size on disk, compressed. */
  storedBytes: number;
}

export interface Snapshot extends SnapshotMeta {
  report: unknown;
  queries: SnapshotQuery[];
}

export interface SnapshotStore {
  /** Returns the new snapshot's id. */
  save(input: SnapshotInput): Promise<number>;
  /** Newest first; reads no payloads. */
  list(): SnapshotMeta[];
  get(id: number): Promise<Snapshot>;
  remove(id: number): void;
}

interface SnapshotRow {
  id: number;
  name: string;
  connection_id: string | null;
  window_start: number;
  window_end: number;
  created_at: number;
  query_count: number;
  bytes: number;
  stored_bytes: number;
}

/** Every column but the payload, in table order. */
const META_COLUMNS =
  'id, name, connection_id, window_start, window_end, created_at, query_count, bytes, stored_bytes';

export function createSnapshotStore(context: StoreContext, maxBytes: number): SnapshotStore {
  const { db } = context;

  const notFound = (id: number): StoreError =>
    new StoreError('not-found', `There is no snapshot ${id} in ${context.file}; it may have been removed.`);

  return {
    async save(input) {
      assertWritable(context);
      const action = 'Cannot save the snapshot';
      const snapshot = parseInput(snapshotInputSchema, input, action);
      let json: string;
      try {
        json = JSON.stringify({ report: snapshot.report, queries: snapshot.queries });
      } catch (error) {
        // Cycles and BigInts: what the renderer could not have sent either.
        throw new StoreError('invalid', `${action}: "${snapshot.name}" is not JSON (${error instanceof Error ? error.message : String(error)}).`);
      }
      const bytes = Buffer.byteLength(json);
      if (bytes > maxBytes) {
        throw new StoreError(
          'too-large',
          `${action}: "${snapshot.name}" is ${megabytes(bytes)} of JSON, over this store's limit of ${megabytes(maxBytes)}; save a shorter window or fewer queries.`,
        );
      }
      const payload = await gzipAsync(json);
      return write(context, () => {
        const connectionId = snapshot.connectionId ?? null;
        // Checked here for the message; the foreign key would only say "constraint failed".
        if (connectionId !== null && db.prepare('SELECT 1 FROM connections WHERE id = ?').get(connectionId) === undefined) {
          throw new StoreError('not-found', `${action}: there is no connection ${connectionId} in ${context.file}.`);
        }
        const { lastInsertRowid } = db
          .prepare(
            `INSERT INTO snapshots (name, connection_id, window_start, window_end, created_at, query_count, bytes, stored_bytes, payload)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            snapshot.name,
            connectionId,
            snapshot.window.start,
            snapshot.window.end,
            context.now(),
            snapshot.queries.length,
            bytes,
            payload.length,
            payload,
          );
        return Number(lastInsertRowid);
      });
    },

    list() {
      return read(context, () =>
        db.prepare<[], SnapshotRow>(`SELECT ${META_COLUMNS} FROM snapshots ORDER BY created_at DESC, id DESC`).all(),
      ).map(metaFromRow);
    },

    async get(id) {
      const rowId = parseRowId(id, 'Snapshot');
      const row = read(context, () =>
        db.prepare<[number], SnapshotRow & { payload: Buffer }>('SELECT * FROM snapshots WHERE id = ?').get(rowId),
      );
      if (row === undefined) throw notFound(rowId);
      let payload: { report: unknown; queries: SnapshotQuery[] };
      try {
        payload = JSON.parse((await gunzipAsync(row.payload)).toString('utf8')) as typeof payload;
      } catch (error) {
        throw corrupt(context.file, `snapshot ${rowId} cannot be read: ${error instanceof Error ? error.message : String(error)}`);
      }
      return { ...metaFromRow(row), report: payload.report, queries: payload.queries };
    },

    remove(id) {
      const rowId = parseRowId(id, 'Snapshot');
      write(context, () => {
        if (db.prepare('DELETE FROM snapshots WHERE id = ?').run(rowId).changes === 0) throw notFound(rowId);
      });
    },
  };
}

function metaFromRow(row: SnapshotRow): SnapshotMeta {
  return {
    id: row.id,
    name: row.name,
    connectionId: row.connection_id,
    window: { start: row.window_start, end: row.window_end },
    createdAt: row.created_at,
    queryCount: row.query_count,
    bytes: row.bytes,
    storedBytes: row.stored_bytes,
  };
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
