import type { AnalysisContext, HpaFacts, Timeline } from '../core/analysis/context';
import type { RuleModule, RuleResult } from '../core/analysis/rule';
import type { Evidence, Severity } from '../core/api/report';
import { cpuTarget, cpuUtilizationSeen, HPA_TOLERANCE, scaleTarget, UNKNOWN_METRICS, valuesAt } from './lib/hpa';
import { degradedTimes, episodes, evidence, hpaTarget, percent, quantile, seconds, serviceOf, serviceTimeline } from './lib/signals';

/**
 * An HPA held at maxReplicas while its metric says it needs more: the ceiling, not the autoscaler,
 * decides capacity, and load past it queues in the pods. Prior art (kube-prometheus
 * KubeHpaMaxedOut: current == max for 15 min, min != max) fires on healthy autoscalers too — pinned
 * ones (min == max, kubernetes-mixin #1193), ones content at max with their metric below target
 * (ScalingLimited=False: helm-charts #7278, kube-prometheus #2869, mixin PR #1296), max = 1
 * (kyma #15725) — and its message shows CPU below target without saying so (robusta #728). Here only
 * the time at max with the metric above target counts, and it is a weak signal: it matters when the
 * service's latency or errors get worse while the HPA is held there.
 */

/** Least length of one at-max episode: KubeHpaMaxedOut's `for: 15m`. */
export const MIN_EPISODE_SECONDS = 15 * 60;
/** Least degraded time while held at max for the finding to be a symptom users feel: the same 15 minutes. */
export const MIN_SYMPTOM_SECONDS = 15 * 60;
/**
 * Errors while held at max count when their ratio exceeds the service's error budget (a burn rate
 * above 1: the objective would be missed if it lasted) and is at least this many times the ratio at
 * other times, so errors the ceiling did not cause do not count.
 */
export const ERROR_FACTOR = 2;

/**
 * Steps at max with the metric beyond the controller's tolerance — where it wanted more pods than
 * maxReplicas allows (ScalingLimited=True) — kept only in episodes of at least 15 minutes. `ratio` is
 * the largest current ÷ target over the HPA's metrics: the controller follows the metric that asks for most.
 */
function limitedEpisodes(atMax: ReadonlySet<number>, step: number, ratio: ReadonlyMap<number, number>): { limited: Set<number>; episodes: Array<{ start: number; end: number }> } {
  const over = new Set([...atMax].filter((t) => (ratio.get(t) ?? 0) > 1 + HPA_TOLERANCE));
  const kept = episodes(over, step).filter((e) => e.end - e.start + step >= MIN_EPISODE_SECONDS);
  return { limited: new Set([...over].filter((t) => kept.some((e) => t >= e.start && t <= e.end))), episodes: kept };
}

/** One metric the HPA scales on, with the current value it saw over the window. */
interface Reading {
  /** As people read it: `CPU`, `memory`, `http_requests_per_second`. */
  label: string;
  targetType: HpaFacts['metrics'][number]['targetType'];
  target: number;
  timeline: Timeline;
  source: string;
}

/** The HPA's metrics with a current-value timeline, and the names of those without one. */
function readingsOf(context: AnalysisContext, h: HpaFacts): { readings: Reading[]; unread: string[] } {
  const readings: Reading[] = [];
  const unread: string[] = [];
  for (const m of h.metrics) {
    if (m.target === null || m.target <= 0) {
      unread.push(m.name);
      continue;
    }
    if (m.name === 'cpu' && m.targetType === 'utilization') {
      const cpu = cpuUtilizationSeen(context, h);
      if (cpu) readings.push({ label: 'CPU', targetType: m.targetType, target: m.target, timeline: cpu.timeline, source: cpu.source });
      else unread.push('its CPU utilisation');
      continue;
    }
    const seen = h.metricTimelines.find((t) => t.name === m.name && t.targetType === m.targetType && t.timeline.points.length > 0);
    if (seen) readings.push({ label: m.name, targetType: m.targetType, target: m.target, timeline: seen.timeline, source: 'the HPA status' });
    else unread.push(m.name);
  }
  return { readings, unread };
}

/** A metric's value as its target is written: `90 %` of requests, `52.3` per pod, `1,200`. */
function valueWords(r: Reading, value: number | null): string {
  if (r.targetType === 'utilization') return percent(value);
  if (value === null) return 'n/a';
  return Math.abs(value) >= 100 ? Math.round(value).toLocaleString('en-US') : String(Number(value.toPrecision(3)));
}

function evaluateHpa(context: AnalysisContext, h: HpaFacts, out: RuleResult): void {
  const ref = hpaTarget(h);
  const max = h.maxReplicas;
  // Pinned (min == max) or a single allowed pod: at max by design, never a finding (mixin #1193, kyma #15725).
  if (max === null || max <= 1 || h.minReplicas === max) return;
  const current = h.timeline.current;
  if (!current || current.points.length === 0) {
    out.notEvaluated.push({ target: ref, missing: ['replica history: kube_horizontalpodautoscaler_status_current_replicas has no series for this HPA'] });
    return;
  }
  const atMaxTimes = new Set(current.points.filter((p) => p.value !== null && p.value >= max).map((p) => p.time));
  const atMaxSeconds = atMaxTimes.size * current.step;
  // Never held at max for a whole episode: nothing to judge.
  if (!episodes(atMaxTimes, current.step).some((e) => e.end - e.start + current.step >= MIN_EPISODE_SECONDS)) return;
  if (h.metrics.length === 0) {
    out.notEvaluated.push({ target: ref, missing: [UNKNOWN_METRICS] });
    return;
  }
  const { readings, unread } = readingsOf(context, h);
  if (readings.length === 0) {
    const cpuOnly = h.metrics.length === 1 && cpuTarget(h) !== null;
    out.notEvaluated.push({
      target: ref,
      missing: [`whether the HPA wants more than maxReplicas ${max} (it was at max for ${seconds(atMaxSeconds)}): Headroom has no timeline of the current value of ${cpuOnly ? 'its CPU utilisation' : `its metric (${h.metrics.map((m) => m.name).join(', ')})`} (kube_horizontalpodautoscaler_status_target_metric)`],
    });
    return;
  }
  // At each step, the metric that asks for most pods and by how much.
  const ratio = new Map<number, number>();
  const driverAt = new Map<number, Reading>();
  for (const r of readings) {
    for (const p of r.timeline.points) {
      if (p.value === null || !Number.isFinite(p.value)) continue;
      const q = p.value / r.target;
      if (q > (ratio.get(p.time) ?? -Infinity)) {
        ratio.set(p.time, q);
        driverAt.set(p.time, r);
      }
    }
  }
  const held = limitedEpisodes(atMaxTimes, current.step, ratio);
  if (held.limited.size === 0) {
    // Within target at max: content there (ScalingLimited=False) — unless a metric Headroom cannot see holds it up.
    if (unread.length > 0) out.notEvaluated.push({ target: ref, missing: [`whether ${unread.join(', ')} holds the HPA at max ${max}: Headroom reads only ${readings.map((r) => r.label).join(', ')}, which stayed within target there`] });
    return;
  }
  const driving = readings.map((r) => ({ r, steps: [...held.limited].filter((t) => driverAt.get(t) === r).length })).sort((a, b) => b.steps - a.steps);
  const driver = (driving[0] as { r: Reading }).r;

  const limitedSeconds = held.limited.size * current.step;
  const valuesHeld = valuesAt(driver.timeline, held.limited).sort((a, b) => a - b);
  // What the controller would ask for without the ceiling: ceil(current × value ÷ target).
  const implied = Math.max(...[...held.limited].map((t) => Math.ceil(max * (ratio.get(t) as number))));
  const longest = Math.max(...held.episodes.map((e) => e.end - e.start + current.step));

  const scaled = scaleTarget(h);
  const service = scaled ? serviceOf(context, scaled.namespace, scaled.name) : undefined;
  const p99 = serviceTimeline(service, 'p99');
  const notAtMax = new Set((p99?.points ?? []).map((p) => p.time).filter((t) => !atMaxTimes.has(t)));
  const p99Held = valuesAt(p99, held.limited).sort((a, b) => a - b);
  const p99Else = valuesAt(p99, notAtMax).sort((a, b) => a - b);
  const degraded = degradedTimes(p99);
  const degradedSeconds = [...held.limited].filter((t) => degraded.has(t)).length * current.step;
  const latencyHurts = degradedSeconds >= MIN_SYMPTOM_SECONDS;

  const errors = serviceTimeline(service, 'errorRatio');
  const errHeld = quantile(valuesAt(errors, held.limited).sort((a, b) => a - b), 0.5);
  const errElse = quantile(valuesAt(errors, notAtMax).sort((a, b) => a - b), 0.5);
  const errorsHurt = service !== undefined && errHeld !== null && errHeld > 1 - service.report.slo.objective && errHeld >= ERROR_FACTOR * (errElse ?? 0);
  const symptomatic = latencyHurts || errorsHurt;
  const burning = service?.report.slo.alert === 'page' || service?.latencySlo?.status.alert === 'page';
  const severity: Severity = symptomatic && burning ? 'critical' : 'warning';

  const latencyWords = p99Held.length > 0 && p99Else.length > 0
    ? `p99 ${seconds(quantile(p99Held, 0.5))} while held at max (peak ${seconds(p99Held[p99Held.length - 1] ?? null)}) vs ${seconds(quantile(p99Else, 0.5))} otherwise` +
      (latencyHurts ? `, degraded (twice its typical p99 or worse) for ${seconds(degradedSeconds)} while held` : '')
    : scaled
      ? `latency of ${scaled.namespace}/${scaled.name} not judged (${service ? 'no p99 timeline' : 'no HTTP server metrics map to it'})`
      : 'latency not judged (scale target unknown)';
  const errorWords = errorsHurt ? `; errors ${percent(errHeld, 2)} while held vs ${percent(errElse, 2)} otherwise` : '';
  const summary =
    `HPA ${h.namespace}/${h.name} was at maxReplicas ${max} for ${seconds(atMaxSeconds)} this window; for ${seconds(limitedSeconds)} of it ` +
    `(${held.episodes.length} episode${held.episodes.length === 1 ? '' : 's'} of 15 min or more, longest ${seconds(longest)}) ${driver.label} stood at ${valueWords(driver, quantile(valuesHeld, 0.5))}${unitWords(driver)} ` +
    `(median; up to ${valueWords(driver, valuesHeld[valuesHeld.length - 1] ?? null)}) vs its ${valueWords(driver, driver.target)} target, so the metric implied up to ${implied} replicas. ` +
    `${latencyWords}${errorWords}.`;

  // The RED timelines carry no query text, so p99 and errors are told in the summary, not as evidence.
  const ev: Evidence[] = [
    evidence(`time at maxReplicas ${max} with ${driver.label} above target (current replicas charted)`, current.query, limitedSeconds, 'seconds', current),
    driver.targetType === 'utilization'
      ? evidence(`${driver.label} utilisation of requests while held at max, median (from ${driver.source}; target ${percent(driver.target)})`, driver.timeline.query, quantile(valuesHeld, 0.5), 'ratio', driver.timeline)
      : evidence(`${driver.label}${unitWords(driver)} while held at max, median (from ${driver.source}; target ${valueWords(driver, driver.target)})`, driver.timeline.query, quantile(valuesHeld, 0.5), `${driver.label}${unitWords(driver)}`, driver.timeline),
  ];
  const leaner = driver.label === 'CPU'
    ? 'remove what makes each pod need so much CPU (a hot path, a missing cache, GC pressure)'
    : `make each pod handle more ${driver.label} (its bottleneck first: a pool, a downstream call, its CPU or memory requests)`;

  out.findings.push({
    severity,
    target: ref,
    summary,
    evidence: ev,
    symptomatic,
    remediation:
      `Raise maxReplicas from ${max} to at least ${implied}, the count the metric implied — first check that the nodes, the namespace quota and the database ` +
      `can take ${implied} pods (each opens its own connection pool: see hpa-amplifies-db). Or ${leaner}, so the same load fits in fewer pods. ` +
      'The hpa recommendation has a manifest.',
    ...(scaled ? { recommendation: { kind: 'hpa' as const, target: scaled } } : {}),
  });
}

/** How a non-utilisation value reads: per pod for AverageValue targets. */
function unitWords(r: Reading): string {
  return r.targetType === 'utilization' ? ' of requests' : r.targetType === 'average' ? ' per pod' : '';
}

export const hpaMaxedOut: RuleModule = {
  meta: {
    id: 'hpa-maxed-out',
    title: 'HPA held at maxReplicas while its metric wants more',
    defaultSeverity: 'warning',
    category: 'autoscaling',
    requires: ['hpa'],
    weakSignal: true,
    description: 'An HPA sits at maxReplicas for 15 minutes or more with a metric it scales on (CPU, requests per second, lag…) above target, so the ceiling decides capacity; a symptom when latency or errors worsen meanwhile.',
    docs: 'docs/rules/hpa-maxed-out.md',
  },
  evaluate(context: AnalysisContext): RuleResult {
    const out: RuleResult = { findings: [], notEvaluated: [] };
    for (const h of context.hpas) evaluateHpa(context, h, out);
    return out;
  },
};
