import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/errors';
import {
  connectionFrom,
  describeSeconds,
  namespacesOf,
  parseAmountFlag,
  parseDurationFlag,
  parseExpiresFlag,
  parseHeaderFlag,
  parseMatcherFlag,
  parsePercentileFlag,
  parseTargetFlag,
  parseTimeFlag,
  sourceFrom,
  type ConnectionFlags,
  type Environment,
} from '../../cli/flags';
import { analysisRequestFrom, backtestRequestFrom } from '../../cli/requests';

const NOW = 1_794_506_400; // 2026-11-12T18:00:00Z

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('durations', () => {
  it.each([
    ['7d', 604_800],
    ['36h', 129_600],
    ['90m', 5_400],
    ['1d12h', 129_600],
    ['300s', 300],
    ['300', 300],
    ['1.5h', 5_400],
    ['500ms', 0.5],
  ])('%s is %d s', (text, seconds) => {
    expect(parseDurationFlag(text, '--window')).toBe(seconds);
  });

  it.each([
    ['7x', { }, '--window: "7x" is not a duration; write e.g. 7d, 36h, 90m or 1d12h'],
    ['', {}, '--window: "" is not a duration; write e.g. 7d, 36h, 90m or 1d12h'],
    ['5m', { min: 600 }, '--window: 5m is shorter than the shortest allowed, 10 minutes'],
    ['401d', { max: 400 * 86_400 }, '--window: 401d is longer than the longest allowed, 400 days'],
  ])('%j is refused', (text, bounds, message) => {
    expect(refusal(() => parseDurationFlag(text, '--window', bounds))).toBe(message);
  });
});

describe('times (--at)', () => {
  it.each([
    ['1794506400', NOW],
    ['1794506400.9', NOW],
    ['2026-11-12T18:00:00Z', NOW],
    ['2026-11-12T18:00:00.250Z', NOW],
    ['2026-11-12T19:00:00+01:00', NOW],
    ['2026-11-12 18:00:00Z', NOW],
    ['2026-11-12T18:00Z', NOW],
    ['now', NOW + 12],
  ])('%s is %d', (text, expected) => {
    expect(parseTimeFlag(text, '--at', NOW + 12.7)).toBe(expected);
  });

  it.each([
    ['yesterday', '--at: "yesterday" is not a time; write unix seconds or RFC 3339 with an offset, e.g. 2026-11-12T18:00:00Z'],
    ['2026-11-12T18:00:00', '--at: "2026-11-12T18:00:00" is not a time; write unix seconds or RFC 3339 with an offset, e.g. 2026-11-12T18:00:00Z'],
    ['2026-13-40T18:00:00Z', '--at: "2026-13-40T18:00:00Z" is not a time; write unix seconds or RFC 3339 with an offset, e.g. 2026-11-12T18:00:00Z'],
    ['1794506400000', '--at: 1794506400000 is past the year 9999; use unix seconds, not milliseconds'],
    ['0', '--at: use a time after 1970'],
  ])('%s is refused', (text, message) => {
    expect(refusal(() => parseTimeFlag(text, '--at', NOW))).toBe(message);
  });
});

describe('expiries (--expires)', () => {
  it.each([
    ['7d', NOW + 604_800],
    ['12h', NOW + 43_200],
    ['2026-12-01T00:00:00Z', 1_796_083_200],
  ])('%s is %d', (text, expected) => {
    expect(parseExpiresFlag(text, NOW)).toBe(expected);
  });

  it.each([
    ['3600', '--expires: "3600" is ambiguous; write a duration with its unit (7d, 12h) or an RFC 3339 time'],
    ['0d', '--expires: the duration must be longer than zero'],
    ['soon', '--expires: "soon" is not a time; write unix seconds or RFC 3339 with an offset, e.g. 2026-11-12T18:00:00Z'],
  ])('%s is refused', (text, message) => {
    expect(refusal(() => parseExpiresFlag(text, NOW))).toBe(message);
  });
});

describe('label matchers (--matcher)', () => {
  it.each([
    ['cluster="prod-eu"', { label: 'cluster', op: '=', value: 'prod-eu' }],
    ['cluster = "prod-eu"', { label: 'cluster', op: '=', value: 'prod-eu' }],
    ['env=~"prod|staging"', { label: 'env', op: '=~', value: 'prod|staging' }],
    ['team!=""', { label: 'team', op: '!=', value: '' }],
    ['zone!~`eu-.*`', { label: 'zone', op: '!~', value: 'eu-.*' }],
    ["cluster='prod'", { label: 'cluster', op: '=', value: 'prod' }],
    ['cluster=prod-eu', { label: 'cluster', op: '=', value: 'prod-eu' }],
    ['path="a\\"b\\\\c"', { label: 'path', op: '=', value: 'a"b\\c' }],
  ])('%s', (text, matcher) => {
    expect(parseMatcherFlag(text)).toEqual(matcher);
  });

  it.each([
    ['cluster', '--matcher: "cluster" is not a label matcher; write e.g. cluster="prod-eu"'],
    ['1cluster="x"', '--matcher: "1cluster" is not a label name'],
    ['cluster="prod', '--matcher: the value in "cluster="prod" is not a quoted string; write e.g. cluster="prod-eu"'],
    ['cluster=prod eu', '--matcher: the value in "cluster=prod eu" is not a quoted string; write e.g. cluster="prod-eu"'],
  ])('%s is refused', (text, message) => {
    expect(refusal(() => parseMatcherFlag(text))).toBe(message);
  });
});

describe('other flag values', () => {
  it.each([
    ['X-Scope-OrgID: tenant-1', ['X-Scope-OrgID', 'tenant-1']],
    ['Authorization:Bearer abc:def', ['Authorization', 'Bearer abc:def']],
  ])('header %s', (text, header) => {
    expect(parseHeaderFlag(text)).toEqual(header);
  });

  it.each([
    ['no colon', '--header: write it as "Name: value", e.g. --header "X-Scope-OrgID: tenant"'],
    [': value', '--header: write it as "Name: value", e.g. --header "X-Scope-OrgID: tenant"'],
    ['Bad Name: secret', '--header: "Bad Name" is not a valid header name'],
  ])('header %s is refused without its value', (text, message) => {
    expect(refusal(() => parseHeaderFlag(text))).toBe(message);
  });

  it.each([
    ['0.95', 0.95],
    ['95%', 0.95],
    ['p99', 0.99],
    ['P90', 0.9],
    ['1', 1],
  ])('percentile %s is %d', (text, value) => {
    expect(parsePercentileFlag(text, '--cpu-percentile')).toBeCloseTo(value, 12);
  });

  it.each(['0', '1.5', '150%', 'p0', 'high', '-0.5'])('percentile %s is refused', (text) => {
    expect(refusal(() => parsePercentileFlag(text, '--cpu-percentile'))).toBe(`--cpu-percentile: "${text}" is not a percentile; write 0.95, 95% or p95`);
  });

  it.each([
    ['0.0316', 0.0316],
    ['2', 2],
    ['.5', 0.5],
  ])('amount %s', (text, value) => {
    expect(parseAmountFlag(text, '--price-cpu')).toBe(value);
  });

  it.each(['-1', 'free', '1e3'])('amount %s is refused', (text) => {
    expect(refusal(() => parseAmountFlag(text, '--price-cpu'))).toBe(`--price-cpu: "${text}" is not a number; write e.g. 0.0316`);
  });

  it.each([
    ['checkout/Deployment/order', { namespace: 'checkout', kind: 'Deployment', name: 'order' }],
    ['kafka/KafkaTopic/order.placed', { namespace: 'kafka', kind: 'KafkaTopic', name: 'order.placed' }],
    ['/Node/worker-1', { namespace: '', kind: 'Node', name: 'worker-1' }],
  ])('target %s', (text, target) => {
    expect(parseTargetFlag(text)).toEqual(target);
  });

  it.each(['order', 'checkout/order', 'checkout//order', 'checkout/Deployment/'])('target %s is refused', (text) => {
    expect(refusal(() => parseTargetFlag(text))).toBe(`--target: "${text}" is not namespace/Kind/name; write e.g. checkout/Deployment/order`);
  });

  it('namespaces from repeated and comma-separated flags, once each', () => {
    expect(namespacesOf(['checkout', 'storefront, data', 'checkout', ''])).toEqual(['checkout', 'storefront', 'data']);
  });

  it.each([
    [600, '10 minutes'],
    [3600, '1 hour'],
    [604_800, '7 days'],
    [400 * 86_400, '400 days'],
    [5_400, '90 minutes'],
    [0.1, '0.1 seconds'],
  ])('%d s reads as %s', (seconds, text) => {
    expect(describeSeconds(seconds)).toBe(text);
  });
});

describe('connection and source from flags', () => {
  const files: Record<string, string> = { '/run/token': 'tok3n\n', '/run/empty': '\n' };
  const environment = (env: Record<string, string> = {}): Environment => ({
    env,
    readText: (path, flag) => {
      const text = files[path];
      if (text === undefined) throw new UsageError(`${flag}: cannot read ${path} (ENOENT)`);
      return text;
    },
  });
  const flags = (more: Partial<ConnectionFlags> = {}): ConnectionFlags => ({ prometheus: 'https://mimir.example/prometheus', header: [], ...more });

  it.each([
    [{}, {}, { url: 'https://mimir.example/prometheus', headers: {} }],
    [{ bearerTokenFile: '/run/token' }, {}, { url: 'https://mimir.example/prometheus', headers: {}, bearerToken: 'tok3n' }],
    [{ bearerToken: ' tok3n ' }, {}, { url: 'https://mimir.example/prometheus', headers: {}, bearerToken: 'tok3n' }],
    [{}, { HEADROOM_PROMETHEUS_TOKEN: 'from-env\n' }, { url: 'https://mimir.example/prometheus', headers: {}, bearerToken: 'from-env' }],
    [{ bearerTokenFile: '/run/token' }, { HEADROOM_PROMETHEUS_TOKEN: 'from-env' }, { url: 'https://mimir.example/prometheus', headers: {}, bearerToken: 'tok3n' }],
    [{ basicAuth: 'ops:pw' }, { HEADROOM_PROMETHEUS_TOKEN: 'from-env' }, { url: 'https://mimir.example/prometheus', headers: {}, basicAuth: { username: 'ops', password: 'pw' } }],
    [{ basicAuth: 'ops' }, { HEADROOM_PROMETHEUS_PASSWORD: 'pw' }, { url: 'https://mimir.example/prometheus', headers: {}, basicAuth: { username: 'ops', password: 'pw' } }],
    [{ basicAuth: 'ops:p:w' }, {}, { url: 'https://mimir.example/prometheus', headers: {}, basicAuth: { username: 'ops', password: 'p:w' } }],
    [{ header: ['X-Scope-OrgID: team-a', 'X-Extra: 1'] }, {}, { url: 'https://mimir.example/prometheus', headers: { 'X-Scope-OrgID': 'team-a', 'X-Extra': '1' } }],
    [{ caFile: '/ca.pem', insecureSkipVerify: true }, {}, { url: 'https://mimir.example/prometheus', headers: {}, tls: { caFile: '/ca.pem', insecureSkipVerify: true } }],
  ])('%j with %j', (more, env, connection) => {
    expect(connectionFrom(flags(more), environment(env))).toEqual(connection);
  });

  it.each([
    [{ prometheus: 'not a url' }, {}, '--prometheus: not a URL; write e.g. http://prometheus.monitoring:9090 (with any path prefix)'],
    [{ prometheus: 'ftp://store' }, {}, '--prometheus: use an http:// or https:// URL, not ftp://'],
    [{ prometheus: 'https://ops:pw@store' }, {}, '--prometheus: put credentials in --basic-auth or --bearer-token-file, not in the URL'],
    [{ bearerToken: 'a', bearerTokenFile: '/run/token' }, {}, '--bearer-token and --bearer-token-file: give the token one way'],
    [{ bearerTokenFile: '/run/missing' }, {}, '--bearer-token-file: cannot read /run/missing (ENOENT)'],
    [{ bearerTokenFile: '/run/empty' }, {}, '--bearer-token-file: /run/empty is empty'],
    [{ basicAuth: 'ops' }, {}, '--basic-auth: no password; set HEADROOM_PROMETHEUS_PASSWORD (it stays out of shell history and ps)'],
    [{ basicAuth: ':pw' }, {}, '--basic-auth: the user name is empty; write --basic-auth user and set HEADROOM_PROMETHEUS_PASSWORD'],
    [{ basicAuth: 'ops:pw', bearerToken: 'tok' }, {}, '--basic-auth and a bearer token: use one or the other'],
    [{ bearerToken: 'tok', header: ['Authorization: Basic x'] }, {}, '--header Authorization conflicts with the bearer token or basic auth; use one'],
  ])('%j is refused', (more, env, message) => {
    expect(refusal(() => connectionFrom(flags(more), environment(env)))).toBe(message);
  });

  it.each([
    [{}, null],
    [{ manifests: './k8s' }, { manifests: './k8s' }],
    [{ kubeconfig: '/kube/config' }, { kubeconfig: '/kube/config' }],
    [{ context: 'prod' }, { context: 'prod' }],
    [{ kubeconfig: '/kube/config', context: 'prod' }, { kubeconfig: '/kube/config', context: 'prod' }],
  ])('objects from %j', (more, kubernetes) => {
    expect(sourceFrom({ ...flags(), matcher: ['cluster="eu"'], ...more }, environment()).kubernetes).toEqual(kubernetes);
  });

  it('refuses a folder and a cluster at once', () => {
    expect(refusal(() => sourceFrom({ ...flags(), matcher: [], manifests: 'k8s', context: 'prod' }, environment()))).toBe(
      '--manifests and --kubeconfig/--context: read the objects from a folder or from a cluster, not both',
    );
  });
});

describe('requests from flags', () => {
  const environment: Environment = { env: {}, readText: () => '' };
  const common = { prometheus: 'http://prom:9090', header: [], matcher: ['cluster="eu"'], namespace: ['checkout,data'] };

  it('builds the analysis request core takes', () => {
    const request = analysisRequestFrom({ ...common, window: 604_800, at: '2026-11-12T18:00:00Z', slo: 'slo.yaml', strategy: 'vpa-like', cpuPercentile: 0.9, timeout: 2.5, scrapeInterval: 30 }, environment, NOW + 999);
    expect(request).toEqual({
      source: { prometheus: { url: 'http://prom:9090', headers: {} }, matchers: [{ label: 'cluster', op: '=', value: 'eu' }], kubernetes: null },
      namespaces: ['checkout', 'data'],
      window: { end: NOW, duration: 604_800 },
      slo: { path: 'slo.yaml' },
      rightsizing: { strategy: 'vpa-like', cpuPercentile: 0.9 },
      queryTimeoutMs: 2_500,
      scrapeInterval: 30,
    });
  });

  it('ends the window now without --at, and leaves the timeout to core without --timeout', () => {
    const request = analysisRequestFrom({ ...common, window: 86_400 }, environment, NOW + 0.5);
    expect(request.window).toEqual({ end: NOW, duration: 86_400 });
    expect(request).not.toHaveProperty('queryTimeoutMs');
    expect(request.rightsizing).toEqual({});
  });

  it('builds the backtest request, prices and strategies included', () => {
    const request = backtestRequestFrom({ ...common, fit: 4 * 86_400, test: 3 * 86_400, at: String(NOW), strategy: ['krr-simple', 'headroom', 'krr-simple'], priceCpu: 0.05, currency: 'EUR' }, environment, NOW);
    expect(request).toMatchObject({ window: { end: NOW }, fit: 345_600, test: 259_200, strategies: ['krr-simple', 'headroom'], prices: { cpu: 0.05, memory: 0.004237, currency: 'EUR' } });
    expect(backtestRequestFrom({ ...common, fit: 3600, test: 3600, strategy: [], currency: 'USD' }, environment, NOW).strategies).toEqual(['headroom', 'krr-simple', 'vpa-like']);
  });

  it('asks core for KEDA ScaledObjects with --keda, and refuses an address KEDA could not query', () => {
    expect(analysisRequestFrom({ ...common, window: 86_400, keda: 'http://prometheus-operated.monitoring.svc:9090' }, environment, NOW).keda).toEqual({ serverAddress: 'http://prometheus-operated.monitoring.svc:9090' });
    expect(analysisRequestFrom({ ...common, window: 86_400 }, environment, NOW)).not.toHaveProperty('keda');
    expect(refusal(() => analysisRequestFrom({ ...common, window: 86_400, keda: 'prometheus:9090' }, environment, NOW))).toBe('--keda: "prometheus:9090" must be an http or https URL');
    expect(refusal(() => analysisRequestFrom({ ...common, window: 86_400, keda: 'not a url' }, environment, NOW))).toMatch(/^--keda: "not a url" is not a URL; give Prometheus as KEDA reaches it/);
  });

  it('refuses windows that reach back before 1970', () => {
    expect(refusal(() => analysisRequestFrom({ ...common, window: 400 * 86_400, at: '100' }, environment, NOW))).toBe('--window reaches back before 1970; shorten it or move --at');
  });
});
