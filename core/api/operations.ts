import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { analyze, type Analysis } from '../analysis/analyze';
import { collectContainers } from '../analysis/collect/containers';
import { QueryRunner } from '../analysis/collect/query-kit';
import type { SilenceMatcher } from '../analysis/engine';
import { backtest, DEFAULT_PRICES, type BacktestResult, type Prices } from '../analysis/recommend/backtest';
import { DEFAULT_RECOMMEND, linkFindings, recommend, type RecommendationSet } from '../analysis/recommend/recommend';
import { DEFAULT_RIGHTSIZING, type RightsizingOptions, type Strategy } from '../analysis/recommend/rightsizing';
import type { RuleModule } from '../analysis/rule';
import { parseSloFile, type SloFile } from '../analysis/slo';
import { createClusterReader } from '../kubernetes/cluster';
import { loadKubeconfig, selectContext } from '../kubernetes/kubeconfig';
import { readManifestFolder } from '../kubernetes/manifests';
import type { FleetSnapshot } from '../kubernetes/model';
import { detectCatalog } from '../prometheus/catalog';
import { PrometheusClient, connectionSchema } from '../prometheus/client';
import type { Matcher } from '../prometheus/promql';
import type { Report } from './report';

/**
 * The operations every front end runs — analyse, recommend, backtest — with their inputs validated
 * in one place. The CLI, Electron's IPC handlers and web mode all call these; none of them builds a
 * client, reads a manifest folder or runs the rules on its own.
 */
const matcherSchema = z.object({ label: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), op: z.enum(['=', '!=', '=~', '!~']), value: z.string() });

export const sourceSchema = z.object({
  prometheus: connectionSchema,
  /** Matchers added to every selector, e.g. `cluster="prod-eu"` on a Thanos or Mimir holding many clusters. */
  matchers: z.array(matcherSchema).default([]),
  kubernetes: z
    .union([
      z.object({ manifests: z.string().min(1) }),
      z.object({ kubeconfig: z.string().min(1).optional(), context: z.string().min(1).optional() }),
    ])
    .nullable()
    .default(null),
});

export const windowSchema = z.object({
  /** Unix seconds. */
  end: z.number().int().positive(),
  /** Seconds. */
  duration: z.number().int().min(600).max(400 * 86400),
});

export const analysisRequestSchema = z.object({
  source: sourceSchema,
  window: windowSchema,
  namespaces: z.array(z.string().min(1)).default([]),
  slo: z.union([z.object({ path: z.string().min(1) }), z.object({ text: z.string() })]).nullable().default(null),
  rightsizing: z
    .object({
      strategy: z.enum(['headroom', 'krr-simple', 'vpa-like']).optional(),
      cpuPercentile: z.number().gt(0).max(1).optional(),
      cpuMargin: z.number().min(0).max(5).optional(),
      memoryHeadroom: z.number().min(0).max(5).optional(),
      cpuLimitPolicy: z.enum(['none', 'ratio', 'from-throttling']).optional(),
      cpuLimitRatio: z.number().min(1).max(20).optional(),
    })
    .default({}),
  /** The kubelet's scrape interval, seconds. */
  scrapeInterval: z.number().int().min(5).max(600).default(60),
  /**
   * Propose KEDA ScaledObjects instead of prometheus-adapter-fed HPAs for scaling on requests per second or
   * lag; `serverAddress` is Prometheus as the KEDA operator reaches it (an in-cluster URL, usually).
   */
  keda: z.object({ serverAddress: z.url({ protocol: /^https?$/ }) }).nullable().default(null),
  /**
   * How long one HTTP request may take, in milliseconds, when the caller means exactly that (the CLI's
   * `--timeout`). Unset: the connection's timeout, but at least two minutes, since analyses are batch work.
   */
  queryTimeoutMs: z.number().int().min(100).max(600_000).optional(),
});

export type AnalysisRequest = z.input<typeof analysisRequestSchema>;
type ParsedRequest = z.infer<typeof analysisRequestSchema>;

export interface OperationDeps {
  rules: readonly RuleModule[];
  /** Silences in force at the window's end (from the store), if any. */
  silences?: (at: number) => SilenceMatcher;
  onProgress?: (step: string) => void;
  signal?: AbortSignal;
}

export interface AnalysisOutcome {
  report: Report;
  analysis: Analysis;
  recommendations: RecommendationSet;
  fleet: FleetSnapshot | null;
  /** HTTP requests made to the store. */
  requests: number;
}

/** A request's input was wrong (a file, a flag, an SLO): the message says what to change. */
export class RequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RequestError';
  }
}

export function parseRequest<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new RequestError(`${issue?.path.join('.') || 'request'}: ${issue?.message ?? 'invalid'}`);
}

async function loadSlo(slo: ParsedRequest['slo']): Promise<SloFile | null> {
  if (!slo) return null;
  if ('text' in slo) return parseSloFile(slo.text);
  let text: string;
  try {
    text = await readFile(slo.path, 'utf8');
  } catch (error) {
    throw new RequestError(`cannot read the SLO file ${slo.path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseSloFile(text, slo.path);
}

async function loadFleet(kubernetes: ParsedRequest['source']['kubernetes'], namespaces: readonly string[], progress: (s: string) => void): Promise<FleetSnapshot | null> {
  if (!kubernetes) return null;
  if ('manifests' in kubernetes) {
    progress(`reading manifests in ${kubernetes.manifests}`);
    return readManifestFolder(kubernetes.manifests);
  }
  const loaded = loadKubeconfig(kubernetes.kubeconfig ? { file: kubernetes.kubeconfig } : {});
  const selected = selectContext(loaded, kubernetes.context);
  progress(`reading workloads from context ${selected.name}`);
  const snapshot = await createClusterReader(selected).readSnapshot(namespaces.length === 1 ? { namespace: namespaces[0] as string } : {});
  return snapshot;
}

function clientFor(request: ParsedRequest): PrometheusClient {
  // Analyses are batch work: a query over a week of a large fleet may take minutes on a busy store.
  const timeoutMs = request.queryTimeoutMs ?? Math.max(request.source.prometheus.timeoutMs, 120_000);
  return new PrometheusClient({ ...request.source.prometheus, timeoutMs });
}

function rightsizingOf(request: ParsedRequest): RightsizingOptions {
  return { ...DEFAULT_RIGHTSIZING, ...request.rightsizing };
}

export async function runAnalysis(input: AnalysisRequest, deps: OperationDeps): Promise<AnalysisOutcome> {
  const request = parseRequest(analysisRequestSchema, input);
  const progress = deps.onProgress ?? ((): void => undefined);
  const slo = await loadSlo(request.slo);
  const fleet = await loadFleet(request.source.kubernetes, request.namespaces, progress);
  const client = clientFor(request);
  const window = { start: request.window.end - request.window.duration, end: request.window.end };
  const analysis = await analyze(client, {
    window,
    slo,
    global: request.source.matchers as Matcher[],
    namespaces: request.namespaces,
    fleet,
    rules: deps.rules,
    ...(deps.silences ? { silences: deps.silences(window.end) } : {}),
    scrapeInterval: request.scrapeInterval,
    ...(deps.signal ? { signal: deps.signal } : {}),
    onProgress: progress,
  });
  progress('proposing requests, autoscalers and disruption budgets');
  const recommendations = recommend(analysis.context, { ...DEFAULT_RECOMMEND, rightsizing: rightsizingOf(request), scrapeInterval: request.scrapeInterval, keda: request.keda });
  // The fleet is read whole (a folder has every namespace), so rules and proposals over Kubernetes objects
  // (a missing PDB) can reach outside the namespaces asked for: the report keeps to them. Recommendations are
  // scoped before the findings are linked to them, so that the links index the list the report holds.
  const inScope = (namespace: string): boolean => request.namespaces.length === 0 || request.namespaces.includes(namespace);
  const report: Report = { ...analysis.report, recommendations: recommendations.recommendations.filter((r) => inScope(r.target.namespace)) };
  linkFindings(report.findings, analysis.links, report.recommendations);
  report.findings = report.findings.filter((f) => inScope(f.target.namespace));
  if (report.notEvaluated) report.notEvaluated = report.notEvaluated.filter((n) => n.target === null || inScope(n.target.namespace));
  if (fleet) report.warnings = [...(report.warnings ?? []), ...fleet.warnings];
  return { report, analysis, recommendations, fleet, requests: client.stats.requests };
}

export const backtestRequestSchema = analysisRequestSchema.extend({
  /** Seconds of history each strategy is fitted on, then the seconds it is replayed on (ending at window.end). */
  fit: z.number().int().min(3600),
  test: z.number().int().min(3600),
  strategies: z.array(z.enum(['headroom', 'krr-simple', 'vpa-like'])).min(1).default(['headroom', 'krr-simple', 'vpa-like']),
  prices: z.object({ cpu: z.number().min(0), memory: z.number().min(0), currency: z.string().min(1) }).default(DEFAULT_PRICES),
  window: windowSchema.partial({ duration: true }),
});

export type BacktestRequest = z.input<typeof backtestRequestSchema>;

export async function runBacktest(input: BacktestRequest, deps: Pick<OperationDeps, 'onProgress' | 'signal'>): Promise<BacktestResult & { requests: number }> {
  const request = parseRequest(backtestRequestSchema, input);
  const progress = deps.onProgress ?? ((): void => undefined);
  const end = request.window.end;
  const test = { start: end - request.test, end };
  const fit = { start: test.start - request.fit, end: test.start };
  const client = clientFor({ ...request, window: { end, duration: request.fit + request.test } });
  const global = request.source.matchers as Matcher[];
  progress('checking which metrics the store holds');
  const catalog = await detectCatalog(client, { start: fit.start, end }, global, deps.signal);
  if (!catalog.features.some((f) => f.feature === 'container-cpu' && f.available)) {
    throw new RequestError(catalog.features.find((f) => f.feature === 'container-cpu')?.missing ?? 'no container CPU metrics');
  }
  const collect = async (span: { start: number; end: number }, what: string): Promise<Awaited<ReturnType<typeof collectContainers>>> => {
    progress(`measuring usage over the ${what} span`);
    return collectContainers(new QueryRunner(client, span, deps.signal), { join: { mapping: catalog.workloadMapping, global }, global, window: span, timelineStep: Math.max(300, Math.ceil((span.end - span.start) / 1008 / 60) * 60), scrapeInterval: request.scrapeInterval });
  };
  const fitted = await collect(fit, 'fit');
  const replayed = await collect(test, 'test');
  const inNamespaces = (ns: string): boolean => request.namespaces.length === 0 || request.namespaces.includes(ns);
  const result = backtest(
    fitted.filter((w) => inNamespaces(w.key.namespace)),
    replayed.filter((w) => inNamespaces(w.key.namespace)),
    { fit, test },
    request.strategies as Strategy[],
    { rightsizing: request.rightsizing, prices: request.prices as Prices, scrapeInterval: request.scrapeInterval },
  );
  return { ...result, requests: client.stats.requests };
}
