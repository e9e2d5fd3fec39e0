/**
 * The connection to any PromQL-compatible store (Prometheus, Thanos, Mimir, VictoriaMetrics), built on
 * prometheus-query's `PrometheusDriver`. The driver builds the requests and turns results into objects; this
 * module adds, through the driver's axios interceptors, what the driver leaves out:
 *
 * - POST for every query (`preferPost`): long selectors in a GET URL break on proxies and API servers
 *   (krr #60/#66, Lens #1352 "431 header too large");
 * - TLS trust (CA, client certificate, skip-verify) and credentials that are asked for per request;
 * - every HTTP request counted, timed and measured (`stats`), retries and range chunks included, because
 *   the analysis promises a number of requests that does not grow with the fleet;
 * - the body parsed here rather than by axios, so an HTML login page, cut-off JSON or an error envelope
 *   become a typed `PrometheusError` instead of the driver's "unexpected client error";
 * - Prometheus' own `warnings` (the driver's `warningHook` reads them from the axios response instead of
 *   the body, so it never fires);
 * - retries with backoff for transient failures only, and range queries split when the store refuses them
 *   as too big, with a warning that says so.
 *
 * Times are unix seconds, steps seconds; values are numbers, and NaN/±Inf from the store become null.
 */
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { PrometheusDriver, ResponseType, type PrometheusConnectionOptions, type QueryResult as DriverResult } from 'prometheus-query';
import { z } from 'zod';
import type { QueryApi, QueryResult } from './query-api';

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE = /^[^\r\n]*$/;
/** Label names as Prometheus accepts them in `/api/v1/label/<name>/values`; anything else would edit the path. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export const connectionSchema = z
  .object({
    /** Base URL including any path prefix: `https://mimir.example/prometheus`, or an API-server service-proxy URL. */
    url: z.url({ protocol: /^https?$/ }),
    bearerToken: z.string().min(1).optional(),
    basicAuth: z.object({ username: z.string().min(1), password: z.string() }).optional(),
    /** Sent with every request, e.g. `X-Scope-OrgID` for a Mimir or Cortex tenant. */
    headers: z.record(z.string().regex(HEADER_NAME), z.string().regex(HEADER_VALUE)).default({}),
    tls: z
      .object({
        /** The CA that signed the server's certificate, as PEM text… */
        caPem: z.string().min(1).optional(),
        /** …or as a file path. */
        caFile: z.string().min(1).optional(),
        /** A client certificate and key, as PEM text (mutual TLS, e.g. a kubeconfig's x509 user). */
        certPem: z.string().min(1).optional(),
        keyPem: z.string().min(1).optional(),
        insecureSkipVerify: z.boolean().default(false),
        /** The name to expect on the server's certificate when it differs from the URL's host. */
        serverName: z.string().min(1).optional(),
      })
      .prefault({}),
    /** How long one HTTP request may take, in milliseconds. */
    timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
    retry: z
      .object({
        /** Further attempts after a transient failure; 0 sends every request once. */
        retries: z.number().int().min(0).max(10).default(2),
        baseDelayMs: z.number().int().min(0).max(60_000).default(500),
        maxDelayMs: z.number().int().min(0).max(120_000).default(10_000),
      })
      .prefault({}),
  })
  .superRefine((connection, context) => {
    const url = new URL(connection.url);
    if (url.username !== '' || url.password !== '') {
      context.addIssue({ code: 'custom', path: ['url'], message: 'put credentials in basicAuth, not in the URL' });
    }
    if (url.search !== '' || url.hash !== '') {
      context.addIssue({ code: 'custom', path: ['url'], message: 'the URL must not carry a query string or fragment' });
    }
    if (connection.bearerToken !== undefined && connection.basicAuth !== undefined) {
      context.addIssue({ code: 'custom', path: ['basicAuth'], message: 'use either a bearer token or basic auth' });
    }
    const authorization = Object.keys(connection.headers).some((name) => name.toLowerCase() === 'authorization');
    if (authorization && (connection.bearerToken !== undefined || connection.basicAuth !== undefined)) {
      context.addIssue({
        code: 'custom',
        path: ['headers'],
        message: 'an Authorization header conflicts with the bearer token or basic auth',
      });
    }
    if (connection.tls.caPem !== undefined && connection.tls.caFile !== undefined) {
      context.addIssue({ code: 'custom', path: ['tls', 'caFile'], message: 'give the CA as PEM text or as a file, not both' });
    }
    if ((connection.tls.certPem === undefined) !== (connection.tls.keyPem === undefined)) {
      context.addIssue({ code: 'custom', path: ['tls'], message: 'a client certificate needs its key, and a key its certificate' });
    }
  });

/** A connection as stored and sent over IPC, defaults filled in. */
export type Connection = z.infer<typeof connectionSchema>;
/** A connection as a user or a caller writes it; optional fields take their defaults. */
export type ConnectionInput = z.input<typeof connectionSchema>;

export interface ClientOptions {
  /**
   * Headers to add to each HTTP request, asked for just before it is sent: credentials that expire (a
   * kubeconfig's exec-plugin token) stay fresh over a long analysis. Their values never appear in messages.
   */
  authorize?: () => Promise<Record<string, string>>;
}

export type PrometheusErrorKind =
  | 'unreachable'
  | 'timeout'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'bad-query'
  | 'too-large'
  | 'server'
  | 'malformed-response'
  | 'cancelled'
  | 'tls';

/** The limit a refused or abandoned query ran into; range queries split on it. */
export type QueryLimit =
  | { type: 'points'; max: number | null }
  | { type: 'samples' }
  /** The store gave up on the query (its own timeout), as opposed to not answering at all. */
  | { type: 'time' };

export type Endpoint = 'query' | 'query_range' | 'series' | 'labels' | 'label_values' | 'buildinfo';

export interface PrometheusErrorDetails {
  status?: number | null;
  endpoint?: Endpoint | null;
  transient?: boolean;
  retryAfterMs?: number | null;
  limit?: QueryLimit | null;
  store?: string;
  detail?: string | null;
  kubernetes?: boolean;
}

/** Every failure of the client. `message` is one line for the user: what happened and what to do. */
export class PrometheusError extends Error {
  readonly kind: PrometheusErrorKind;
  /** The HTTP status, when there was an answer. */
  readonly status: number | null;
  readonly endpoint: Endpoint | null;
  /** Worth sending again unchanged: connection refused or reset, 429, 500, 502, 503, 504. */
  readonly transient: boolean;
  /** How long the server asked us to wait (`Retry-After`). */
  readonly retryAfterMs: number | null;
  readonly limit: QueryLimit | null;
  /** Which product's wording the limit was recognised by, for warnings ("Prometheus", "VictoriaMetrics"). */
  readonly store: string;
  /** What the server itself said (Prometheus' `error`, a Kubernetes Status `message`), when it said anything. */
  readonly detail: string | null;
  /**
   * The answer was a Kubernetes `Status`: the API server answered (RBAC, no endpoints), not the store behind its
   * service proxy.
   */
  readonly kubernetes: boolean;

  constructor(kind: PrometheusErrorKind, message: string, details: PrometheusErrorDetails = {}) {
    super(message);
    this.name = 'PrometheusError';
    this.kind = kind;
    this.status = details.status ?? null;
    this.endpoint = details.endpoint ?? null;
    this.transient = details.transient ?? false;
    this.retryAfterMs = details.retryAfterMs ?? null;
    this.limit = details.limit ?? null;
    this.store = details.store ?? 'Prometheus';
    this.detail = details.detail ?? null;
    this.kubernetes = details.kubernetes ?? false;
  }

  /** The same error with a note appended to its message. */
  withNote(note: string): PrometheusError {
    return new PrometheusError(this.kind, `${this.message} (${note})`, this);
  }
}

export type Labels = Record<string, string>;

export interface Sample {
  /** Unix seconds. */
  time: number;
  /** null where the store answered NaN, +Inf or -Inf. */
  value: number | null;
}

export interface VectorSample extends Sample {
  labels: Labels;
}

export interface RangeSeries {
  labels: Labels;
  points: Sample[];
}

/** An instant query's answer: a vector, or a scalar as one sample without labels. */
export interface InstantResult extends QueryResult<VectorSample[]> {
  resultType: 'vector' | 'scalar';
}

export type StoreProduct = 'prometheus' | 'thanos' | 'mimir' | 'victoriametrics' | 'unknown';

export interface BuildInfo {
  product: StoreProduct;
  version: string | null;
  /** The string fields of the answer (revision, branch, goVersion, application, …). */
  details: Record<string, string>;
  warnings: string[];
}

export interface EndpointStats {
  requests: number;
  /** Requests answered with an HTTP error or a body that is no Prometheus envelope, or not answered at all. */
  failures: number;
  bytes: number;
  durationMs: number;
}

export interface QueryStats {
  /** Calls of the client's methods. */
  calls: number;
  /** HTTP requests sent, retries and range chunks included. */
  requests: number;
  /** Of those, repeats after a transient failure. */
  retries: number;
  /** Range calls answered in more than one chunk. */
  splitRanges: number;
  failures: number;
  /** Response body bytes, after decompression. */
  bytes: number;
  /** Time spent in HTTP requests, summed. */
  durationMs: number;
  byEndpoint: Partial<Record<Endpoint, EndpointStats>>;
}

/** The most chunks one range call may become before it gives up as too large. */
const MAX_CHUNKS = 64;
/** Longest `Retry-After` we wait for; beyond it the error is reported instead of stalling the analysis. */
const MAX_RETRY_AFTER_MS = 60_000;

const TLS_ERROR_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
/** Network failures that a second attempt may not meet. */
const TRANSIENT_NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

const ENDPOINT_PATHS: Record<Endpoint, string> = {
  query: '/api/v1/query',
  query_range: '/api/v1/query_range',
  series: '/api/v1/series',
  labels: '/api/v1/labels',
  label_values: '/api/v1/label/<name>/values',
  buildinfo: '/api/v1/status/buildinfo',
};

type RequestConfig = Parameters<NonNullable<PrometheusConnectionOptions['requestInterceptor']>['onFulfilled']>[0];
type Response = Parameters<NonNullable<PrometheusConnectionOptions['responseInterceptor']>['onFulfilled']>[0];

/** The parts of an AxiosError this module reads; axios itself is the driver's dependency, not ours. */
interface TransportError {
  isAxiosError: true;
  code?: string;
  message: string;
  response?: { status: number; headers: unknown; data: unknown };
}

/** One HTTP request: what it is for, its deadline, and what came back besides the data. */
interface Exchange {
  endpoint: Endpoint;
  signal: AbortSignal;
  userSignal: AbortSignal | undefined;
  startedAt: number | null;
  method: string;
  warnings: string[];
  headers: Record<string, string>;
}

interface Answer<T> {
  value: T;
  warnings: string[];
  headers: Record<string, string>;
}

interface Envelope {
  status: 'success';
  data: unknown;
}

/** The analysis' `QueryApi` over HTTP, plus series lookups, build info and request statistics. */
export class PrometheusClient implements QueryApi {
  readonly connection: Connection;
  /** The base URL, path prefix included and trailing slash removed, as requests use it and messages show it. */
  readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly authorize: ClientOptions['authorize'];
  /** Values that must never appear in a message: tokens, passwords, authorising headers. */
  private readonly secrets = new Set<string>();
  private readonly counters = {
    calls: 0,
    requests: 0,
    retries: 0,
    splitRanges: 0,
    failures: 0,
    bytes: 0,
    durationMs: 0,
    byEndpoint: new Map<Endpoint, EndpointStats>(),
  };
  /** The points-per-series limit the store stated when it refused a range; later ranges are cut to it up front. */
  private pointLimit: { max: number; store: string } | null = null;

  constructor(connection: ConnectionInput, options: ClientOptions = {}) {
    this.connection = connectionSchema.parse(connection);
    const base = new URL(this.connection.url);
    this.url = `${base.origin}${base.pathname.replace(/\/+$/, '')}`;
    this.authorize = options.authorize;
    this.headers = { Accept: 'application/json', 'User-Agent': 'headroom', ...this.connection.headers };
    const { bearerToken, basicAuth } = this.connection;
    if (bearerToken !== undefined) {
      this.headers.Authorization = `Bearer ${bearerToken}`;
      this.secrets.add(bearerToken);
    }
    if (basicAuth !== undefined) {
      // Set here, not through the driver's `auth` option: the driver drops basic auth whose password is empty.
      this.headers.Authorization = `Basic ${Buffer.from(`${basicAuth.username}:${basicAuth.password}`).toString('base64')}`;
      if (basicAuth.password !== '') this.secrets.add(basicAuth.password);
    }
    for (const [name, value] of Object.entries(this.headers)) {
      if (name.toLowerCase() === 'authorization') this.secrets.add(value);
    }
    this.agent = base.protocol === 'https:' ? this.httpsAgent() : new HttpAgent({ keepAlive: true });
  }

  /** A copy of the counters so far. */
  get stats(): QueryStats {
    const byEndpoint: Partial<Record<Endpoint, EndpointStats>> = {};
    for (const [endpoint, stats] of this.counters.byEndpoint) byEndpoint[endpoint] = { ...stats };
    const { calls, requests, retries, splitRanges, failures, bytes, durationMs } = this.counters;
    return { calls, requests, retries, splitRanges, failures, bytes, durationMs, byEndpoint };
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  /**
   * Evaluates `query` at `time` (unix seconds). A scalar comes back as one sample without labels; a query
   * that yields a range vector (`x[5m]`) or a string is refused: series over time come from `range`.
   */
  async instant(query: string, time: number, signal?: AbortSignal): Promise<InstantResult> {
    this.counters.calls += 1;
    const answer = await this.send('query', signal, (driver) =>
      driver.instantQuery(query, time * 1000, this.serverTimeout()),
    );
    return { ...this.instantData(answer.value), warnings: unique(answer.warnings) };
  }

  /**
   * Evaluates `query` from `start` to `end` every `step` seconds. A range the store refuses for too many
   * points per series is cut into chunks it accepts; one that would load too many samples, or on which the
   * store times out, is halved until it passes. Chunks are asked for one after the other, to keep the load
   * on a struggling store low, and their series merged; a warning says how many chunks and why.
   */
  async range(query: string, start: number, end: number, step: number, signal?: AbortSignal): Promise<QueryResult<RangeSeries[]>> {
    this.counters.calls += 1;
    if (!(step > 0) || !(end >= start) || !(start > 0)) {
      throw new PrometheusError(
        'bad-query',
        `The range ${start}…${end} with step ${step} s is not a valid range: it needs 0 < start ≤ end and a positive step`,
        { endpoint: 'query_range' },
      );
    }
    const reasons = new Map<string, string>();
    const queue = this.pointLimit === null ? [{ start, end }] : gridChunks(start, end, step, this.pointLimit.max);
    if (queue.length > MAX_CHUNKS && this.pointLimit !== null) {
      throw new PrometheusError(
        'too-large',
        `${this.pointLimit.store} at ${this.url} refuses more than ${formatCount(this.pointLimit.max)} points per series, and this range would take ${queue.length} chunks, more than ${MAX_CHUNKS}; use a coarser step or a shorter range`,
        { endpoint: 'query_range', limit: { type: 'points', max: this.pointLimit.max }, store: this.pointLimit.store },
      );
    }
    if (queue.length > 1 && this.pointLimit !== null) {
      reasons.set('points', `${this.pointLimit.store} refuses more than ${formatCount(this.pointLimit.max)} points per series`);
    }
    // Halving stops at 1/MAX_CHUNKS of the range: a store that refuses even that will not accept less either
    // (VictoriaMetrics counts samples per stored block, so a tiny range can cost as much as a day).
    const smallestChunk = Math.max(1, Math.ceil(pointsIn(start, end, step) / MAX_CHUNKS));
    const answers: Array<Answer<DriverResult>> = [];
    for (let chunk = queue.shift(); chunk !== undefined; chunk = queue.shift()) {
      const { start: from, end: to } = chunk;
      try {
        answers.push(
          await this.send('query_range', signal, (driver) =>
            driver.rangeQuery(query, from * 1000, to * 1000, step, this.serverTimeout()),
          ),
        );
      } catch (error) {
        if (!(error instanceof PrometheusError) || error.limit === null) throw error;
        const split = this.split(error, from, to, step, smallestChunk);
        const asked = answers.length + queue.length + 1;
        if (split === null) throw asked > 1 ? error.withNote(`even after splitting the range into ${asked} chunks`) : error;
        const total = answers.length + queue.length + split.chunks.length;
        if (total > MAX_CHUNKS) {
          throw error.withNote(`splitting the range would take ${total} chunks, more than ${MAX_CHUNKS}; use a coarser step or a shorter range`);
        }
        if (!reasons.has(split.type)) reasons.set(split.type, split.reason);
        queue.unshift(...split.chunks);
      }
    }
    const warnings = answers.flatMap((answer) => answer.warnings);
    if (answers.length > 1) {
      this.counters.splitRanges += 1;
      warnings.push(`range split into ${answers.length} chunks: ${[...reasons.values()].join('; ')}`);
    }
    return { data: mergeSeries(answers.map((answer) => this.matrixOf(answer.value))), warnings: unique(warnings) };
  }

  /** Label names of the series matching any of `match` (all series when empty) between `start` and `end`. */
  async labelNames(match: readonly string[], start: number, end: number, signal?: AbortSignal): Promise<QueryResult<string[]>> {
    this.counters.calls += 1;
    const answer = await this.send('labels', signal, (driver) => driver.labelNames([...match], start * 1000, end * 1000));
    return { data: this.stringList(answer.value, 'labels'), warnings: unique(answer.warnings) };
  }

  /**
   * Values of `label` on the series matching any of `match`. Prometheus serves this endpoint over GET only, so
   * the selectors travel in the URL here: keep them short (a metric name and a few matchers).
   */
  async labelValues(
    label: string,
    match: readonly string[],
    start: number,
    end: number,
    signal?: AbortSignal,
  ): Promise<QueryResult<string[]>> {
    this.counters.calls += 1;
    if (!LABEL_NAME.test(label)) {
      throw new PrometheusError('bad-query', `"${label}" is not a label name; label names match ${LABEL_NAME.source}`, {
        endpoint: 'label_values',
      });
    }
    const answer = await this.send('label_values', signal, (driver) =>
      driver.labelValues(label, [...match], start * 1000, end * 1000),
    );
    return { data: this.stringList(answer.value, 'label_values'), warnings: unique(answer.warnings) };
  }

  /** The label sets of the series matching any of `match` between `start` and `end`. */
  async series(match: readonly string[], start: number, end: number, signal?: AbortSignal): Promise<QueryResult<Labels[]>> {
    this.counters.calls += 1;
    if (match.length === 0) {
      throw new PrometheusError('bad-query', 'A series lookup needs at least one selector; Prometheus refuses one without', {
        endpoint: 'series',
      });
    }
    const answer = await this.send('series', signal, (driver) => driver.series([...match], start * 1000, end * 1000));
    return { data: answer.value.map((metric) => labelsOf(metric)), warnings: unique(answer.warnings) };
  }

  /**
   * Which product and version answers. Prometheus, Thanos and Mimir serve `/api/v1/status/buildinfo`;
   * VictoriaMetrics answers it with an empty object in older versions and not at all in some, so a missing or
   * empty answer is not an error: the product is then guessed from VictoriaMetrics' `X-Server-Hostname`
   * header, or left unknown, and a warning says so.
   */
  async buildInfo(signal?: AbortSignal): Promise<BuildInfo> {
    this.counters.calls += 1;
    let answer: Answer<unknown>;
    try {
      answer = await this.send('buildinfo', signal, (driver) => driver.statusBuildinfo() as Promise<unknown>);
    } catch (error) {
      if (error instanceof PrometheusError && (error.kind === 'not-found' || error.kind === 'bad-query')) {
        return {
          product: 'unknown',
          version: null,
          details: {},
          warnings: [
            `${this.url} does not serve /api/v1/status/buildinfo (${error.status ?? error.kind}), so its product and version are unknown; queries are not affected`,
          ],
        };
      }
      throw error;
    }
    const details: Record<string, string> = {};
    if (isRecord(answer.value)) {
      for (const [key, value] of Object.entries(answer.value)) if (typeof value === 'string') details[key] = value;
    }
    const version = details.version !== undefined && details.version !== '' ? details.version : null;
    const product = productOf(details, version, answer.headers);
    const warnings = [...answer.warnings];
    if (version === null) {
      warnings.push(
        `${this.url} answered /api/v1/status/buildinfo without a version${product === 'victoriametrics' ? ' (as VictoriaMetrics does)' : ''}`,
      );
    }
    return { product, version, details, warnings: unique(warnings) };
  }

  /** Sends one request through a fresh driver, again after transient failures, with backoff and jitter. */
  private async send<T>(endpoint: Endpoint, signal: AbortSignal | undefined, run: (driver: PrometheusDriver) => Promise<T>): Promise<Answer<T>> {
    const { retries } = this.connection.retry;
    for (let attempt = 0; ; attempt += 1) {
      if (signal?.aborted) throw this.cancelled(endpoint);
      const deadline = AbortSignal.timeout(this.connection.timeoutMs);
      const exchange: Exchange = {
        endpoint,
        signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
        userSignal: signal,
        startedAt: null,
        method: 'POST',
        warnings: [],
        headers: {},
      };
      try {
        const value = await run(this.driver(exchange));
        return { value, warnings: exchange.warnings, headers: exchange.headers };
      } catch (thrown) {
        const error = this.errorFrom(thrown, exchange);
        const delay = attempt < retries ? this.retryDelayMs(error, attempt) : null;
        if (delay === null) throw attempt > 0 && error.transient ? error.withNote(`gave up after ${attempt + 1} attempts`) : error;
        this.counters.retries += 1;
        try {
          await sleep(delay, undefined, signal ? { signal } : {});
        } catch {
          throw this.cancelled(endpoint);
        }
      }
    }
  }

  /**
   * A driver per request: the interceptors close over that request's deadline and collect its warnings.
   * Creating one is an `axios.create()`, which is cheap next to an HTTP round trip.
   */
  private driver(exchange: Exchange): PrometheusDriver {
    return new PrometheusDriver({
      endpoint: this.url,
      baseURL: '/api/v1/',
      headers: this.headers,
      timeout: this.connection.timeoutMs,
      preferPost: true,
      requestInterceptor: { onFulfilled: (config) => this.beforeSend(config, exchange) },
      responseInterceptor: {
        onFulfilled: (response) => this.received(response, exchange),
        onRejected: (error: unknown) => this.failed(error, exchange),
      },
    });
  }

  private async beforeSend(config: RequestConfig, exchange: Exchange): Promise<RequestConfig> {
    if (this.authorize) {
      for (const [name, value] of Object.entries(await this.authorize())) {
        config.headers.set(name, value);
        if (/^(authorization|proxy-authorization)$/i.test(name)) {
          this.secrets.add(value);
          this.secrets.add(value.replace(/^\S+\s+/, ''));
        }
      }
    }
    config.signal = exchange.signal;
    // The body is parsed here, from bytes, so that its size is known and a broken body gets a precise error.
    config.responseType = 'arraybuffer';
    // A redirect would turn the POST into a GET (and usually leads to a login page); it is reported instead.
    config.maxRedirects = 0;
    // axios' own proxy support cannot tunnel TLS; talk to the URL as given.
    config.proxy = false;
    config.httpAgent = this.agent;
    config.httpsAgent = this.agent;
    exchange.method = (config.method ?? 'get').toUpperCase();
    exchange.startedAt = performance.now();
    this.counters.requests += 1;
    this.endpointStats(exchange.endpoint).requests += 1;
    return config;
  }

  private received(response: Response, exchange: Exchange): Response {
    const body = bodyBytes(response.data);
    exchange.headers = headerRecord(response.headers);
    try {
      const envelope = this.envelope(body, response.status, exchange);
      this.finish(exchange, body.length, false);
      response.data = envelope;
      return response;
    } catch (error) {
      this.finish(exchange, body.length, true);
      throw error;
    }
  }

  private failed(error: unknown, exchange: Exchange): never {
    if (!isTransportError(error)) throw error;
    const { response } = error;
    if (response !== undefined) {
      const body = bodyBytes(response.data);
      this.finish(exchange, body.length, true);
      throw this.httpError(response.status, body, headerRecord(response.headers), exchange);
    }
    if (exchange.startedAt !== null) this.finish(exchange, 0, true);
    throw this.networkError(error, exchange);
  }

  private finish(exchange: Exchange, bytes: number, failed: boolean): void {
    const durationMs = exchange.startedAt === null ? 0 : performance.now() - exchange.startedAt;
    const stats = this.endpointStats(exchange.endpoint);
    stats.bytes += bytes;
    stats.durationMs += durationMs;
    this.counters.bytes += bytes;
    this.counters.durationMs += durationMs;
    if (failed) {
      stats.failures += 1;
      this.counters.failures += 1;
    }
  }

  private endpointStats(endpoint: Endpoint): EndpointStats {
    let stats = this.counters.byEndpoint.get(endpoint);
    if (stats === undefined) {
      stats = { requests: 0, failures: 0, bytes: 0, durationMs: 0 };
      this.counters.byEndpoint.set(endpoint, stats);
    }
    return stats;
  }

  /** The Prometheus envelope of a 2xx body, or the error that describes what came instead. */
  private envelope(body: Buffer, status: number, exchange: Exchange): Envelope {
    const parsed = this.parseJson(body, exchange);
    if (isRecord(parsed) && parsed.status === 'success' && 'data' in parsed) {
      for (const list of [parsed.warnings, parsed.infos]) {
        if (Array.isArray(list)) exchange.warnings.push(...list.filter((w): w is string => typeof w === 'string'));
      }
      return { status: 'success', data: parsed.data };
    }
    if (isRecord(parsed) && parsed.status === 'error') {
      // Some proxies answer 200 with an error envelope; treat it as the status it would have had.
      const errorType = typeof parsed.errorType === 'string' ? parsed.errorType : '';
      throw this.httpError(statusForErrorType(errorType, status), body, exchange.headers, exchange);
    }
    throw this.error('malformed-response', `The response from ${this.where(exchange)} is JSON but not a Prometheus API answer; check the URL path prefix`, {
      status,
      endpoint: exchange.endpoint,
    });
  }

  private parseJson(body: Buffer, exchange: Exchange): unknown {
    const text = body.toString('utf8');
    const contentType = exchange.headers['content-type'] ?? '';
    const start = text.trimStart();
    if (contentType.includes('html') || start.startsWith('<')) {
      const title = /<title[^>]*>([^<]{1,80})/i.exec(text)?.[1]?.trim();
      throw this.error(
        'malformed-response',
        `The response from ${this.where(exchange)} is not Prometheus JSON (HTML${title ? ` titled "${title}"` : ''}: a login page?); check the URL path prefix`,
        { endpoint: exchange.endpoint },
      );
    }
    try {
      return JSON.parse(text);
    } catch {
      const cutOff = start.startsWith('{') || start.startsWith('[');
      throw this.error(
        'malformed-response',
        cutOff
          ? `The response from ${this.where(exchange)} is cut-off JSON (${formatCount(body.length)} bytes); a proxy in between may have truncated it, retry or check the proxies`
          : `The response from ${this.where(exchange)} is not Prometheus JSON (${body.length === 0 ? 'it is empty' : 'plain text'}); check the URL path prefix`,
        { endpoint: exchange.endpoint },
      );
    }
  }

  /** What an HTTP error status, with its body, means. */
  private httpError(status: number, body: Buffer, headers: Record<string, string>, exchange: Exchange): PrometheusError {
    const { prometheus, kubernetes } = errorBodies(body);
    const detail = prometheus?.error ?? kubernetes?.message ?? null;
    const said = detail === null ? '' : `: ${oneLine(detail)}`;
    const from = `${status} from ${this.where(exchange)}`;
    const details = { status, endpoint: exchange.endpoint, detail: detail === null ? null : oneLine(detail), kubernetes: kubernetes !== null };
    const limit = detail === null ? null : limitOf(detail, prometheus?.errorType ?? '');
    if (limit !== null && limit.limit.type !== 'time') {
      return this.error(
        'too-large',
        `${limit.store} at ${this.url} refused the query as too large${said}; narrow the selector or the time range`,
        { ...details, ...limit },
      );
    }
    if (limit !== null) {
      return this.error(
        'timeout',
        `${limit.store} at ${this.url} gave up on the query${said}; ask for a shorter range or a simpler query, or raise its query timeout`,
        { ...details, ...limit },
      );
    }
    if (status >= 300 && status < 400) {
      const location = headers.location ? ` to ${displayLocation(headers.location, this.url)}` : '';
      return this.error(
        'malformed-response',
        `${from} redirected${location} instead of answering; use the final URL (a redirect to a login page means a token is needed)`,
        details,
      );
    }
    switch (status) {
      case 401:
        return this.error('unauthorized', `${from}${kubernetes ? said : ''}: ${this.rejectedCredentials()}`, details);
      case 403:
        return this.error(
          'forbidden',
          kubernetes
            ? `${from}${said}`
            : `${from}: the credentials were accepted but may not query here${said}; ask for read access (or the right tenant in X-Scope-OrgID)`,
          details,
        );
      case 404:
        return this.error(
          'not-found',
          `${from}: no Prometheus API at this path${said}; check the URL path prefix (Mimir serves /prometheus, VictoriaMetrics cluster /select/0/prometheus)`,
          details,
        );
      case 405:
        return this.error(
          'server',
          `${from}: ${exchange.method} is not allowed here; a proxy in front of the store may let only GET through`,
          details,
        );
      case 400:
      case 422:
        return this.error(
          'bad-query',
          `${this.url} refused the query (${status}${prometheus?.errorType ? ` ${prometheus.errorType}` : ''})${said}`,
          details,
        );
      case 429:
        return this.error('server', `${from}: too many requests${said}; the store is rate limiting Headroom, retry later`, {
          ...details,
          transient: true,
          retryAfterMs: retryAfterMs(headers['retry-after']),
        });
      case 500:
      case 502:
      case 503:
      case 504: {
        const gateway = status === 502 || status === 504 ? 'a proxy or gateway in front of the store failed' : 'the store failed';
        return this.error('server', `${from}${said}; ${gateway}, retry later`, {
          ...details,
          transient: true,
          retryAfterMs: retryAfterMs(headers['retry-after']),
        });
      }
      default:
        return this.error('server', `${from}${said}`, details);
    }
  }

  private rejectedCredentials(): string {
    if (this.authorize) return 'the Kubernetes credentials were rejected; log in again (kubectl get pods shows whether they work)';
    if (this.connection.bearerToken !== undefined) return 'the bearer token was rejected; check or renew it';
    if (this.connection.basicAuth !== undefined) return 'the username or password was rejected; check them';
    return 'it asks for credentials; add a bearer token or basic auth';
  }

  private networkError(error: TransportError, exchange: Exchange): PrometheusError {
    const code = error.code ?? '';
    const endpoint = exchange.endpoint;
    if (code === 'ERR_CANCELED') {
      if (exchange.userSignal?.aborted) return this.cancelled(endpoint);
      return this.timedOut(endpoint);
    }
    // axios' own (idle) timeout; the deadline signal above covers slow bodies.
    if (code === 'ECONNABORTED') return this.timedOut(endpoint);
    if (TLS_ERROR_CODES.has(code) || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS')) {
      const fix =
        code === 'ERR_TLS_CERT_ALTNAME_INVALID'
          ? 'its certificate is for another host name; use that name in the URL or set the TLS server name'
          : 'add the CA that signed its certificate, or skip verification for a test setup';
      return this.error('tls', `The TLS certificate of ${this.url} is not trusted (${code}); ${fix}`, { endpoint });
    }
    if (code === 'ENOTFOUND') {
      return this.error('unreachable', `The host of ${this.url} does not resolve (ENOTFOUND); check the host name in the URL`, {
        endpoint,
      });
    }
    return this.error(
      'unreachable',
      `Could not connect to ${this.url} (${code || oneLine(error.message)}); check the URL and that the store is running, or port-forward to it`,
      { endpoint, transient: TRANSIENT_NETWORK_CODES.has(code) },
    );
  }

  /** The PrometheusError inside whatever the driver threw (it wraps errors in `{ original }`). */
  private errorFrom(thrown: unknown, exchange: Exchange): PrometheusError {
    let inner = thrown;
    while (!(inner instanceof PrometheusError) && isRecord(inner) && 'original' in inner) inner = inner.original;
    if (inner instanceof PrometheusError) return inner;
    // Nothing was sent: `authorize` failed, and its own error says best what to do.
    if (exchange.startedAt === null) throw inner;
    const detail = inner instanceof Error ? inner.message : String(inner);
    return this.error(
      'malformed-response',
      `The response from ${this.where(exchange)} does not have the shape of a Prometheus answer (${oneLine(detail)}); the store may not be Prometheus-compatible`,
      { endpoint: exchange.endpoint },
    );
  }

  private retryDelayMs(error: PrometheusError, attempt: number): number | null {
    if (!error.transient) return null;
    if (error.retryAfterMs !== null) return error.retryAfterMs <= MAX_RETRY_AFTER_MS ? error.retryAfterMs : null;
    const { baseDelayMs, maxDelayMs } = this.connection.retry;
    // Exponential backoff with "equal jitter": at least half the step, so retries spread out but still back off.
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  /** How to carry on with a range the store refused or gave up on; null when splitting cannot help. */
  private split(
    error: PrometheusError,
    start: number,
    end: number,
    step: number,
    smallestChunk: number,
  ): { type: QueryLimit['type']; reason: string; chunks: Chunk[] } | null {
    const limit = error.limit;
    if (limit === null) return null;
    const points = pointsIn(start, end, step);
    if (limit.type === 'points' && limit.max !== null && limit.max >= 1 && points > limit.max) {
      this.pointLimit = { max: limit.max, store: error.store };
      return {
        type: 'points',
        reason: `${error.store} refused ${formatCount(points)} points per series (its limit is ${formatCount(limit.max)})`,
        chunks: gridChunks(start, end, step, limit.max),
      };
    }
    if (points < 2 || Math.ceil(points / 2) < smallestChunk) return null;
    const span = formatSpan(end - start);
    const reason =
      limit.type === 'time'
        ? `${error.store} timed out on ${span}`
        : limit.type === 'samples'
          ? `${error.store} would load too many samples into memory for ${span}`
          : `${error.store} refused ${formatCount(points)} points per series`;
    return { type: limit.type, reason, chunks: gridChunks(start, end, step, Math.ceil(points / 2)) };
  }

  private instantData(result: DriverResult): Omit<InstantResult, 'warnings'> {
    switch (result.resultType) {
      case ResponseType.VECTOR:
        return {
          resultType: 'vector',
          data: result.result.map((entry: { metric: unknown; value: { time: Date; value: number } }) => ({
            labels: labelsOf(entry.metric),
            time: entry.value.time.getTime() / 1000,
            value: finite(entry.value.value),
          })),
        };
      case ResponseType.SCALAR: {
        const raw: unknown = result.result;
        if (Array.isArray(raw) && typeof raw[0] === 'number' && typeof raw[1] === 'string') {
          return { resultType: 'scalar', data: [{ labels: {}, time: raw[0], value: finite(Number.parseFloat(raw[1])) }] };
        }
        throw this.shapeError('query', 'a scalar that is not [time, "value"]');
      }
      case ResponseType.MATRIX:
      case ResponseType.STRING:
        throw this.error(
          'bad-query',
          `The query answered with a ${result.resultType} instead of a vector or scalar; ask for series over time with a range query`,
          { endpoint: 'query' },
        );
      default:
        throw this.shapeError('query', `result type ${String(result.resultType)}`);
    }
  }

  private matrixOf(result: DriverResult): RangeSeries[] {
    if (result.resultType !== ResponseType.MATRIX) throw this.shapeError('query_range', `result type ${result.resultType} instead of matrix`);
    return result.result.map((entry: { metric: unknown; values: Array<{ time: Date; value: number }> }) => ({
      labels: labelsOf(entry.metric),
      points: entry.values.map((sample) => ({ time: sample.time.getTime() / 1000, value: finite(sample.value) })),
    }));
  }

  private stringList(raw: unknown, endpoint: Endpoint): string[] {
    if (Array.isArray(raw) && raw.every((item) => typeof item === 'string')) return raw;
    throw this.shapeError(endpoint, 'a list that is not a list of strings');
  }

  private shapeError(endpoint: Endpoint, what: string): PrometheusError {
    return this.error(
      'malformed-response',
      `The response from ${this.url}${ENDPOINT_PATHS[endpoint]} has ${what}; the store may not be Prometheus-compatible`,
      { endpoint },
    );
  }

  private cancelled(endpoint: Endpoint): PrometheusError {
    return this.error('cancelled', `The request to ${this.url}${ENDPOINT_PATHS[endpoint]} was cancelled`, { endpoint });
  }

  private timedOut(endpoint: Endpoint): PrometheusError {
    return this.error(
      'timeout',
      `${this.url} did not answer within ${formatSeconds(this.connection.timeoutMs)}; check the URL or raise the timeout`,
      { endpoint },
    );
  }

  /** Every error goes through here, so that no token or password reaches a message. */
  private error(kind: PrometheusErrorKind, message: string, details: PrometheusErrorDetails): PrometheusError {
    const redact = (text: string): string => {
      let clean = text;
      for (const secret of this.secrets) if (secret.length >= 4) clean = clean.split(secret).join('[redacted]');
      return clean;
    };
    const detail = details.detail === undefined || details.detail === null ? null : redact(details.detail);
    return new PrometheusError(kind, redact(message), { ...details, detail });
  }

  private where(exchange: Exchange): string {
    return `${this.url}${ENDPOINT_PATHS[exchange.endpoint]}`;
  }

  /**
   * The `timeout` parameter sent with queries: a little shorter than ours, so that the store stops working
   * on a query we would abandon anyway, and says so in time for a range to be split.
   */
  private serverTimeout(): string | undefined {
    const seconds = Math.floor((this.connection.timeoutMs * 0.9) / 1000);
    return seconds >= 2 ? `${seconds}s` : undefined;
  }

  private httpsAgent(): HttpsAgent {
    const { tls } = this.connection;
    let ca: string | undefined = tls.caPem;
    if (tls.caFile !== undefined) {
      try {
        ca = readFileSync(tls.caFile, 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
        throw new PrometheusError('tls', `The CA file ${tls.caFile} cannot be read (${code}); choose the file again`);
      }
    }
    return new HttpsAgent({
      keepAlive: true,
      ca,
      cert: tls.certPem,
      key: tls.keyPem,
      rejectUnauthorized: !tls.insecureSkipVerify,
      servername: tls.serverName,
    });
  }
}

interface Chunk {
  start: number;
  end: number;
}

/** Evaluation points of a range, as Prometheus counts them: start, start + step, … up to end. */
function pointsIn(start: number, end: number, step: number): number {
  return Math.floor((end - start) / step + 1e-9) + 1;
}

/** Cuts a range into pieces of at most `size` points on the original step grid, so no point is asked twice. */
function gridChunks(start: number, end: number, step: number, size: number): Chunk[] {
  const points = pointsIn(start, end, step);
  const chunks: Chunk[] = [];
  for (let first = 0; first < points; first += size) {
    const last = Math.min(first + size, points) - 1;
    chunks.push({ start: start + first * step, end: last === points - 1 ? end : start + last * step });
  }
  return chunks;
}

/** Joins chunks' series by label set, samples in time order, each time once. */
function mergeSeries(parts: RangeSeries[][]): RangeSeries[] {
  if (parts.length === 1) return parts[0] ?? [];
  const merged = new Map<string, RangeSeries>();
  for (const part of parts) {
    for (const series of part) {
      const key = labelKey(series.labels);
      const existing = merged.get(key);
      if (existing === undefined) merged.set(key, { labels: series.labels, points: [...series.points] });
      else existing.points.push(...series.points);
    }
  }
  for (const series of merged.values()) {
    series.points.sort((a, b) => a.time - b.time);
    series.points = series.points.filter((point, i, all) => i === 0 || all[i - 1]?.time !== point.time);
  }
  return [...merged.values()];
}

function labelKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The driver splits `__name__` off into `name`; the caller gets the label set as the API sent it. */
function labelsOf(metric: unknown): Labels {
  if (!isRecord(metric)) return {};
  const labels: Labels = {};
  if (typeof metric.name === 'string' && metric.name !== '') labels.__name__ = metric.name;
  if (isRecord(metric.labels)) {
    for (const [key, value] of Object.entries(metric.labels)) if (typeof value === 'string') labels[key] = value;
  }
  return labels;
}

function finite(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/**
 * Recognises, by the stores' own wording, the refusals that a smaller range can fix:
 * Prometheus/Thanos/Mimir "exceeded maximum resolution of 11,000 points per timeseries" (400) and "query
 * processing would load too many samples into memory" (422); VictoriaMetrics "cannot exceed
 * -search.maxPointsPerTimeseries=N" and "-search.maxSamplesPerQuery/Series" (422); Mimir "the query time range
 * exceeds the limit"; and a store's own timeout (Prometheus 503 `errorType: timeout`, VictoriaMetrics
 * "-search.maxQueryDuration").
 */
function limitOf(text: string, errorType: string): { limit: QueryLimit; store: string } | null {
  const resolution = /exceeded maximum resolution of ([\d,]+) points/i.exec(text);
  if (resolution?.[1] !== undefined) {
    return { limit: { type: 'points', max: Number(resolution[1].replaceAll(',', '')) }, store: 'Prometheus' };
  }
  const vmPoints = /-search\.maxPointsPerTimeseries=(\d+)/.exec(text);
  if (vmPoints?.[1] !== undefined) return { limit: { type: 'points', max: Number(vmPoints[1]) }, store: 'VictoriaMetrics' };
  if (/-search\.maxSamplesPer(Query|Series)/.test(text)) return { limit: { type: 'samples' }, store: 'VictoriaMetrics' };
  if (/too many samples/i.test(text)) return { limit: { type: 'samples' }, store: 'Prometheus' };
  if (/query time range exceeds the limit/i.test(text)) return { limit: { type: 'samples' }, store: 'Mimir' };
  if (/-search\.maxQueryDuration/.test(text)) return { limit: { type: 'time' }, store: 'VictoriaMetrics' };
  if (errorType === 'timeout' || /query timed out/i.test(text)) return { limit: { type: 'time' }, store: 'Prometheus' };
  return null;
}

/** The HTTP status a 200-with-error envelope stands for, from Prometheus' errorType. */
function statusForErrorType(errorType: string, status: number): number {
  const byType: Record<string, number> = { bad_data: 400, execution: 422, timeout: 503, canceled: 503, internal: 500, unavailable: 503 };
  return byType[errorType] ?? (Number(errorType) >= 400 ? Number(errorType) : status >= 400 ? status : 500);
}

/** An error body as Prometheus writes it, or as the Kubernetes API server does (a `Status`, e.g. from the service proxy). */
function errorBodies(body: Buffer): {
  prometheus: { errorType: string; error: string } | null;
  kubernetes: { message: string } | null;
} {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return { prometheus: null, kubernetes: null };
  }
  if (!isRecord(parsed)) return { prometheus: null, kubernetes: null };
  if (parsed.status === 'error' && typeof parsed.error === 'string') {
    return {
      prometheus: { errorType: typeof parsed.errorType === 'string' ? parsed.errorType : '', error: parsed.error },
      kubernetes: null,
    };
  }
  if (parsed.kind === 'Status' && typeof parsed.message === 'string') {
    return { prometheus: null, kubernetes: { message: parsed.message } };
  }
  return { prometheus: null, kubernetes: null };
}

/** Guesses the product from what build info says (Thanos versions are 0.x, Prometheus' 2.x and up). */
function productOf(details: Record<string, string>, version: string | null, headers: Record<string, string>): StoreProduct {
  if (/mimir/i.test(details.application ?? '')) return 'mimir';
  // VictoriaMetrics sets this header on every answer; Prometheus, Thanos and Mimir do not.
  if (headers['x-server-hostname'] !== undefined) return 'victoriametrics';
  if (version === null) return 'unknown';
  return version.startsWith('0.') ? 'thanos' : 'prometheus';
}

/** `Retry-After` as seconds or an HTTP date. */
function retryAfterMs(header: string | undefined): number | null {
  if (header === undefined) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

/** A redirect target without its query string, which may carry a session or a token. */
function displayLocation(location: string, base: string): string {
  try {
    const url = new URL(location, base);
    return `${url.origin}${url.pathname}`;
  } catch {
    return 'another address';
  }
}

function bodyBytes(data: unknown): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  return Buffer.alloc(0);
}

function headerRecord(headers: unknown): Record<string, string> {
  const record: Record<string, string> = {};
  if (!isRecord(headers)) return record;
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string' || typeof value === 'number') record[name.toLowerCase()] = String(value);
    else if (Array.isArray(value)) record[name.toLowerCase()] = value.join(', ');
  }
  return record;
}

function isTransportError(error: unknown): error is TransportError {
  return isRecord(error) && error.isAxiosError === true;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

function formatSpan(seconds: number): string {
  if (seconds >= 2 * 86_400) return `${Number((seconds / 86_400).toFixed(1))} days`;
  if (seconds >= 2 * 3_600) return `${Number((seconds / 3_600).toFixed(1))} hours`;
  return `${Number((seconds / 60).toFixed(1))} minutes`;
}
