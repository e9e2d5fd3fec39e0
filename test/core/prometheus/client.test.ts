import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  PrometheusClient,
  PrometheusError,
  connectionSchema,
  type ConnectionInput,
  type PrometheusErrorKind,
} from '../../../core/prometheus/client';
import { freePort } from '../../lab/processes';
import { makeCertificates, type TestCertificates } from './certificates';
import { FaultServer, failure, prometheusLike, success, type Reply } from './fault-server';

const T = 1_790_000_000;
/** Retries fast enough for a unit test; the backoff shape is the same. */
const FAST_RETRY = { retries: 3, baseDelayMs: 5, maxDelayMs: 20 };

let server: FaultServer;

beforeAll(async () => {
  server = await FaultServer.start();
});
afterEach(() => server.reset());
afterAll(() => server.close());

function client(connection: Partial<ConnectionInput> = {}, authorize?: () => Promise<Record<string, string>>): PrometheusClient {
  return new PrometheusClient({ url: server.url, retry: FAST_RETRY, ...connection }, authorize ? { authorize } : {});
}

async function rejection(promise: Promise<unknown>): Promise<PrometheusError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (outcome instanceof PrometheusError) return outcome;
  throw new Error(`expected a PrometheusError, got ${String(outcome)}`);
}

describe('retries', () => {
  it('retries 500, 502 and 503, then returns the answer', async () => {
    server.queue(
      failure(500, 'internal', 'storage hiccup'),
      { status: 502, text: 'Bad Gateway' },
      { status: 503, text: 'Service Unavailable' },
    );
    const prometheus = client();
    const result = await prometheus.instant('up', T);
    expect(result.resultType).toBe('vector');
    expect(server.requests).toHaveLength(4);
    expect(prometheus.stats).toMatchObject({ calls: 1, requests: 4, retries: 3, failures: 3 });
    expect(prometheus.stats.byEndpoint.query).toMatchObject({ requests: 4, failures: 3 });
  });

  it('retries a connection the server resets', async () => {
    server.queue({ reset: true });
    const prometheus = client();
    await prometheus.instant('up', T);
    expect(server.requests).toHaveLength(2);
    expect(prometheus.stats.retries).toBe(1);
  });

  it.each<[string, Reply, PrometheusErrorKind, RegExp]>([
    ['400', failure(400, 'bad_data', 'invalid parameter "query": 1:5: parse error: unclosed left parenthesis'), 'bad-query', /unclosed left parenthesis/],
    ['422', failure(422, 'execution', 'many-to-many matching not allowed'), 'bad-query', /many-to-many/],
    ['401', { status: 401, text: 'Unauthorized' }, 'unauthorized', /^401 from .*: it asks for credentials; add a bearer token or basic auth$/],
    ['403', { status: 403, text: 'Forbidden' }, 'forbidden', /^403 from .*ask for read access/],
    ['404', { status: 404, text: '404 page not found' }, 'not-found', /check the URL path prefix/],
  ])('does not retry %s', async (_status, reply, kind, message) => {
    server.queue(reply);
    const prometheus = client();
    const error = await rejection(prometheus.instant('sum(', T));
    expect(error.kind).toBe(kind);
    expect(error.message).toMatch(message);
    expect(server.requests).toHaveLength(1);
    expect(prometheus.stats).toMatchObject({ requests: 1, retries: 0, failures: 1 });
  });

  it('waits as long as Retry-After asks on 429', async () => {
    server.queue({ status: 429, headers: { 'Retry-After': '1' }, text: 'slow down' });
    const prometheus = client();
    const began = performance.now();
    await prometheus.instant('up', T);
    expect(performance.now() - began).toBeGreaterThanOrEqual(950);
    expect(prometheus.stats.retries).toBe(1);
  });

  it('does not wait for a Retry-After beyond a minute', async () => {
    server.queue({ status: 503, headers: { 'Retry-After': '3600' }, text: 'maintenance' });
    const error = await rejection(client().instant('up', T));
    expect(error.kind).toBe('server');
    expect(server.requests).toHaveLength(1);
  });

  it('gives up after the configured retries and says so', async () => {
    server.handle(() => ({ status: 503, text: 'no healthy upstream' }));
    const prometheus = client({ retry: { retries: 2, baseDelayMs: 5, maxDelayMs: 10 } });
    const error = await rejection(prometheus.instant('up', T));
    expect(error.kind).toBe('server');
    expect(error.message).toMatch(/^503 from .*\/api\/v1\/query; the store failed, retry later \(gave up after 3 attempts\)$/);
    expect(server.requests).toHaveLength(3);
    expect(prometheus.stats.requests).toBe(3);
  });

  it('retries a refused connection, then reports the store unreachable', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const prometheus = new PrometheusClient({ url, retry: { retries: 2, baseDelayMs: 5, maxDelayMs: 10 } });
    const error = await rejection(prometheus.instant('up', T));
    expect(error.kind).toBe('unreachable');
    expect(error.message).toContain(`Could not connect to ${url} (ECONNREFUSED); check the URL`);
    expect(prometheus.stats).toMatchObject({ requests: 3, retries: 2, failures: 3 });
  });
});

describe('answers that are not Prometheus answers', () => {
  it.each<[string, Reply, RegExp]>([
    [
      'an HTML login page',
      { headers: { 'Content-Type': 'text/html' }, text: '<html><head><title>Sign in</title></head><body>…</body></html>' },
      /is not Prometheus JSON \(HTML titled "Sign in": a login page\?\); check the URL path prefix$/,
    ],
    [
      'cut-off JSON',
      { headers: { 'Content-Type': 'application/json' }, text: '{"status":"success","data":{"resultType":"vec' },
      /is cut-off JSON \(45 bytes\); a proxy in between may have truncated it/,
    ],
    ['JSON of another API', { json: { hello: 'world' } }, /is JSON but not a Prometheus API answer; check the URL path prefix$/],
    ['an empty body', { text: '' }, /is not Prometheus JSON \(it is empty\)/],
    ['a result of the wrong shape', success({ resultType: 'vector', result: [{ metric: {} }] }), /does not have the shape of a Prometheus answer/],
  ])('%s is a malformed response, not retried', async (_what, reply, message) => {
    server.queue(reply);
    const error = await rejection(client().instant('up', T));
    expect(error.kind).toBe('malformed-response');
    expect(error.message).toMatch(message);
    expect(server.requests).toHaveLength(1);
  });

  it('reads an error envelope sent with 200 as the error it is', async () => {
    server.queue({ json: { status: 'error', errorType: 'bad_data', error: 'parse error at char 4' } });
    const error = await rejection(client().instant('sum(', T));
    expect(error.kind).toBe('bad-query');
    expect(error.detail).toBe('parse error at char 4');
  });

  it('reports a redirect instead of following it as a GET, without its query string', async () => {
    server.queue({ status: 302, headers: { Location: '/oauth/login?session=s3cr3t' }, text: '' });
    const error = await rejection(client().instant('up', T));
    expect(error.kind).toBe('malformed-response');
    expect(error.message).toContain(`redirected to ${server.url}/oauth/login instead of answering`);
    expect(error.message).not.toContain('s3cr3t');
    expect(server.requests.map((r) => r.method)).toEqual(['POST']);
  });
});

describe('deadlines and cancellation', () => {
  it('times out on a server that never answers, without retrying', async () => {
    server.handle(() => ({ hang: true }));
    const prometheus = client({ timeoutMs: 300 });
    const began = performance.now();
    const error = await rejection(prometheus.instant('up', T));
    expect(error.kind).toBe('timeout');
    expect(error.message).toBe(`${server.url} did not answer within 0.3 s; check the URL or raise the timeout`);
    expect(performance.now() - began).toBeLessThan(2_000);
    expect(prometheus.stats).toMatchObject({ requests: 1, retries: 0, failures: 1 });
  });

  it('stops a hanging request when the caller aborts', async () => {
    server.handle(() => ({ hang: true }));
    const began = performance.now();
    const error = await rejection(client().instant('up', T, AbortSignal.timeout(100)));
    expect(error.kind).toBe('cancelled');
    expect(performance.now() - began).toBeLessThan(1_000);
  });

  it('stops during the backoff between retries', async () => {
    server.queue({ status: 503, headers: { 'Retry-After': '5' }, text: 'busy' });
    const began = performance.now();
    const error = await rejection(client().instant('up', T, AbortSignal.timeout(100)));
    expect(error.kind).toBe('cancelled');
    expect(performance.now() - began).toBeLessThan(1_000);
    expect(server.requests).toHaveLength(1);
  });

  it('sends nothing when the signal is already aborted', async () => {
    const prometheus = client();
    const error = await rejection(prometheus.instant('up', T, AbortSignal.abort()));
    expect(error.kind).toBe('cancelled');
    expect(prometheus.stats.requests).toBe(0);
    expect(server.requests).toHaveLength(0);
  });
});

describe('what goes over the wire', () => {
  it('POSTs queries, series and label names; GETs label values and build info', async () => {
    const prometheus = client();
    await prometheus.instant('up{job="api"}', T);
    await prometheus.range('rate(x[5m])', T - 600, T, 60);
    await prometheus.series(['up', 'kube_pod_info'], T - 3600, T);
    await prometheus.labelNames(['up'], T - 3600, T);
    await prometheus.labelValues('job', ['up'], T - 3600, T);
    await prometheus.buildInfo();
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /api/v1/query',
      'POST /api/v1/query_range',
      'POST /api/v1/series',
      'POST /api/v1/labels',
      'GET /api/v1/label/job/values',
      'GET /api/v1/status/buildinfo',
    ]);
    const [query, range, series] = server.requests;
    expect(Object.fromEntries(query?.params ?? [])).toEqual({ query: 'up{job="api"}', time: String(T), timeout: '27s' });
    expect(Object.fromEntries(range?.params ?? [])).toMatchObject({ start: String(T - 600), end: String(T), step: '60' });
    expect(series?.params.getAll('match[]')).toEqual(['up', 'kube_pod_info']);
  });

  it('carries a selector far longer than any URL limit in the body', async () => {
    const pods = Array.from({ length: 2_000 }, (_, i) => `checkout-7d9f8c6b5-${String(i).padStart(5, '0')}`).join('|');
    const query = `sum by (pod) (rate(container_cpu_usage_seconds_total{pod=~"${pods}"}[5m]))`;
    await client().instant(query, T);
    expect(query.length).toBeGreaterThan(50_000);
    expect(server.requests[0]?.params.get('query')).toBe(query);
  });

  it('sends the bearer token, basic auth, custom headers and a path prefix', async () => {
    await client({ url: `${server.url}/prometheus`, bearerToken: 'tok-123456', headers: { 'X-Scope-OrgID': 'team-a' } }).instant('up', T);
    await client({ basicAuth: { username: 'reader', password: 'pa55word' } }).instant('up', T);
    const [bearer, basic] = server.requests;
    expect(bearer?.path).toBe('/prometheus/api/v1/query');
    expect(bearer?.headers.authorization).toBe('Bearer tok-123456');
    expect(bearer?.headers['x-scope-orgid']).toBe('team-a');
    expect(bearer?.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(basic?.headers.authorization).toBe(`Basic ${Buffer.from('reader:pa55word').toString('base64')}`);
  });

  it('asks the authorize hook before every request, retries included', async () => {
    let issued = 0;
    server.queue({ status: 502, text: 'Bad Gateway' });
    const prometheus = client({}, async () => ({ Authorization: `Bearer fresh-${++issued}` }));
    await prometheus.instant('up', T);
    await prometheus.instant('up', T);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(['Bearer fresh-1', 'Bearer fresh-2', 'Bearer fresh-3']);
  });

  it('counts exactly the requests the server saw, per endpoint', async () => {
    server.queue({ status: 503, text: 'busy' }, { reset: true });
    const prometheus = client();
    await prometheus.instant('up', T);
    await prometheus.range('up', T - 3600, T, 60);
    await prometheus.labelValues('job', [], T - 60, T);
    await prometheus.series(['up'], T - 60, T);
    const stats = prometheus.stats;
    expect(stats.requests).toBe(server.requests.length);
    expect(stats).toMatchObject({ calls: 4, requests: 6, retries: 2 });
    expect(stats.byEndpoint).toMatchObject({
      query: { requests: 3 },
      query_range: { requests: 1 },
      label_values: { requests: 1 },
      series: { requests: 1 },
    });
    expect(stats.bytes).toBeGreaterThan(0);
    expect(stats.durationMs).toBeGreaterThan(0);
  });
});

describe('results', () => {
  it('turns NaN and ±Inf into null, in vectors, ranges and scalars', async () => {
    server.queue(
      success({
        resultType: 'vector',
        result: [
          { metric: { __name__: 'a', pod: 'x' }, value: [T, 'NaN'] },
          { metric: { pod: 'y' }, value: [T, '+Inf'] },
          { metric: { pod: 'z' }, value: [T, '0.25'] },
        ],
      }),
      success({ resultType: 'matrix', result: [{ metric: {}, values: [[T, '-Inf'], [T + 60, '2']] }] }),
      success({ resultType: 'scalar', result: [T, 'NaN'] }),
    );
    const prometheus = client();
    expect(await prometheus.instant('a', T)).toEqual({
      resultType: 'vector',
      data: [
        { labels: { __name__: 'a', pod: 'x' }, time: T, value: null },
        { labels: { pod: 'y' }, time: T, value: null },
        { labels: { pod: 'z' }, time: T, value: 0.25 },
      ],
      warnings: [],
    });
    expect(await prometheus.range('-b / 0', T, T + 60, 60)).toEqual({
      data: [{ labels: {}, points: [{ time: T, value: null }, { time: T + 60, value: 2 }] }],
      warnings: [],
    });
    expect(await prometheus.instant('0/0', T)).toEqual({ resultType: 'scalar', data: [{ labels: {}, time: T, value: null }], warnings: [] });
  });

  it('refuses an instant answer that is a range vector or a string', async () => {
    server.queue(
      success({ resultType: 'matrix', result: [{ metric: {}, values: [[T, '1']] }] }),
      success({ resultType: 'string', result: [T, 'text'] }),
    );
    for (const query of ['up[5m]', '"text"']) {
      const error = await rejection(client().instant(query, T));
      expect(error.kind).toBe('bad-query');
      expect(error.message).toMatch(/^The query answered with a (matrix|string) instead of a vector or scalar; ask for series over time with a range query$/);
    }
  });

  it("passes on the store's warnings and infos", async () => {
    server.queue({
      json: { status: 'success', data: { resultType: 'vector', result: [] }, warnings: ['remote_read: partial'], infos: ['PromQL info: metric might not be a counter'] },
    });
    expect((await client().instant('rate(x[5m])', T)).warnings).toEqual(['remote_read: partial', 'PromQL info: metric might not be a counter']);
  });

  it('halves a range the store times out on until it answers, and says so', async () => {
    server.handle((request) => {
      const points = (Number(request.params.get('end')) - Number(request.params.get('start'))) / Number(request.params.get('step')) + 1;
      if (request.path.endsWith('query_range') && points > 100) return failure(503, 'timeout', 'query timed out in expression evaluation');
      return prometheusLike(request);
    });
    const prometheus = client();
    const start = T - 399 * 60;
    const result = await prometheus.range('ramp', start, T, 60);
    const times = result.data[0]?.points.map((p) => p.time) ?? [];
    expect(times).toHaveLength(400);
    expect(times).toEqual(Array.from({ length: 400 }, (_, i) => start + i * 60));
    expect(result.warnings).toEqual(['range split into 4 chunks: Prometheus timed out on 6.7 hours']);
    expect(prometheus.stats).toMatchObject({ requests: 7, retries: 0, splitRanges: 1 });
  });

  it('cuts a range to the stated points limit, and remembers the limit for the next range', async () => {
    server.handle((request) => {
      const points = (Number(request.params.get('end')) - Number(request.params.get('start'))) / Number(request.params.get('step')) + 1;
      if (points > 250) return failure(400, 'bad_data', 'exceeded maximum resolution of 250 points per timeseries. Try decreasing the query resolution (?step=XX)');
      return prometheusLike(request);
    });
    const prometheus = client();
    const first = await prometheus.range('ramp', T - 999 * 15, T, 15);
    expect(first.data[0]?.points).toHaveLength(1_000);
    expect(first.warnings).toEqual(['range split into 4 chunks: Prometheus refused 1,000 points per series (its limit is 250)']);
    expect(prometheus.stats.requests).toBe(5);
    const second = await prometheus.range('ramp', T - 599 * 15, T, 15);
    expect(second.data[0]?.points).toHaveLength(600);
    expect(second.warnings).toEqual(['range split into 3 chunks: Prometheus refuses more than 250 points per series']);
    expect(prometheus.stats.requests).toBe(8);
  });

  it('refuses to split a range into more than 64 chunks', async () => {
    server.queue(failure(422, '422', 'too many points for the given step: 10001; cannot exceed -search.maxPointsPerTimeseries=100'));
    const error = await rejection(client().range('ramp', T - 10_000, T, 1));
    expect(error.kind).toBe('too-large');
    expect(error.message).toMatch(/^VictoriaMetrics at .* refused the query as too large: .*\(splitting the range would take 101 chunks, more than 64; use a coarser step or a shorter range\)$/);
    expect(server.requests).toHaveLength(1);
  });

  it('checks a range and a label name before sending anything', async () => {
    const prometheus = client();
    expect((await rejection(prometheus.range('up', T, T - 60, 60))).kind).toBe('bad-query');
    expect((await rejection(prometheus.range('up', T - 60, T, 0))).kind).toBe('bad-query');
    expect((await rejection(prometheus.labelValues('job/../../admin', [], T - 60, T))).kind).toBe('bad-query');
    expect((await rejection(prometheus.series([], T - 60, T))).kind).toBe('bad-query');
    expect(server.requests).toHaveLength(0);
  });
});

describe('build info', () => {
  it.each<[string, Reply, object]>([
    ['Prometheus', success({ version: '2.53.0', revision: 'abc' }), { product: 'prometheus', version: '2.53.0', warnings: [] }],
    ['Thanos', success({ version: '0.37.2' }), { product: 'thanos', version: '0.37.2' }],
    ['Mimir', success({ application: 'Grafana Mimir', version: '2.14.0', features: { ruler: true } }), { product: 'mimir', details: { application: 'Grafana Mimir', version: '2.14.0' } }],
    ['VictoriaMetrics', { headers: { 'X-Server-Hostname': 'vm-0' }, json: { status: 'success', data: {} } }, { product: 'victoriametrics', version: null }],
  ])('recognises %s', async (_name, reply, expected) => {
    server.queue(reply);
    expect(await client().buildInfo()).toMatchObject(expected);
  });

  it('falls back when the store does not serve build info', async () => {
    server.queue({ status: 404, text: '404 page not found' });
    const info = await client().buildInfo();
    expect(info).toMatchObject({ product: 'unknown', version: null });
    expect(info.warnings).toEqual([`${server.url} does not serve /api/v1/status/buildinfo (404), so its product and version are unknown; queries are not affected`]);
  });
});

describe('secrets', () => {
  it('never puts a token or a password into a message, even when the server echoes it', async () => {
    server.handle((request) => failure(401, 'unauthorized', `token ${String(request.headers.authorization)} is not valid`));
    const bearer = await rejection(client({ bearerToken: 'sekret-token-abc' }).instant('up', T));
    expect(bearer.message).toMatch(/^401 from .*: the bearer token was rejected; check or renew it$/);
    expect(JSON.stringify([bearer.message, bearer.detail])).not.toContain('sekret-token-abc');

    const hooked = await rejection(client({}, async () => ({ Authorization: 'Bearer hook-token-xyz' })).instant('up', T));
    expect(JSON.stringify([hooked.message, hooked.detail])).not.toContain('hook-token-xyz');

    server.handle(() => failure(400, 'bad_data', 'password pa55word-secret rejected'));
    const basic = await rejection(client({ basicAuth: { username: 'u', password: 'pa55word-secret' } }).instant('up', T));
    expect(JSON.stringify([basic.message, basic.detail])).not.toContain('pa55word-secret');
  });
});

describe('TLS', () => {
  let dir: string;
  let certificates: TestCertificates;
  let secure: FaultServer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'headroom-tls-'));
    certificates = await makeCertificates(dir);
    secure = await FaultServer.start({ tls: { key: certificates.serverKeyPem, cert: certificates.serverCertPem } });
  });
  afterAll(async () => {
    await secure.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('trusts a server whose CA is given as PEM or as a file', async () => {
    await new PrometheusClient({ url: secure.url, tls: { caPem: certificates.caPem } }).instant('up', T);
    await new PrometheusClient({ url: secure.url, tls: { caFile: certificates.caFile } }).instant('up', T);
    expect(secure.requests).toHaveLength(2);
  });

  it('accepts any certificate with skip-verify', async () => {
    const result = await new PrometheusClient({ url: secure.url, tls: { insecureSkipVerify: true } }).instant('up', T);
    expect(result.resultType).toBe('vector');
  });

  it('refuses a certificate it cannot trust, without retrying', async () => {
    const prometheus = new PrometheusClient({ url: secure.url, retry: FAST_RETRY });
    const error = await rejection(prometheus.instant('up', T));
    expect(error.kind).toBe('tls');
    expect(error.message).toMatch(/^The TLS certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)\); add the CA/);
    expect(prometheus.stats).toMatchObject({ requests: 1, retries: 0 });
  });

  it('says when the certificate is for another name', async () => {
    const error = await rejection(
      new PrometheusClient({ url: secure.url, tls: { caPem: certificates.caPem, serverName: 'prometheus.example' } }).instant('up', T),
    );
    expect(error.kind).toBe('tls');
    expect(error.message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('says when the CA file cannot be read', () => {
    expect(() => new PrometheusClient({ url: secure.url, tls: { caFile: join(dir, 'missing.crt') } })).toThrow(
      /^The CA file .*missing\.crt cannot be read \(ENOENT\); choose the file again$/,
    );
  });
});

describe('connection schema', () => {
  it('fills in defaults', () => {
    expect(connectionSchema.parse({ url: 'https://mimir.example/prometheus' })).toEqual({
      url: 'https://mimir.example/prometheus',
      headers: {},
      tls: { insecureSkipVerify: false },
      timeoutMs: 30_000,
      retry: { retries: 2, baseDelayMs: 500, maxDelayMs: 10_000 },
    });
  });

  it.each<[string, ConnectionInput]>([
    ['a non-HTTP URL', { url: 'ftp://prometheus:9090' }],
    ['credentials in the URL', { url: 'http://user:pw@prometheus:9090' }],
    ['a query string', { url: 'http://prometheus:9090/?x=1' }],
    ['a bearer token and basic auth', { url: 'http://p:9090', bearerToken: 't', basicAuth: { username: 'u', password: 'p' } }],
    ['a header value with a line break', { url: 'http://p:9090', headers: { 'X-Scope-OrgID': 'a\r\nX-Evil: 1' } }],
    ['an Authorization header beside a token', { url: 'http://p:9090', bearerToken: 't', headers: { authorization: 'Basic x' } }],
    ['a CA as PEM and as a file', { url: 'https://p:9090', tls: { caPem: 'x', caFile: '/ca.crt' } }],
    ['a client certificate without its key', { url: 'https://p:9090', tls: { certPem: 'x' } }],
  ])('refuses %s', (_what, input) => {
    expect(connectionSchema.safeParse(input).success).toBe(false);
  });
});
