import type { AnalysisContext, HpaFacts, PoolFacts, Timeline } from '../core/analysis/context';
import type { RuleModule, RuleResult } from '../core/analysis/rule';
import type { Evidence } from '../core/api/report';
import { cpuTarget, cpuUtilizationSeen, hpasUnknown, otherMetrics, scaleTarget, UNKNOWN_METRICS, valuesAt } from './lib/hpa';
import { degradedTimes, episodes, evidence, hpaTarget, percent, quantile, quantileOf, seconds, serviceOf, serviceTimeline, workloadOf } from './lib/signals';

/**
 * An HPA that scales on CPU while the service's latency degrades with CPU far below the target: the
 * pods are waiting (on a connection pool, a downstream call, I/O), not computing. The controller
 * wants ceil(replicas × utilisation ÷ target) pods; with utilisation well under target that is never
 * more than it has, so the HPA sits at minReplicas through every slowdown — and more pods would not
 * help a service queueing on a shared pool anyway. Where latency follows CPU (a CPU-bound service
 * whose HPA holds CPU near target), CPU is the right signal and this rule stays silent.
 */

/**
 * CPU in the degraded periods must stay below this share of the target (diagnostics §6,
 * HPA-CPU-NOT-BOTTLENECK: "below ~0.6 × target"): load would have to grow by two thirds before the
 * HPA added a single pod, far outside its 10 % tolerance, so CPU is not what is slowing requests.
 */
export const CPU_SHARE_OF_TARGET = 0.6;
/** …for at least this share of the degraded time, so latency that partly follows CPU does not count. */
export const CPU_QUANTILE = 0.75;
/** Degraded busy time needed in the window: the "over 30m" persistence of HPA-CPU-NOT-BOTTLENECK. */
export const MIN_DEGRADED_SECONDS = 30 * 60;
/** "At or near minReplicas": the HPA added at most one pod during the degraded periods. */
export const NEAR_MIN_EXTRA_REPLICAS = 1;
/** A pool whose worst pod is this busy is full (diagnostics §5a, POOL-APP-SATURATED). */
export const POOL_FULL = 0.9;
/** Throttled CFS periods above this share mean the CPU limit caps usage (the mixin's CPUThrottlingHigh). */
export const THROTTLED_SHARE = 0.25;

const POOL_TITLE: Record<PoolFacts['kind'], string> = {
  hikaricp: 'HikariCP pool',
  'go-sql': 'database/sql pool',
  pgbouncer: 'pgbouncer pool',
  postgres: 'PostgreSQL server',
};

/**
 * Steps of degraded latency while the service is busy (requests/s at or above its median over the
 * window): a slow night with a tenth of the traffic is not a capacity question no HPA metric answers.
 */
function busyDegradedTimes(p99: Timeline, rps: Timeline | null): Set<number> {
  const degraded = degradedTimes(p99);
  const values = (rps?.points ?? []).map((p) => p.value).filter((v): v is number => v !== null && Number.isFinite(v));
  if (values.length === 0) return degraded;
  const bar = quantile([...values].sort((a, b) => a - b), 0.5) ?? 0;
  const busy = new Set((rps?.points ?? []).filter((p) => p.value !== null && p.value >= bar).map((p) => p.time));
  return new Set([...degraded].filter((t) => busy.has(t)));
}

interface WaitsOn {
  words: string;
  evidence: Evidence;
  /** A connection pool (where more pods add waiters), as opposed to a CPU limit. */
  pool: boolean;
}

/** What the pods wait on during the degraded periods, if Headroom measures it: a full pool, or a CPU limit. */
function waitsOn(context: AnalysisContext, namespace: string, workload: string, times: ReadonlySet<number>): WaitsOn | null {
  const candidates: Array<{ score: number; waits: WaitsOn }> = [];
  for (const pool of context.pools) {
    if (pool.owner.namespace !== namespace || pool.owner.workload !== workload) continue;
    const waiting = Math.max(0, ...valuesAt(pool.timeline.waiting, times));
    const timeouts = Math.max(0, ...valuesAt(pool.timeline.timeouts, times));
    const busy = quantile(valuesAt(pool.timeline.utilization, times).sort((a, b) => a - b), 0.5);
    if (waiting <= 0 && timeouts <= 0 && (busy === null || busy < POOL_FULL)) continue;
    const waiters = pool.kind === 'go-sql' ? `${Number(waiting.toFixed(1))} waits/s` : `up to ${Math.round(waiting)} waiting`;
    const parts = [busy === null ? null : `median ${percent(busy)} busy`, waiting > 0 ? waiters : null, timeouts > 0 ? `${Number(timeouts.toFixed(2))} acquire timeouts/s at worst` : null].filter((x): x is string => x !== null);
    const series = pool.timeline.waiting ?? pool.timeline.utilization;
    candidates.push({
      score: 2 + waiting + timeouts,
      waits: {
        pool: true,
        words: `the pods wait on ${POOL_TITLE[pool.kind]} ${pool.name} (${parts.join(', ')})`,
        evidence: pool.timeline.waiting
          ? evidence(`${POOL_TITLE[pool.kind]} ${pool.name}: waiting for a connection (peak while degraded)`, pool.timeline.waiting.query, waiting, pool.kind === 'go-sql' ? 'waits/s' : 'count', series)
          : evidence(`${POOL_TITLE[pool.kind]} ${pool.name}: busy ÷ size (median while degraded)`, series?.query ?? pool.size.query, busy, 'ratio', series),
      },
    });
  }
  const throttled = workloadOf(context, namespace, workload)?.timeline.throttledRatio;
  const share = quantile(valuesAt(throttled, times).sort((a, b) => a - b), 0.5);
  if (throttled && share !== null && share >= THROTTLED_SHARE) {
    candidates.push({
      score: 1 + share,
      waits: {
        pool: false,
        words: `its CPU limit throttles ${percent(share)} of CFS periods (median while degraded): usage is capped, not low (see cpu-throttling)`,
        evidence: evidence('throttled CFS periods ÷ periods (median while degraded)', throttled.query, share, 'ratio', throttled),
      },
    });
  }
  return candidates.sort((a, b) => b.score - a.score)[0]?.waits ?? null;
}

function evaluateHpa(context: AnalysisContext, h: HpaFacts, out: RuleResult): void {
  const ref = hpaTarget(h);
  if (h.metrics.length === 0) {
    out.notEvaluated.push({ target: ref, missing: [UNKNOWN_METRICS] });
    return;
  }
  const target = cpuTarget(h);
  // Not a CPU HPA, or one that already scales on a signal of its own (RPS, queue depth): nothing to judge.
  if (target === null || otherMetrics(h).some((m) => m !== 'memory')) return;
  const scaled = scaleTarget(h);
  if (!scaled) {
    out.notEvaluated.push({ target: ref, missing: ['the scale target: kube_horizontalpodautoscaler_info has no scaletargetref and no HPA object was read'] });
    return;
  }
  const label = `${scaled.namespace}/${scaled.name}`;
  const service = serviceOf(context, scaled.namespace, scaled.name);
  const p99 = serviceTimeline(service, 'p99');
  if (!p99) {
    out.notEvaluated.push({ target: ref, missing: [`no p99 timeline for ${label}: ${service ? 'its HTTP metrics have no histogram buckets' : 'no HTTP server metrics map to it'}`] });
    return;
  }
  const cpu = cpuUtilizationSeen(context, h);
  if (!cpu) {
    out.notEvaluated.push({ target: ref, missing: [`no CPU utilisation timeline for ${label} (kube_horizontalpodautoscaler_status_target_metric, or cAdvisor usage with kube-state-metrics requests)`] });
    return;
  }

  const cpuTimes = new Set(cpu.timeline.points.filter((p) => p.value !== null).map((p) => p.time));
  const times = new Set([...busyDegradedTimes(p99, serviceTimeline(service, 'rps'))].filter((t) => cpuTimes.has(t)));
  const degradedSeconds = times.size * p99.step;
  if (degradedSeconds < MIN_DEGRADED_SECONDS) return;

  const cpuDuring = valuesAt(cpu.timeline, times).sort((a, b) => a - b);
  const cpuHigh = quantile(cpuDuring, CPU_QUANTILE);
  // Latency degrades when CPU is near (or past) its target: CPU is the bottleneck and the right signal.
  if (cpuHigh === null || cpuHigh >= CPU_SHARE_OF_TARGET * target) return;

  const replicas = valuesAt(h.timeline.current, times).sort((a, b) => a - b);
  const typicalReplicas = quantile(replicas, 0.5);
  // An HPA that did add pods through these periods is being driven by something besides CPU.
  if (typicalReplicas !== null && h.minReplicas !== null && typicalReplicas > h.minReplicas + NEAR_MIN_EXTRA_REPLICAS) return;

  const p99During = valuesAt(p99, times).sort((a, b) => a - b);
  const baseline = quantileOf(p99, 0.5);
  const waits = waitsOn(context, scaled.namespace, scaled.name, times);
  const count = episodes(times, p99.step).length;
  const bounds = h.minReplicas !== null && h.maxReplicas !== null ? ` (min ${h.minReplicas}, max ${h.maxReplicas})` : '';
  const replicaWords = typicalReplicas === null ? 'replica count unknown' : `at ${typicalReplicas} replica${typicalReplicas === 1 ? '' : 's'}${bounds}`;

  const summary =
    `HPA ${h.namespace}/${h.name} scales ${scaled.kind} ${scaled.name} on CPU (target ${percent(target)} of requests), but in ${seconds(degradedSeconds)} of degraded latency ` +
    `at busy hours (${count} episode${count === 1 ? '' : 's'}) CPU sat at ${percent(quantile(cpuDuring, 0.5))} (median; ${percent(cpuDuring[cpuDuring.length - 1] ?? null)} at most), ` +
    `below ${percent(CPU_SHARE_OF_TARGET * target)}, ${replicaWords}: the HPA never adds pods. ` +
    `p99 ${seconds(quantile(p99During, 0.5))} (peak ${seconds(p99During[p99During.length - 1] ?? null)}) vs ${seconds(baseline)} typical; ` +
    (waits ? `${waits.words}.` : 'nothing Headroom measures on the workload is saturated: it waits on something outside it (a downstream call, a database, I/O).');

  const ev: Evidence[] = [evidence(`CPU utilisation of requests, median while latency is degraded (from ${cpu.source})`, cpu.timeline.query, quantile(cpuDuring, 0.5), 'ratio', cpu.timeline)];
  if (h.timeline.current) ev.push(evidence(`current replicas, median while latency is degraded`, h.timeline.current.query, typicalReplicas, 'replicas', h.timeline.current));
  if (waits) ev.push(waits.evidence);

  out.findings.push({
    severity: 'warning',
    target: ref,
    summary,
    evidence: ev,
    symptomatic: true,
    remediation:
      `Scale ${scaled.name} on the signal closest to its latency instead of CPU: requests per second per pod, queue depth, or connection-pool waiters ` +
      '(a Pods or External metric through prometheus-adapter or KEDA), or keep CPU only as a second metric. ' +
      (waits?.pool ? 'Fix the pool first: more pods on a full shared pool add waiters, not throughput (check hpa-amplifies-db before raising replicas). ' : '') +
      'The hpa recommendation has a manifest.',
    recommendation: { kind: 'hpa', target: scaled },
  });
}

export const hpaCpuMisuse: RuleModule = {
  meta: {
    id: 'hpa-cpu-misuse',
    title: 'HPA scales on CPU while CPU is not the bottleneck',
    defaultSeverity: 'warning',
    category: 'autoscaling',
    // HPAs may come from the cluster or manifests alone: CPU then comes from cAdvisor and requests.
    requires: ['latency'],
    description: 'An HPA scales on CPU while the service slows down with CPU far below the target, so the HPA never adds pods: the pods wait on something else.',
    docs: 'docs/rules/hpa-cpu-misuse.md',
  },
  evaluate(context: AnalysisContext): RuleResult {
    const out: RuleResult = { findings: [], notEvaluated: [] };
    const none = hpasUnknown(context);
    if (none) out.notEvaluated.push(none);
    for (const h of context.hpas) evaluateHpa(context, h, out);
    return out;
  },
};
