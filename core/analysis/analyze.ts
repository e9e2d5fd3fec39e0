import { burnWindowIds, REPORT_SCHEMA_VERSION, type BurnWindowId, type Report } from '../api/report';
import type { FleetSnapshot } from '../kubernetes/model';
import { detectCatalog, type MetricCatalog } from '../prometheus/catalog';
import type { Matcher } from '../prometheus/promql';
import type { QueryApi } from '../prometheus/query-api';
import { collectContainers } from './collect/containers';
import { collectDataTier } from './collect/data-tier';
import { collectHpas } from './collect/hpas';
import { collectPools } from './collect/pools';
import { QueryRunner } from './collect/query-kit';
import type { AnalysisContext, HpaFacts, WorkloadFacts } from './context';
import { runRules, type EngineResult, type SilenceMatcher } from './engine';
import { collectRed, errorRatioQuery } from './red';
import type { RuleModule } from './rule';
import { assembleServices, type ServiceAnalysis } from './services';
import { BURN_WINDOW_SECONDS, objectivesFor, type SloFile } from './slo';

/**
 * One analysis of one window: preflight the store, measure RED and SLOs per workload, collect the
 * aggregates rules read, run the rules. Every step asks the store a fixed number of aggregated
 * questions, so the cost in requests does not grow with the fleet (a lab test holds this to account).
 * The rules are handed in by the caller (the CLI, Electron, web mode), so `core` never imports `rules/`.
 */
export interface AnalyzeOptions {
  window: { start: number; end: number };
  slo?: SloFile | null;
  /** Matchers added to every selector, e.g. `cluster="prod-eu"` on a multi-cluster Thanos or Mimir. */
  global?: readonly Matcher[];
  namespaces?: readonly string[];
  /** Kubernetes objects from a cluster or a manifest folder. */
  fleet?: FleetSnapshot | null;
  rules?: readonly RuleModule[];
  silences?: SilenceMatcher;
  /** Resolution of timelines; defaults to about a thousand points over the window. */
  timelineStep?: number;
  /** The kubelet's scrape interval, seconds (default 60): CPU percentiles use rates over three scrapes. */
  scrapeInterval?: number;
  signal?: AbortSignal;
  onProgress?: (step: string) => void;
}

export interface Analysis {
  report: Report;
  catalog: MetricCatalog;
  services: ServiceAnalysis[];
  context: AnalysisContext;
  /** The recommendation each finding points to, by index into `report.findings`. */
  links: EngineResult['links'];
}

export function defaultTimelineStep(windowSeconds: number): number {
  return Math.max(300, Math.ceil(windowSeconds / 1008 / 60) * 60);
}

/** Every latency threshold an SLO file mentions: each family is asked for all of them at once. */
function latencyThresholds(slo: SloFile | null): number[] {
  if (!slo) return [];
  const all = [slo.defaults?.latency?.threshold, ...slo.services.map((s) => s.latency?.threshold)];
  return [...new Set(all.filter((t): t is number => t !== undefined))];
}

/** Links metrics-side facts to the Kubernetes objects, and adds HPAs only the objects know about. */
/** What an HPA object scales on, in the facts' units (utilisation as a ratio). */
function metricsOf(spec: FleetSnapshot['hpas'][number]): HpaFacts['metrics'] {
  return spec.metrics.map((m) => ({
    name: m.type === 'Resource' || m.type === 'ContainerResource' ? m.resource : m.metricName,
    targetType: m.target.type === 'Utilization' ? 'utilization' : m.target.type === 'AverageValue' ? 'average' : 'value',
    target: m.target.type === 'Utilization' ? m.target.averageUtilization : m.target.type === 'AverageValue' ? m.target.averageValue : m.target.value,
  }));
}

/** Links metrics-side facts to the Kubernetes objects, and adds HPAs only the objects know about. */
function attachFleet(workloads: WorkloadFacts[], hpas: HpaFacts[], fleet: FleetSnapshot | null): HpaFacts[] {
  if (!fleet) return hpas;
  for (const w of workloads) {
    w.spec = fleet.workloads.find((s) => s.namespace === w.key.namespace && s.name === w.key.workload && s.kind === w.key.workloadType) ?? null;
    // Without kube-state-metrics the requests and limits come from the objects.
    for (const c of w.containers) {
      const spec = w.spec?.containers.find((x) => x.name === c.name);
      if (!spec) continue;
      c.requests = { cpu: c.requests.cpu ?? spec.requests.cpu, memory: c.requests.memory ?? spec.requests.memory };
      c.limits = { cpu: c.limits.cpu ?? spec.limits.cpu, memory: c.limits.memory ?? spec.limits.memory };
    }
  }
  const out = [...hpas];
  for (const spec of fleet.hpas) {
    const existing = out.find((h) => h.namespace === spec.namespace && h.name === spec.name);
    if (existing) {
      existing.spec = spec;
      existing.target ??= { kind: spec.target.kind, name: spec.target.name };
      existing.minReplicas ??= spec.minReplicas;
      existing.maxReplicas ??= spec.maxReplicas;
      // Older kube-state-metrics have no spec_target_metric: the object says what it scales on.
      if (existing.metrics.length === 0) existing.metrics = metricsOf(spec);
      continue;
    }
    out.push({
      namespace: spec.namespace,
      name: spec.name,
      target: { kind: spec.target.kind, name: spec.target.name },
      minReplicas: spec.minReplicas,
      maxReplicas: spec.maxReplicas,
      metrics: metricsOf(spec),
      timeline: { current: null, desired: null, cpuUtilization: null },
      metricTimelines: [],
      hourly: { changes: null, amplitude: null },
      spec,
    });
  }
  return out;
}

export async function analyze(api: QueryApi, options: AnalyzeOptions): Promise<Analysis> {
  const { window } = options;
  if (!(window.end > window.start)) throw new RangeError(`the analysis window must end after it starts (got ${window.start}…${window.end})`);
  const global = options.global ?? [];
  const slo = options.slo ?? null;
  const fleet = options.fleet ?? null;
  const timelineStep = options.timelineStep ?? defaultTimelineStep(window.end - window.start);
  const progress = options.onProgress ?? ((): void => undefined);

  progress('checking which metrics the store holds');
  const catalog = await detectCatalog(api, window, global, options.signal);
  const join = { mapping: catalog.workloadMapping, global };
  const runner = new QueryRunner(api, window, options.signal);
  const has = (feature: string): boolean => catalog.features.some((f) => f.feature === feature && f.available);

  progress('measuring rate, errors and latency per workload');
  const thresholds = latencyThresholds(slo);
  // The budget of every service the file does not name is over the default period.
  const periods = [...new Set([objectivesFor(slo, '', '').periodSeconds, ...(slo?.services ?? []).map((s) => objectivesFor(slo, s.namespace, s.name).periodSeconds)])];
  const red = await collectRed(api, catalog, {
    window,
    periods,
    latencyThresholds: new Map(catalog.http.map((h) => [h.family.id, thresholds])),
    global,
    ...(options.namespaces ? { namespaces: options.namespaces } : {}),
    timelineStep,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const services = assembleServices(red.facts, slo, window.end - window.start, red.historySeconds);
  for (const s of services) {
    const burning = s.report.slo.alert !== 'none' || (s.report.slo.errorBudgetRemaining ?? 1) < 0;
    if (!burning) continue;
    const scope = { global, ...(options.namespaces ? { namespaces: options.namespaces } : {}) };
    const windows: Array<[BurnWindowId | 'period', number]> = [...burnWindowIds.map((id): [BurnWindowId, number] => [id, BURN_WINDOW_SECONDS[id]]), ['period', s.report.slo.period ?? objectivesFor(slo, '', '').periodSeconds]];
    for (const [id, seconds] of windows) {
      const query = errorRatioQuery(catalog, s.facts.family, scope, s.facts.key, seconds);
      if (query) s.burnQueries[id] = query;
    }
  }

  progress('measuring CPU, memory, throttling and restarts per container');
  const workloads = has('container-cpu') || has('container-memory')
    ? await collectContainers(runner, { join, global, window, timelineStep, scrapeInterval: options.scrapeInterval ?? 60, startTimes: catalog.present.includes('container_start_time_seconds') })
    : [];
  progress('reading autoscalers, pools, shards and caches');
  const hpas = has('hpa') ? await collectHpas(runner, { global, window, timelineStep }) : [];
  const pools = has('connection-pools') ? await collectPools(runner, { join, global, window, timelineStep, catalog }) : [];
  const data = await collectDataTier(runner, { join, global, window, timelineStep, scrapeInterval: options.scrapeInterval ?? 60, catalog });

  const inNamespaces = (ns: string): boolean => !options.namespaces || options.namespaces.length === 0 || options.namespaces.includes(ns);
  const context: AnalysisContext = {
    window,
    catalog,
    missing: new Set(catalog.features.filter((f) => !f.available).map((f) => f.feature)),
    services: services.filter((s) => inNamespaces(s.report.namespace)),
    workloads: workloads.filter((w) => inNamespaces(w.key.namespace)),
    hpas: attachFleet(workloads, hpas, fleet).filter((h) => inNamespaces(h.namespace)),
    // What the workloads depend on stays whole: the database behind a pool, the Kafka exporter's consumer
    // groups and the caches usually live in namespaces of their own, and the rules and proposals for the
    // namespaces asked about need them (the database's connection limit caps an HPA). The report keeps to
    // the namespaces asked for.
    pools,
    shardGroups: data.shardGroups,
    consumerGroups: data.consumerGroups,
    caches: data.caches,
    databases: data.databases,
    fleet,
  };

  progress('running the rules');
  const engine = runRules(context, options.rules ?? [], options.silences);
  const warnings = [...new Set([...catalog.warnings, ...red.warnings, ...runner.warnings])];
  // Findings outside the namespaces asked for are dropped; links are by position, so they follow.
  const inScope = engine.findings.map((finding, index) => [finding, index] as const).filter(([finding]) => inNamespaces(finding.target.namespace));
  const links = new Map(inScope.flatMap(([, index], position) => {
    const link = engine.links.get(index);
    return link ? [[position, link] as const] : [];
  }));
  const report: Report = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    window: { start: window.start, end: window.end },
    services: context.services.map((s) => s.report),
    findings: inScope.map(([finding]) => finding),
    recommendations: [],
    notEvaluated: engine.notEvaluated.filter((n) => n.target === null || inNamespaces(n.target.namespace)),
    warnings,
  };
  return { report, catalog, services: [...context.services], context, links };
}
