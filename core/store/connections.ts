/**
 * Saved connections: a Prometheus-compatible store, optionally with a cluster (kubeconfig and context).
 *
 * Secrets never reach the database unsealed: bearer tokens, basic-auth passwords, TLS client keys and every
 * header value (headers are where API keys end up, and we cannot tell which ones carry one) are sealed
 * together by the injected `SecretBox` into one string per connection. `list()` and `get(id)` return
 * connections with those fields left out and `hasSecret` set; only `get(id, { withSecrets: true })` opens
 * them, for the process about to query Prometheus.
 *
 * `save` and `get` are async because sealing and opening may ask the OS keychain; the rest is synchronous
 * like the other stores.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { assertWritable, read, write, type StoreContext } from './context';
import { StoreError } from './errors';
import type { SecretBox, SecretBoxKind } from './secrets';
import { parseInput } from './validation';

// RFC 9110 token characters; a value must not break the request's header block.
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE = /^[^\r\n]*$/;

const authSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('bearer'), token: z.string().min(1, 'the bearer token is empty') }),
  z.strictObject({ type: z.literal('basic'), username: z.string().min(1, 'the user name is empty'), password: z.string() }),
]);

const tlsSchema = z.strictObject({
  /** The CA that signed the server's certificate, as PEM text or as a file path. */
  caPem: z.string().min(1).optional(),
  caFile: z.string().min(1).optional(),
  /** A client certificate and its key, as PEM text (mutual TLS). The key is a secret. */
  certPem: z.string().min(1).optional(),
  keyPem: z.string().min(1).optional(),
  insecureSkipVerify: z.boolean().optional(),
  /** The name to expect on the server's certificate when it differs from the URL's host. */
  serverName: z.string().min(1).optional(),
});

const prometheusSchema = z
  .strictObject({
    /** Base URL including any path prefix: `https://mimir.example/prometheus`. */
    url: z.url({ protocol: /^https?$/, error: 'use an http:// or https:// URL' }),
    headers: z.record(z.string().regex(HEADER_NAME, 'not a valid header name'), z.string().regex(HEADER_VALUE)).optional(),
    auth: authSchema.optional(),
    tls: tlsSchema.optional(),
    /** How long one HTTP request may take, in milliseconds. */
    timeoutMs: z.number().int().min(100).max(600_000).optional(),
  })
  .superRefine((prometheus, issues) => {
    const url = new URL(prometheus.url);
    // Credentials in the URL would be stored unsealed, in plain sight of `list()`.
    if (url.username !== '' || url.password !== '') {
      issues.addIssue({ code: 'custom', path: ['url'], message: 'put credentials in auth, not in the URL' });
    }
    if (url.search !== '' || url.hash !== '') {
      issues.addIssue({ code: 'custom', path: ['url'], message: 'the URL must not carry a query string or fragment' });
    }
    if (prometheus.tls !== undefined && (prometheus.tls.certPem === undefined) !== (prometheus.tls.keyPem === undefined)) {
      issues.addIssue({ code: 'custom', path: ['tls'], message: 'a client certificate needs its key, and a key its certificate' });
    }
  });

const kubeSchema = z.strictObject({
  /** Unset: KUBECONFIG or ~/.kube/config, as kubectl. */
  kubeconfigPath: z.string().min(1).optional(),
  /** Unset: the kubeconfig's current context. */
  context: z.string().min(1).optional(),
});

const connectionInputSchema = z.strictObject({
  /** Set to update that connection; unset to create one. */
  id: z.string().min(1).optional(),
  name: z.string().trim().min(1, 'give the connection a name').max(200),
  prometheus: prometheusSchema,
  kube: kubeSchema.nullable(),
});

export type PrometheusAuth = z.infer<typeof authSchema>;
export type TlsSettings = z.infer<typeof tlsSchema>;
export type PrometheusSettings = z.infer<typeof prometheusSchema>;
export type KubeSettings = z.infer<typeof kubeSchema>;
export type ConnectionInput = z.input<typeof connectionInputSchema>;

/** A connection with its secrets, for the process that queries Prometheus. */
export interface Connection {
  id: string;
  name: string;
  prometheus: PrometheusSettings;
  kube: KubeSettings | null;
  createdAt: number;
  updatedAt: number;
}

export type RedactedAuth = { type: 'bearer' } | { type: 'basic'; username: string };

export interface RedactedPrometheusSettings {
  url: string;
  /** The headers sent, without their values. */
  headerNames?: string[];
  auth?: RedactedAuth;
  tls?: Omit<TlsSettings, 'keyPem'>;
  timeoutMs?: number;
}

/** A connection as lists and forms show it: every secret left out. */
export interface RedactedConnection {
  id: string;
  name: string;
  prometheus: RedactedPrometheusSettings;
  kube: KubeSettings | null;
  hasSecret: boolean;
  /** Which kind of SecretBox sealed the secrets; null without secrets. */
  secretStorage: SecretBoxKind | null;
  createdAt: number;
  updatedAt: number;
}

export interface ConnectionStore {
  /** Creates (no `id`) or replaces (with `id`) a connection; returns it redacted. Names are unique, ignoring case. */
  save(input: ConnectionInput): Promise<RedactedConnection>;
  /** Sorted by name. */
  list(): RedactedConnection[];
  get(id: string, options?: { withSecrets?: false }): Promise<RedactedConnection>;
  get(id: string, options: { withSecrets: true }): Promise<Connection>;
  /** Snapshots taken over the connection stay, without it. */
  remove(id: string): void;
}

/** What is sealed, as one JSON document. */
interface SecretFields {
  token?: string;
  password?: string;
  keyPem?: string;
  headers?: Record<string, string>;
}

interface ConnectionRow {
  id: string;
  name: string;
  name_key: string;
  prometheus: string;
  kube: string | null;
  sealed_secrets: string | null;
  secret_storage: SecretBoxKind | null;
  created_at: number;
  updated_at: number;
}

export function createConnectionStore(context: StoreContext, secretBox: SecretBox | null): ConnectionStore {
  const { db } = context;

  const rowById = (id: string): ConnectionRow => {
    const row = read(context, () => db.prepare<[string], ConnectionRow>('SELECT * FROM connections WHERE id = ?').get(id));
    if (row === undefined) throw notFound(context.file, id);
    return row;
  };

  async function get(id: string, options?: { withSecrets?: false }): Promise<RedactedConnection>;
  async function get(id: string, options: { withSecrets: true }): Promise<Connection>;
  async function get(id: string, options?: { withSecrets?: boolean }): Promise<RedactedConnection | Connection> {
    const row = rowById(id);
    if (options?.withSecrets !== true) return redactedFromRow(row);
    const secrets = row.sealed_secrets === null ? {} : await openSecrets(row, secretBox);
    return {
      id: row.id,
      name: row.name,
      prometheus: withSecrets(storedSettings(row), secrets, row.name),
      kube: storedKube(row),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  return {
    async save(input) {
      assertWritable(context);
      const connection = parseInput(connectionInputSchema, input, 'Cannot save the connection');
      const { redacted, secrets } = splitSecrets(connection.prometheus);
      const sealed = secrets === null ? null : await sealSecrets(connection.name, secrets, secretBox);
      const nameKey = foldName(connection.name);
      const now = context.now();
      const row = write(context, () => {
        const clash = db
          .prepare<[string, string | null], { name: string }>('SELECT name FROM connections WHERE name_key = ? AND id IS NOT ?')
          .get(nameKey, connection.id ?? null);
        if (clash !== undefined) {
          throw new StoreError(
            'duplicate-name',
            `A connection named "${clash.name}" already exists; pick another name for "${connection.name}".`,
          );
        }
        const values = {
          id: connection.id ?? randomUUID(),
          name: connection.name,
          nameKey,
          prometheus: JSON.stringify(redacted),
          kube: connection.kube === null ? null : JSON.stringify(connection.kube),
          sealed: sealed?.text ?? null,
          storage: sealed?.kind ?? null,
          now,
        };
        if (connection.id === undefined) {
          return db
            .prepare<[typeof values], ConnectionRow>(
              `INSERT INTO connections (id, name, name_key, prometheus, kube, sealed_secrets, secret_storage, created_at, updated_at)
               VALUES (@id, @name, @nameKey, @prometheus, @kube, @sealed, @storage, @now, @now) RETURNING *`,
            )
            .get(values);
        }
        const updated = db
          .prepare<[typeof values], ConnectionRow>(
            `UPDATE connections SET name = @name, name_key = @nameKey, prometheus = @prometheus, kube = @kube,
               sealed_secrets = @sealed, secret_storage = @storage, updated_at = @now
             WHERE id = @id RETURNING *`,
          )
          .get(values);
        if (updated === undefined) throw notFound(context.file, values.id);
        return updated;
      });
      // RETURNING yields the written row; a write without error always has one.
      return redactedFromRow(row as ConnectionRow);
    },

    list() {
      return read(context, () =>
        db.prepare<[], ConnectionRow>('SELECT * FROM connections ORDER BY name_key, id').all(),
      ).map(redactedFromRow);
    },

    get,

    remove(id) {
      write(context, () => {
        if (db.prepare('DELETE FROM connections WHERE id = ?').run(id).changes === 0) throw notFound(context.file, id);
      });
    },
  };
}

/** Case-insensitive for every script, not only ASCII; NFC so "é" typed two ways is one name. */
function foldName(name: string): string {
  return name.normalize('NFC').toLowerCase();
}

function notFound(file: string, id: string): StoreError {
  return new StoreError('not-found', `There is no connection ${id} in ${file}; it may have been removed.`);
}

function splitSecrets(prometheus: PrometheusSettings): { redacted: RedactedPrometheusSettings; secrets: SecretFields | null } {
  const secrets: SecretFields = {};
  const redacted: RedactedPrometheusSettings = { url: prometheus.url };
  const headerNames = Object.keys(prometheus.headers ?? {});
  if (headerNames.length > 0) {
    redacted.headerNames = headerNames;
    secrets.headers = prometheus.headers;
  }
  if (prometheus.auth?.type === 'bearer') {
    redacted.auth = { type: 'bearer' };
    secrets.token = prometheus.auth.token;
  } else if (prometheus.auth?.type === 'basic') {
    redacted.auth = { type: 'basic', username: prometheus.auth.username };
    secrets.password = prometheus.auth.password;
  }
  if (prometheus.tls !== undefined) {
    const { keyPem, ...tls } = prometheus.tls;
    redacted.tls = tls;
    if (keyPem !== undefined) secrets.keyPem = keyPem;
  }
  if (prometheus.timeoutMs !== undefined) redacted.timeoutMs = prometheus.timeoutMs;
  return { redacted, secrets: Object.keys(secrets).length > 0 ? secrets : null };
}

function withSecrets(redacted: RedactedPrometheusSettings, secrets: SecretFields, name: string): PrometheusSettings {
  const missing = (): StoreError =>
    new StoreError('secret-unavailable', `The saved secrets of connection "${name}" are incomplete; enter them again.`);
  const { headerNames, auth, tls, ...rest } = redacted;
  const prometheus: PrometheusSettings = { ...rest };
  if (headerNames !== undefined) {
    if (secrets.headers === undefined) throw missing();
    prometheus.headers = secrets.headers;
  }
  if (auth?.type === 'bearer') {
    if (secrets.token === undefined) throw missing();
    prometheus.auth = { type: 'bearer', token: secrets.token };
  } else if (auth?.type === 'basic') {
    if (secrets.password === undefined) throw missing();
    prometheus.auth = { type: 'basic', username: auth.username, password: secrets.password };
  }
  if (tls !== undefined) prometheus.tls = secrets.keyPem === undefined ? tls : { ...tls, keyPem: secrets.keyPem };
  return prometheus;
}

async function sealSecrets(
  name: string,
  secrets: SecretFields,
  secretBox: SecretBox | null,
): Promise<{ text: string; kind: SecretBoxKind }> {
  if (secretBox === null) {
    throw new StoreError(
      'secret-unavailable',
      `Cannot save connection "${name}": it has credentials and this Headroom was given no SecretBox to seal them.`,
    );
  }
  try {
    return { text: await secretBox.seal(JSON.stringify(secrets)), kind: secretBox.kind };
  } catch (error) {
    throw new StoreError(
      'secret-unavailable',
      `Cannot save connection "${name}": sealing its credentials (${secretBox.kind}) failed: ${messageOf(error)}.`,
    );
  }
}

async function openSecrets(row: ConnectionRow, secretBox: SecretBox | null): Promise<SecretFields> {
  const sealedWith = row.secret_storage === 'os-keychain' ? 'the OS keychain' : 'plaintext';
  if (secretBox === null) {
    throw new StoreError(
      'secret-unavailable',
      `The credentials of connection "${row.name}" are sealed with ${sealedWith} and this Headroom was given no SecretBox to open them.`,
    );
  }
  if (secretBox.kind !== row.secret_storage) {
    // Opening another kind's output would "succeed" with ciphertext as the password.
    throw new StoreError(
      'secret-unavailable',
      `The credentials of connection "${row.name}" were sealed with ${sealedWith} and this Headroom uses ${secretBox.kind}; enter them again here.`,
    );
  }
  try {
    return JSON.parse(await secretBox.open(row.sealed_secrets as string)) as SecretFields;
  } catch (error) {
    throw new StoreError(
      'secret-unavailable',
      `The credentials of connection "${row.name}" cannot be opened (${messageOf(error)}); enter them again.`,
    );
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function redactedFromRow(row: ConnectionRow): RedactedConnection {
  return {
    id: row.id,
    name: row.name,
    prometheus: storedSettings(row),
    kube: storedKube(row),
    hasSecret: row.sealed_secrets !== null,
    secretStorage: row.secret_storage,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

// Both columns hold JSON this module wrote from validated input.
function storedSettings(row: ConnectionRow): RedactedPrometheusSettings {
  return JSON.parse(row.prometheus) as RedactedPrometheusSettings;
}

function storedKube(row: ConnectionRow): KubeSettings | null {
  return row.kube === null ? null : (JSON.parse(row.kube) as KubeSettings);
}
