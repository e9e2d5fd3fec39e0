import { REPORT_SCHEMA_VERSION, type Report } from '../api/report';
import { detectCatalog, type MetricCatalog } from '../prometheus/catalog';
import type { Matcher } from '../prometheus/promql';
import type { QueryApi } from '../prometheus/query-api';
import { collectRed } from './red';
import { assembleServices, type ServiceAnalysis } from './services';
import { objectivesFor, type SloFile } from './slo';

/**
 * One analysis of one window: preflight the store, then RED and SLOs per workload. Every step asks
 * the store a fixed number of aggregated questions, so the cost in requests does not grow with the
 * fleet (a lab test holds this to account).
 */
export interface AnalyzeOptions {
  window: { start: number; end: number };
  slo?: SloFile | null;
  /** Matchers added to every selector, e.g. `cluster="prod-eu"` on a multi-cluster Thanos or Mimir. */
  global?: readonly Matcher[];
  namespaces?: readonly string[];
  /** Resolution of timelines; defaults to about a thousand points over the window. */
  timelineStep?: number;
  signal?: AbortSignal;
  onProgress?: (step: string) => void;
}

export interface Analysis {
  report: Report;
  catalog: MetricCatalog;
  services: ServiceAnalysis[];
}

export function defaultTimelineStep(windowSeconds: number): number {
  return Math.max(300, Math.ceil(windowSeconds / 1008 / 60) * 60);
}

/** Every latency threshold an SLO file mentions: each family is asked for all of them at once. */
function latencyThresholds(slo: SloFile | null | undefined): number[] {
  if (!slo) return [];
  const all = [slo.defaults?.latency?.threshold, ...slo.services.map((s) => s.latency?.threshold)];
  return [...new Set(all.filter((t): t is number => t !== undefined))];
}

export async function analyze(api: QueryApi, options: AnalyzeOptions): Promise<Analysis> {
  const { window } = options;
  if (!(window.end > window.start)) throw new RangeError(`the analysis window must end after it starts (got ${window.start}…${window.end})`);
  const global = options.global ?? [];
  const slo = options.slo ?? null;
  options.onProgress?.('checking which metrics the store holds');
  const catalog = await detectCatalog(api, window, global, options.signal);
  options.onProgress?.('measuring rate, errors and latency per workload');
  const thresholds = latencyThresholds(slo);
  // The budget of every service whose objectives the file does not name is over the default period.
  const periods = [...new Set([objectivesFor(slo, '', '').periodSeconds, ...(slo?.services ?? []).map((s) => objectivesFor(slo, s.namespace, s.name).periodSeconds)])];
  const red = await collectRed(api, catalog, {
    window,
    periods,
    latencyThresholds: new Map(catalog.http.map((h) => [h.family.id, thresholds])),
    global,
    ...(options.namespaces ? { namespaces: options.namespaces } : {}),
    timelineStep: options.timelineStep ?? defaultTimelineStep(window.end - window.start),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const services = assembleServices(red.facts, slo, window.end - window.start, red.historySeconds);
  const warnings = [...new Set([...catalog.warnings, ...red.warnings])];
  const report: Report = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    window: { start: window.start, end: window.end },
    services: services.map((s) => s.report),
    findings: [],
    recommendations: [],
    notEvaluated: [],
    warnings,
  };
  return { report, catalog, services };
}
