import { KSM } from '../../prometheus/families';
import { duration, selector, type Matcher } from '../../prometheus/promql';
import type { RangeSeries } from '../../prometheus/query-api';
import type { HpaFacts } from '../context';
import { PART, tagged, timelineOf, type QueryRunner } from './query-kit';

/**
 * HorizontalPodAutoscalers as kube-state-metrics v2 reports them (labels `namespace`,
 * `horizontalpodautoscaler`; the scrape target's labels ride along and are aggregated away):
 * bounds and targets at the end of the window, replicas and the observed CPU utilisation over it,
 * and per hour how often replicas changed and by how much (flapping shows as many changes that
 * cancel out).
 */
const HPA_LABELS = 'namespace, horizontalpodautoscaler';

export interface HpaCollectorOptions {
  global: readonly Matcher[];
  window: { start: number; end: number };
  timelineStep: number;
}

function hpaKey(labels: Readonly<Record<string, string>>): string {
  return `${labels.namespace ?? ''}/${labels.horizontalpodautoscaler ?? ''}`;
}

/** kube-state-metrics' metric_target_type: `utilization`, `average` (AverageValue) or `value`. */
function targetTypeOf(label: string | undefined): HpaFacts['metrics'][number]['targetType'] {
  return label === 'utilization' ? 'utilization' : label === 'average' ? 'average' : 'value';
}

export async function collectHpas(runner: QueryRunner, options: HpaCollectorOptions): Promise<HpaFacts[]> {
  const g = options.global;
  const W = duration(options.window.end - options.window.start);
  const last = (metric: string, extra = ''): string => `max by (${HPA_LABELS}${extra}) (last_over_time(${selector(metric, [], g)}[${W}]))`;
  const instantQuery = [
    tagged(`max by (${HPA_LABELS}, scaletargetref_kind, scaletargetref_name) (last_over_time(${selector(KSM.hpaInfo, [], g)}[${W}]))`, 'info'),
    tagged(last(KSM.hpaMin), 'min'),
    tagged(last(KSM.hpaMax), 'max'),
    tagged(last(KSM.hpaSpecTarget, ', metric_name, metric_target_type'), 'target'),
  ].join(' or ');
  const facts = new Map<string, HpaFacts>();
  const factFor = (labels: Readonly<Record<string, string>>): HpaFacts => {
    const k = hpaKey(labels);
    let f = facts.get(k);
    if (!f) {
      f = {
        namespace: labels.namespace ?? '',
        name: labels.horizontalpodautoscaler ?? '',
        target: null,
        minReplicas: null,
        maxReplicas: null,
        metrics: [],
        timeline: { current: null, desired: null, cpuUtilization: null },
        metricTimelines: [],
        hourly: { changes: null, amplitude: null },
        spec: null,
      };
      facts.set(k, f);
    }
    return f;
  };
  for (const s of await runner.instant([instantQuery])) {
    const part = s.labels[PART];
    if (!s.labels.horizontalpodautoscaler) continue;
    const f = factFor(s.labels);
    if (part === 'info' && s.labels.scaletargetref_kind && s.labels.scaletargetref_name) f.target = { kind: s.labels.scaletargetref_kind, name: s.labels.scaletargetref_name };
    if (part === 'min') f.minReplicas = s.value;
    if (part === 'max') f.maxReplicas = s.value;
    if (part === 'target' && s.labels.metric_name) {
      const targetType = targetTypeOf(s.labels.metric_target_type);
      // kube-state-metrics reports utilisation in percent; Headroom's unit is a ratio.
      f.metrics.push({ name: s.labels.metric_name, targetType, target: s.value === null ? null : targetType === 'utilization' ? s.value / 100 : s.value });
    }
  }
  if (facts.size === 0) return [];

  const step = options.timelineStep;
  const now = (metric: string, extra: Matcher[] = []): string => `max by (${HPA_LABELS}) (${selector(metric, extra, g)})`;
  const timelineQuery = [
    tagged(now(KSM.hpaCurrent), 'current'),
    tagged(now(KSM.hpaDesired), 'desired'),
    // Every metric's current value (kube-state-metrics labels it metric_name, metric_target_type), so an HPA
    // on requests per second or lag is judged like one on CPU.
    tagged(`max by (${HPA_LABELS}, metric_name, metric_target_type) (${selector(KSM.hpaStatusTarget, [], g)})`, 'metric'),
  ].join(' or ');
  const hourlyQuery = [
    tagged(`max by (${HPA_LABELS}) (changes(${selector(KSM.hpaCurrent, [], g)}[1h]))`, 'changes'),
    tagged(`max by (${HPA_LABELS}) (max_over_time(${selector(KSM.hpaCurrent, [], g)}[1h]) - min_over_time(${selector(KSM.hpaCurrent, [], g)}[1h]))`, 'amplitude'),
  ].join(' or ');
  const assign = (series: readonly RangeSeries[], apply: (f: HpaFacts, part: string, s: RangeSeries) => void): void => {
    for (const s of series) {
      const part = s.labels[PART];
      const f = facts.get(hpaKey(s.labels));
      if (part && f) apply(f, part, s);
    }
  };
  assign(await runner.range([timelineQuery], step), (f, part, s) => {
    const t = timelineOf(s, step, timelineQuery);
    if (part === 'current') f.timeline.current = t;
    if (part === 'desired') f.timeline.desired = t;
    const name = s.labels.metric_name;
    if (part !== 'metric' || !name || !t) return;
    const targetType = targetTypeOf(s.labels.metric_target_type);
    // kube-state-metrics reports utilisation in percent; Headroom's unit is a ratio.
    const timeline = targetType === 'utilization' ? { ...t, points: t.points.map((p) => ({ time: p.time, value: p.value === null ? null : p.value / 100 })) } : t;
    f.metricTimelines.push({ name, targetType, timeline });
    if (name === 'cpu' && targetType === 'utilization') f.timeline.cpuUtilization = timeline;
  });
  assign(await runner.range([hourlyQuery], 3600, options.window.start + 3600), (f, part, s) => {
    const t = timelineOf(s, 3600, hourlyQuery);
    if (part === 'changes') f.hourly.changes = t;
    if (part === 'amplitude') f.hourly.amplitude = t;
  });
  return [...facts.values()].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}
