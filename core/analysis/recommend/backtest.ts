import type { ContainerFacts, WorkloadFacts } from '../context';
import { DEFAULT_RIGHTSIZING, rightsize, type RightsizingOptions, type Strategy } from './rightsizing';

/**
 * Backtest: fit each strategy on one span of history, replay its proposals on the next span, and
 * count what would have gone wrong and what would have been saved. The replay reads the test span's
 * pooled usage distribution (percentile knots per container), so it costs the same few queries as an
 * analysis, whatever the fleet size.
 *  - memory: minutes the working set would have spent above the proposed limit (an OOM kill each time
 *    it crossed; must be zero for a safe strategy);
 *  - CPU: minutes above the proposed request (pressure on a busy node) and above the proposed limit
 *    (throttling);
 *  - savings: requested cores and GiB released, at the replicas the workload actually ran, and money.
 */
export interface Prices {
  /** Per core-hour. */
  cpu: number;
  /** Per GiB-hour. */
  memory: number;
  currency: string;
}

/** OpenCost's built-in defaults (GCP us-central1 N2 on-demand rates): illustrative, override with your own. */
export const DEFAULT_PRICES: Prices = { cpu: 0.031611, memory: 0.004237, currency: 'USD' };
const HOURS_PER_MONTH = 730;
const GIB = 1024 ** 3;

export interface ContainerBacktest {
  namespace: string;
  workload: string;
  kind: string;
  container: string;
  /** Average pods of the workload in the test span. */
  replicas: number;
  current: { cpu: number | null; memory: number | null };
  proposed: { cpu: number | null; cpuLimit: number | null; memory: number | null; memoryLimit: number | null };
  memoryMinutesAboveLimit: number;
  /** True when the test span's memory peak crossed the proposed limit (an OOM kill would have happened). */
  memoryPeakAboveLimit: boolean;
  cpuMinutesAboveRequest: number;
  cpuMinutesAboveLimit: number;
  coresSaved: number;
  gibSaved: number;
}

export interface StrategyBacktest {
  strategy: Strategy;
  containers: ContainerBacktest[];
  totals: {
    memoryMinutesAboveLimit: number;
    containersOverMemoryLimit: number;
    cpuMinutesAboveRequest: number;
    cpuMinutesAboveLimit: number;
    coresSaved: number;
    gibSaved: number;
    /** Per month at `prices`. */
    moneySaved: number;
  };
}

export interface BacktestResult {
  fit: { start: number; end: number };
  test: { start: number; end: number };
  prices: Prices;
  strategies: StrategyBacktest[];
  /** Containers present in the fit span but not the test span (or the reverse): not replayed. */
  unmatched: string[];
}

/**
 * Share of samples above `x`, from a distribution known by its percentiles (linear between knots,
 * from 0 at p0). Exact at the knots, conservative between them.
 */
export function shareAbove(knots: ReadonlyArray<readonly [number, number | null]>, x: number): number {
  const points = [[0, 0] as const, ...knots.filter((k): k is readonly [number, number] => k[1] !== null)].sort((a, b) => a[0] - b[0]);
  if (points.length < 2) return 0;
  const last = points[points.length - 1] as readonly [number, number];
  if (x >= last[1]) return 0;
  for (let i = 1; i < points.length; i++) {
    const [p0, v0] = points[i - 1] as readonly [number, number];
    const [p1, v1] = points[i] as readonly [number, number];
    if (x < v1) {
      const below = v1 > v0 ? p0 + ((p1 - p0) * (x - v0)) / (v1 - v0) : p0;
      return Math.max(0, Math.min(1, 1 - Math.max(p0, below)));
    }
  }
  return 0;
}

function averageReplicas(w: WorkloadFacts): number {
  const values = (w.timeline.replicas?.points ?? []).map((p) => p.value).filter((v): v is number => v !== null);
  return values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : Math.max(1, w.podsSeen);
}

function replay(fit: ContainerFacts, test: ContainerFacts, w: WorkloadFacts, options: RightsizingOptions, scrapeInterval: number): ContainerBacktest {
  const proposal = rightsize(fit, options, scrapeInterval);
  const minutesPerSample = scrapeInterval / 60;
  const cpuKnots = [[0.5, test.cpu.p50], [0.9, test.cpu.p90], [0.95, test.cpu.p95], [0.99, test.cpu.p99], [1, test.cpu.max]] as const;
  const memoryKnots = [[0.5, test.memory.p50], [0.9, test.memory.p90], [0.99, test.memory.p99], [1, test.memoryMax]] as const;
  const cpuMinutes = (x: number | null): number => (x === null ? 0 : shareAbove(cpuKnots, x) * test.cpu.samples * minutesPerSample);
  const memoryLimit = proposal.proposed.memory.limit;
  const memorySamples = test.cpu.samples;
  const replicas = averageReplicas(w);
  const saved = (current: number | null, proposed: number | null): number => (current !== null && proposed !== null ? (current - proposed) * replicas : 0);
  return {
    namespace: w.key.namespace,
    workload: w.key.workload,
    kind: w.key.workloadType,
    container: fit.name,
    replicas,
    current: { cpu: test.requests.cpu, memory: test.requests.memory },
    proposed: { cpu: proposal.proposed.cpu.request, cpuLimit: proposal.proposed.cpu.limit, memory: proposal.proposed.memory.request, memoryLimit },
    memoryMinutesAboveLimit: memoryLimit === null ? 0 : shareAbove(memoryKnots, memoryLimit) * memorySamples * minutesPerSample,
    memoryPeakAboveLimit: memoryLimit !== null && test.memoryMax !== null && test.memoryMax > memoryLimit,
    cpuMinutesAboveRequest: cpuMinutes(proposal.proposed.cpu.request),
    cpuMinutesAboveLimit: cpuMinutes(proposal.proposed.cpu.limit),
    coresSaved: saved(test.requests.cpu, proposal.proposed.cpu.request),
    gibSaved: saved(test.requests.memory, proposal.proposed.memory.request) / GIB,
  };
}

export function backtest(
  fit: readonly WorkloadFacts[],
  test: readonly WorkloadFacts[],
  spans: { fit: { start: number; end: number }; test: { start: number; end: number } },
  strategies: readonly Strategy[] = ['headroom', 'krr-simple', 'vpa-like'],
  options: { rightsizing?: Partial<RightsizingOptions>; prices?: Prices; scrapeInterval?: number } = {},
): BacktestResult {
  const prices = options.prices ?? DEFAULT_PRICES;
  const scrapeInterval = options.scrapeInterval ?? 60;
  const pairs: Array<{ fit: ContainerFacts; test: ContainerFacts; workload: WorkloadFacts }> = [];
  const unmatched: string[] = [];
  const keyOf = (w: WorkloadFacts, c: ContainerFacts): string => `${w.key.namespace}/${w.key.workloadType}/${w.key.workload}/${c.name}`;
  const testByKey = new Map(test.flatMap((w) => w.containers.map((c) => [keyOf(w, c), { w, c }] as const)));
  for (const w of fit) {
    for (const c of w.containers) {
      const t = testByKey.get(keyOf(w, c));
      if (!t) unmatched.push(keyOf(w, c));
      else pairs.push({ fit: c, test: t.c, workload: t.w });
      testByKey.delete(keyOf(w, c));
    }
  }
  unmatched.push(...testByKey.keys());
  const results: StrategyBacktest[] = strategies.map((strategy) => {
    const rightsizing: RightsizingOptions = { ...DEFAULT_RIGHTSIZING, ...options.rightsizing, strategy };
    const containers = pairs.map((p) => replay(p.fit, p.test, p.workload, rightsizing, scrapeInterval));
    const sum = (f: (c: ContainerBacktest) => number): number => containers.reduce((s, c) => s + f(c), 0);
    const coresSaved = sum((c) => c.coresSaved);
    const gibSaved = sum((c) => c.gibSaved);
    return {
      strategy,
      containers,
      totals: {
        memoryMinutesAboveLimit: sum((c) => c.memoryMinutesAboveLimit),
        containersOverMemoryLimit: containers.filter((c) => c.memoryPeakAboveLimit).length,
        cpuMinutesAboveRequest: sum((c) => c.cpuMinutesAboveRequest),
        cpuMinutesAboveLimit: sum((c) => c.cpuMinutesAboveLimit),
        coresSaved,
        gibSaved,
        moneySaved: (coresSaved * prices.cpu + gibSaved * prices.memory) * HOURS_PER_MONTH,
      },
    };
  });
  return { fit: spans.fit, test: spans.test, prices, strategies: results, unmatched };
}
