/**
 * Parsed flags into the request objects of `core/api/operations.ts`. Nothing here talks to a store: the
 * requests are validated again by core, which is where their rules live; this only turns flags into fields
 * and refuses what is wrong in a way that names the flag.
 */
import { DEFAULT_PRICES } from '../core/analysis/recommend/backtest';
import type { AnalysisRequest, BacktestRequest } from '../core/api/operations';
import { UsageError } from './errors';
import { namespacesOf, parseTimeFlag, sourceFrom, STRATEGIES, type Environment, type SourceFlags, type Strategy } from './flags';

export interface CommonFlags extends SourceFlags {
  namespace: string[];
  /** Unix seconds or RFC 3339; the end of the analysed window. Default: now. */
  at?: string;
  /** Seconds, parsed. */
  timeout?: number;
  /** Seconds, parsed. */
  scrapeInterval?: number;
  cpuPercentile?: number;
}

export interface AnalysisFlags extends CommonFlags {
  /** Seconds, parsed. */
  window: number;
  slo?: string;
  strategy?: Strategy;
  /** Prometheus as KEDA reaches it: propose ScaledObjects instead of HPAs on custom metrics. */
  keda?: string;
}

export interface BacktestFlags extends CommonFlags {
  /** Seconds, parsed. */
  fit: number;
  test: number;
  strategy: Strategy[];
  priceCpu?: number;
  priceMemory?: number;
  currency: string;
}

function common(flags: CommonFlags, environment: Environment, now: number): Pick<AnalysisRequest, 'source' | 'namespaces'> & { end: number; extra: Partial<AnalysisRequest> } {
  const end = flags.at === undefined ? Math.floor(now) : parseTimeFlag(flags.at, '--at', now);
  return {
    source: sourceFrom(flags, environment),
    namespaces: namespacesOf(flags.namespace),
    end,
    extra: {
      ...(flags.timeout !== undefined && { queryTimeoutMs: Math.max(100, Math.round(flags.timeout * 1000)) }),
      ...(flags.scrapeInterval !== undefined && { scrapeInterval: Math.round(flags.scrapeInterval) }),
    },
  };
}

export function analysisRequestFrom(flags: AnalysisFlags, environment: Environment, now: number): AnalysisRequest {
  const { source, namespaces, end, extra } = common(flags, environment, now);
  const duration = Math.round(flags.window);
  if (end - duration <= 0) throw new UsageError('--window reaches back before 1970; shorten it or move --at');
  return {
    source,
    namespaces,
    window: { end, duration },
    slo: flags.slo === undefined ? null : { path: flags.slo },
    rightsizing: {
      ...(flags.strategy !== undefined && { strategy: flags.strategy }),
      ...(flags.cpuPercentile !== undefined && { cpuPercentile: flags.cpuPercentile }),
    },
    ...(flags.keda !== undefined && { keda: { serverAddress: kedaAddress(flags.keda) } }),
    ...extra,
  };
}

/** KEDA's prometheus trigger needs an absolute http(s) URL; say so at the flag rather than deep in core. */
function kedaAddress(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--keda: ${JSON.stringify(text)} is not a URL; give Prometheus as KEDA reaches it, e.g. http://prometheus-operated.monitoring.svc:9090`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--keda: ${JSON.stringify(text)} must be an http or https URL`);
  return text;
}

export function backtestRequestFrom(flags: BacktestFlags, environment: Environment, now: number): BacktestRequest {
  const { source, namespaces, end, extra } = common(flags, environment, now);
  const fit = Math.round(flags.fit);
  const test = Math.round(flags.test);
  if (end - fit - test <= 0) throw new UsageError('--fit and --test reach back before 1970; shorten them or move --at');
  return {
    source,
    namespaces,
    window: { end },
    fit,
    test,
    strategies: flags.strategy.length > 0 ? [...new Set(flags.strategy)] : [...STRATEGIES],
    rightsizing: flags.cpuPercentile !== undefined ? { cpuPercentile: flags.cpuPercentile } : {},
    prices: { cpu: flags.priceCpu ?? DEFAULT_PRICES.cpu, memory: flags.priceMemory ?? DEFAULT_PRICES.memory, currency: flags.currency },
    ...extra,
  };
}

