import type { AnalysisContext, ContainerFacts, Timeline, WorkloadFacts } from '../core/analysis/context';
import type { RuleFinding, RuleModule, RuleNotEvaluated, RuleResult } from '../core/analysis/rule';
import { aligned, cores, evidence, minutesAtOrAbove, percent, quantile, quantileOf, seconds, serviceOf, span, workloadTarget } from './lib/signals';

/**
 * CFS throttling that costs latency. A container with a CPU limit gets `limit × 100 ms` of CPU per
 * 100 ms period; once its threads spend that, they wait for the next period, however idle the node.
 * kubernetes-mixin's CPUThrottlingHigh (25 % of periods over 5 minutes) flags this on nearly every
 * pod (mixin #108, prometheus-operator #2063), so here the throttling must be sustained over the
 * workload's busy hours, and only a p99 that is worse while throttled makes it a symptom.
 */

/** Share of CFS periods throttled that counts as throttled: CPUThrottlingHigh's long-standing 25 %. */
export const THROTTLED_SHARE = 0.25;
/** Busy hours: the busiest tenth of the window, about 2.4 h a day — a daily peak, not one burst. */
export const BUSY_FRACTION = 0.1;
/** Least time throttled, and least time on each side of the p99 comparison: the mixin's `for: 15m`. */
export const MIN_MINUTES = 15;
/** p99 while throttled must be this much worse than otherwise… */
export const P99_FACTOR = 1.5;
/** …and at least this slow, so a fast service's jitter does not count (as `degradedTimes` does). */
export const P99_FLOOR_SECONDS = 0.05;

interface LimitedContainer {
  facts: ContainerFacts;
  limit: number;
}

/** The CPU limit in force: kube-state-metrics first, else the cluster's or the manifests' pod template. */
function cpuLimit(w: WorkloadFacts, c: ContainerFacts): number | null {
  return c.limits.cpu ?? w.spec?.containers.find((s) => s.name === c.name)?.limits.cpu ?? null;
}

/**
 * The mean throttled share over the busy steps. Busy is judged by CPU used ÷ requested (the
 * demand the limit meets); without that timeline, by the throttled share itself.
 */
function busyThrottledShare(throttled: Timeline, utilization: Timeline | null): { share: number; steps: number } | null {
  const pairs = aligned(throttled, utilization);
  const byDemand = pairs.length > 0;
  const rows = byDemand ? pairs.map((p) => ({ throttled: p.a, demand: p.b })) : throttled.points.flatMap((p) => (p.value === null ? [] : [{ throttled: p.value, demand: p.value }]));
  if (rows.length === 0) return null;
  const bar = quantile(rows.map((r) => r.demand).sort((a, b) => a - b), 1 - BUSY_FRACTION);
  if (bar === null) return null;
  const busy = rows.filter((r) => r.demand >= bar);
  return { share: busy.reduce((s, r) => s + r.throttled, 0) / busy.length, steps: busy.length };
}

interface LatencyImpact {
  throttledP99: number;
  otherP99: number;
  symptomatic: boolean;
}

/** Median p99 in throttled steps against the median p99 in the other steps. */
function latencyImpact(throttled: Timeline, p99: Timeline): LatencyImpact | null {
  const pairs = aligned(throttled, p99);
  const hot = pairs.filter((p) => p.a >= THROTTLED_SHARE).map((p) => p.b).sort((a, b) => a - b);
  const cool = pairs.filter((p) => p.a < THROTTLED_SHARE).map((p) => p.b).sort((a, b) => a - b);
  const enough = (n: number): boolean => (n * throttled.step) / 60 >= MIN_MINUTES;
  if (!enough(hot.length) || !enough(cool.length)) return null;
  const throttledP99 = quantile(hot, 0.5) as number;
  const otherP99 = quantile(cool, 0.5) as number;
  return { throttledP99, otherP99, symptomatic: throttledP99 >= otherP99 * P99_FACTOR && throttledP99 >= P99_FLOOR_SECONDS };
}

function evaluateWorkload(context: AnalysisContext, w: WorkloadFacts, out: RuleResult): void {
  const target = workloadTarget(w);
  const label = `${w.key.namespace}/${w.key.workload}`;
  const limited: LimitedContainer[] = w.containers.flatMap((c) => {
    const limit = cpuLimit(w, c);
    return limit === null ? [] : [{ facts: c, limit }];
  });
  // Without a CPU limit there is no CFS quota, so nothing to throttle.
  if (limited.length === 0) return;
  const timeline = w.timeline.throttledRatio;
  if (!timeline || quantileOf(timeline, 0.5) === null) {
    out.notEvaluated.push({ target, missing: [`no throttling timeline for ${label}: container_cpu_cfs_{,throttled_}periods_total have no samples for its containers with a CPU limit`] });
    return;
  }
  const busy = busyThrottledShare(timeline, w.timeline.cpuUtilization);
  const minutesThrottled = minutesAtOrAbove(timeline, THROTTLED_SHARE);
  if (!busy || busy.share < THROTTLED_SHARE || minutesThrottled < MIN_MINUTES) return;

  const worst = [...limited].sort((a, b) => (b.facts.throttledRatio ?? -1) - (a.facts.throttledRatio ?? -1))[0] as LimitedContainer;
  const c = worst.facts;
  const p95 = c.cpu.p95;
  const service = serviceOf(context, w.key.namespace, w.key.workload);
  // The RED timeline keeps its points but not its PromQL, so p99 is compared here and quoted in the
  // summary, never cited as evidence without a query.
  const p99: Timeline | null = service && service.facts.timeline.p99.length > 0 ? { points: service.facts.timeline.p99, step: service.facts.timeline.step, query: '' } : null;
  const impact = p99 ? latencyImpact(timeline, p99) : null;
  if (!p99) out.notEvaluated.push({ target, missing: [`whether throttling hurts latency on ${label}: no p99 timeline (${service ? 'its HTTP metrics have no histogram buckets' : 'no HTTP server metrics map to it'})`] });
  else if (!impact) out.notEvaluated.push({ target, missing: [`whether throttling hurts latency on ${label}: fewer than ${MIN_MINUTES} minutes of p99 on one side (throttled or not)`] });

  const usage = p95 === null ? 'usage p95 unknown' : `usage p95 ${cores(p95)} (${percent(p95 / worst.limit)} of the limit${p95 >= worst.limit * 0.9 ? '; usage cannot pass the limit, so demand is higher' : ''})`;
  const latency = impact
    ? `; p99 ${seconds(impact.throttledP99)} while throttled vs ${seconds(impact.otherP99)} otherwise`
    : '; latency impact not judged';
  const summary =
    `Container ${c.name} of ${label}: CPU limit ${cores(worst.limit)}, ${usage}; ` +
    `${percent(busy.share)} of CFS periods throttled in its busiest hours, ${percent(c.throttledRatio)} over the window, ` +
    `≥ ${percent(THROTTLED_SHARE)} for ${span(minutesThrottled * 60)} in all${latency}.`;

  const request = c.requests.cpu;
  const raiseRequest = request !== null && p95 !== null && p95 > request
    ? ` Raise the CPU request from ${cores(request)} to at least the demand (p95 ${cores(p95)}, a floor: throttling hides the rest) so the scheduler reserves it.`
    : '';
  const finding: RuleFinding = {
    severity: 'warning',
    target,
    summary,
    symptomatic: impact?.symptomatic ?? false,
    evidence: [
      evidence(`share of CFS periods throttled (${c.name}, window)`, c.queries.throttling, c.throttledRatio, 'ratio', timeline),
      evidence(`CPU limit (${c.name})`, c.queries.cpu, worst.limit, 'cores'),
      evidence(`CPU usage p95 (${c.name})`, c.queries.cpu, p95, 'cores', w.timeline.cpuUtilization),
    ],
    remediation:
      `Remove the CPU limit of ${c.name} (Headroom's default policy: CPU requests, no CPU limits — a limit throttles even on an idle node), ` +
      `or raise it well above the p99 demand if a policy requires one.${raiseRequest} ` +
      'Then measure again: throttled containers look smaller than they are. The resources recommendation for this container has the numbers.',
    recommendation: { kind: 'resources', target, container: c.name },
  };
  out.findings.push(finding);
}

export const cpuThrottling: RuleModule = {
  meta: {
    id: 'cpu-throttling',
    title: 'CPU throttled by its limit',
    defaultSeverity: 'warning',
    category: 'resources',
    requires: ['cpu-throttling'],
    weakSignal: true,
    description: 'A container with a CPU limit is throttled in most CFS periods of its busy hours, and its p99 is worse while throttled.',
    docs: 'docs/rules/cpu-throttling.md',
  },
  evaluate(context: AnalysisContext): RuleResult {
    const out: { findings: RuleFinding[]; notEvaluated: RuleNotEvaluated[] } = { findings: [], notEvaluated: [] };
    for (const w of context.workloads) evaluateWorkload(context, w, out);
    return out;
  },
};
