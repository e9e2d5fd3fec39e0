/**
 * Flag values into the units core wants: durations in seconds, times in unix seconds, matchers, headers,
 * credentials. Pure: the environment, the clock and file reading are arguments, so every rule is tested in a
 * table. A refusal is a UsageError whose message names the flag and what to write instead, and never repeats
 * a secret.
 */
import type { AnalysisRequest } from '../core/api/operations';
import type { ConnectionInput } from '../core/prometheus/client';
import { parseDuration, type Matcher } from '../core/prometheus/promql';
import { UsageError } from './errors';

export type Strategy = 'headroom' | 'krr-simple' | 'vpa-like';
export const STRATEGIES: readonly Strategy[] = ['headroom', 'krr-simple', 'vpa-like'];

/** Analyses cover at least ten minutes and at most 400 days (core's bounds). */
export const WINDOW_BOUNDS = { min: 600, max: 400 * 86_400 };

/** Seconds, from "7d", "36h", "90m", "1d12h", "300s" or plain seconds. */
export function parseDurationFlag(text: string, flag: string, bounds: { min?: number; max?: number } = {}): number {
  const seconds = parseDuration(text);
  if (seconds === null || !Number.isFinite(seconds)) {
    throw new UsageError(`${flag}: "${text}" is not a duration; write e.g. 7d, 36h, 90m or 1d12h`);
  }
  if (bounds.min !== undefined && seconds < bounds.min) {
    throw new UsageError(`${flag}: ${text} is shorter than the shortest allowed, ${describeSeconds(bounds.min)}`);
  }
  if (bounds.max !== undefined && seconds > bounds.max) {
    throw new UsageError(`${flag}: ${text} is longer than the longest allowed, ${describeSeconds(bounds.max)}`);
  }
  return seconds;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})$/;
/** 9999-12-31T23:59:59Z: a larger "unix time" is milliseconds (or a typo). */
const LAST_SECOND = 253_402_300_799;

/** Unix seconds from unix seconds, RFC 3339 (with its offset: `2026-11-12T18:00:00Z`) or `now`. */
export function parseTimeFlag(text: string, flag: string, now: number): number {
  const trimmed = text.trim();
  if (trimmed === 'now') return Math.floor(now);
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    const seconds = Number(trimmed);
    if (seconds > LAST_SECOND) throw new UsageError(`${flag}: ${trimmed} is past the year 9999; use unix seconds, not milliseconds`);
    if (seconds <= 0) throw new UsageError(`${flag}: use a time after 1970`);
    return Math.floor(seconds);
  }
  const millis = RFC3339.test(trimmed) ? Date.parse(trimmed.replace(' ', 'T')) : Number.NaN;
  if (Number.isNaN(millis)) {
    throw new UsageError(`${flag}: "${trimmed}" is not a time; write unix seconds or RFC 3339 with an offset, e.g. 2026-11-12T18:00:00Z`);
  }
  if (millis <= 0) throw new UsageError(`${flag}: use a time after 1970`);
  return Math.floor(millis / 1000);
}

/** An expiry: a duration from now (`7d`) or a time (RFC 3339). Bare numbers are refused: seconds or a date? */
export function parseExpiresFlag(text: string, now: number): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    throw new UsageError(`--expires: "${trimmed}" is ambiguous; write a duration with its unit (7d, 12h) or an RFC 3339 time`);
  }
  const seconds = parseDuration(trimmed);
  if (seconds !== null) {
    if (seconds <= 0) throw new UsageError('--expires: the duration must be longer than zero');
    return Math.ceil(now + seconds);
  }
  return parseTimeFlag(trimmed, '--expires', now);
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * A PromQL label matcher, `cluster="prod-eu"`, `env=~"prod|staging"`, `team!=""`. The value may be in double
 * quotes (with PromQL's escapes), single quotes or backticks, or bare when it holds no spaces or quotes.
 */
export function parseMatcherFlag(text: string): Matcher {
  const match = /^\s*([^\s=!~]+)\s*(=~|!~|!=|=)\s*(.*?)\s*$/.exec(text);
  if (!match) throw new UsageError(`--matcher: "${text}" is not a label matcher; write e.g. cluster="prod-eu"`);
  const [, label = '', op = '=', raw = ''] = match;
  if (!LABEL_NAME.test(label)) throw new UsageError(`--matcher: "${label}" is not a label name`);
  return { label, op: op as Matcher['op'], value: unquote(raw, text) };
}

function unquote(raw: string, text: string): string {
  const quote = raw[0];
  if (quote === '"') {
    try {
      const value: unknown = JSON.parse(raw);
      if (typeof value === 'string') return value;
    } catch {
      // reported below
    }
  } else if ((quote === "'" || quote === '`') && raw.length >= 2 && raw.endsWith(quote) && !raw.slice(1, -1).includes(quote)) {
    return raw.slice(1, -1);
  } else if (!/[\s"'`]/.test(raw)) {
    return raw;
  }
  throw new UsageError(`--matcher: the value in "${text}" is not a quoted string; write e.g. cluster="prod-eu"`);
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** `Name: value`. The value is never repeated in a message: it may be a credential. */
export function parseHeaderFlag(text: string): [string, string] {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new UsageError('--header: write it as "Name: value", e.g. --header "X-Scope-OrgID: tenant"');
  const name = text.slice(0, colon).trim();
  const value = text.slice(colon + 1).trim();
  if (!HEADER_NAME.test(name)) throw new UsageError(`--header: "${name}" is not a valid header name`);
  if (/[\r\n]/.test(value)) throw new UsageError(`--header: the value of ${name} must be on one line`);
  return [name, value];
}

/** A share of usage to cover: 0.95, 95% or p95. */
export function parsePercentileFlag(text: string, flag: string): number {
  const trimmed = text.trim();
  const percent = /^(?:p(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)%)$/i.exec(trimmed);
  const value = percent ? Number(percent[1] ?? percent[2]) / 100 : /^\d*\.?\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!(value > 0 && value <= 1)) throw new UsageError(`${flag}: "${trimmed}" is not a percentile; write 0.95, 95% or p95`);
  return value;
}

/** A non-negative number, e.g. a price. */
export function parseAmountFlag(text: string, flag: string): number {
  const value = /^\d*\.?\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isFinite(value)) throw new UsageError(`${flag}: "${text}" is not a number; write e.g. 0.0316`);
  return value;
}

/** `namespace/Kind/name`; a cluster-scoped object has an empty namespace: `/Node/worker-1`. */
export function parseTargetFlag(text: string): { namespace: string; kind: string; name: string } {
  const [namespace, kind, ...rest] = text.split('/');
  const name = rest.join('/');
  if (namespace === undefined || !kind || !name) {
    throw new UsageError(`--target: "${text}" is not namespace/Kind/name; write e.g. checkout/Deployment/order`);
  }
  return { namespace, kind, name };
}

/** Namespaces from repeated or comma-separated `--namespace` values, without repeats. */
export function namespacesOf(values: readonly string[]): string[] {
  return [...new Set(values.flatMap((value) => value.split(',')).map((value) => value.trim()).filter((value) => value !== ''))];
}

/** A repeatable flag's collector for commander. */
export function collect(value: string, previous: readonly string[] = []): string[] {
  return [...previous, value];
}

export interface ConnectionFlags {
  prometheus: string;
  bearerToken?: string;
  bearerTokenFile?: string;
  header: string[];
  basicAuth?: string;
  caFile?: string;
  insecureSkipVerify?: boolean;
}

export interface Environment {
  env: Readonly<Record<string, string | undefined>>;
  /** Reads a text file; throws a UsageError that names the flag when it cannot. */
  readText: (path: string, flag: string) => string;
}

/** The Prometheus connection core's request takes, credentials resolved from flags, files and the environment. */
export function connectionFrom(flags: ConnectionFlags, environment: Environment): ConnectionInput {
  let url: URL;
  try {
    url = new URL(flags.prometheus);
  } catch {
    throw new UsageError('--prometheus: not a URL; write e.g. http://prometheus.monitoring:9090 (with any path prefix)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--prometheus: use an http:// or https:// URL, not ${url.protocol}//`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new UsageError('--prometheus: put credentials in --basic-auth or --bearer-token-file, not in the URL');
  }
  const headers = Object.fromEntries(flags.header.map(parseHeaderFlag));
  let bearerToken: string | undefined;
  if (flags.bearerToken !== undefined && flags.bearerTokenFile !== undefined) {
    throw new UsageError('--bearer-token and --bearer-token-file: give the token one way');
  }
  if (flags.bearerTokenFile !== undefined) {
    bearerToken = environment.readText(flags.bearerTokenFile, '--bearer-token-file').trim();
    if (bearerToken === '') throw new UsageError(`--bearer-token-file: ${flags.bearerTokenFile} is empty`);
  } else if (flags.bearerToken !== undefined) {
    bearerToken = flags.bearerToken.trim();
    if (bearerToken === '') throw new UsageError('--bearer-token: the token is empty');
  } else if (flags.basicAuth === undefined && (environment.env.HEADROOM_PROMETHEUS_TOKEN ?? '').trim() !== '') {
    // The variable is the fallback: a flag given on the command line wins over what the environment holds.
    bearerToken = (environment.env.HEADROOM_PROMETHEUS_TOKEN ?? '').trim();
  }
  let basicAuth: { username: string; password: string } | undefined;
  if (flags.basicAuth !== undefined) {
    const colon = flags.basicAuth.indexOf(':');
    const username = colon === -1 ? flags.basicAuth : flags.basicAuth.slice(0, colon);
    const password = colon === -1 ? environment.env.HEADROOM_PROMETHEUS_PASSWORD : flags.basicAuth.slice(colon + 1);
    if (username === '') throw new UsageError('--basic-auth: the user name is empty; write --basic-auth user and set HEADROOM_PROMETHEUS_PASSWORD');
    if (password === undefined) {
      throw new UsageError('--basic-auth: no password; set HEADROOM_PROMETHEUS_PASSWORD (it stays out of shell history and ps)');
    }
    basicAuth = { username, password };
  }
  if (bearerToken !== undefined && basicAuth !== undefined) {
    throw new UsageError('--basic-auth and a bearer token: use one or the other');
  }
  const authorization = Object.keys(headers).some((name) => name.toLowerCase() === 'authorization');
  if (authorization && (bearerToken !== undefined || basicAuth !== undefined)) {
    throw new UsageError('--header Authorization conflicts with the bearer token or basic auth; use one');
  }
  const tls = {
    ...(flags.caFile !== undefined && { caFile: flags.caFile }),
    ...(flags.insecureSkipVerify === true && { insecureSkipVerify: true }),
  };
  return {
    url: flags.prometheus,
    headers,
    ...(bearerToken !== undefined && { bearerToken }),
    ...(basicAuth !== undefined && { basicAuth }),
    ...(Object.keys(tls).length > 0 && { tls }),
  };
}

export interface SourceFlags extends ConnectionFlags {
  matcher: string[];
  manifests?: string;
  kubeconfig?: string;
  context?: string;
}

/** Where metrics and (optionally) the Kubernetes objects come from. */
export function sourceFrom(flags: SourceFlags, environment: Environment): AnalysisRequest['source'] {
  if (flags.manifests !== undefined && (flags.kubeconfig !== undefined || flags.context !== undefined)) {
    throw new UsageError('--manifests and --kubeconfig/--context: read the objects from a folder or from a cluster, not both');
  }
  const kubernetes =
    flags.manifests !== undefined
      ? { manifests: flags.manifests }
      : flags.kubeconfig !== undefined || flags.context !== undefined
        ? { ...(flags.kubeconfig !== undefined && { kubeconfig: flags.kubeconfig }), ...(flags.context !== undefined && { context: flags.context }) }
        : null;
  return {
    prometheus: connectionFrom(flags, environment),
    matchers: flags.matcher.map(parseMatcherFlag),
    kubernetes,
  };
}

/** "7 days", "36 hours", "90 minutes": a duration as a person would say it. */
export function describeSeconds(seconds: number): string {
  const units: Array<[string, number]> = [
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
  ];
  for (const [unit, size] of units) {
    if (seconds >= size && seconds % size === 0) return plural(seconds / size, unit);
  }
  if (seconds >= 3 * 86_400) return plural(Number((seconds / 86_400).toFixed(1)), 'day');
  if (seconds >= 3 * 3_600) return plural(Number((seconds / 3_600).toFixed(1)), 'hour');
  return plural(Number(seconds.toFixed(1)), 'second');
}

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}
