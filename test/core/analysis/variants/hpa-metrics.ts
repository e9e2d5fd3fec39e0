/**
 * Two autoscalers that do not scale on CPU, as kube-state-metrics v2 reports them: `api` on a Pods metric
 * (`http_requests_per_second`, AverageValue 50) and `mailer` on an External one (`kafka_consumergroup_lag`,
 * AverageValue 1,000). Each runs at 2 replicas with its metric under target for the first half of the
 * window, then is held at maxReplicas 4 with the metric above target (80 per pod; 3,000 per pod).
 */
import type { SmallSeries } from '../../prometheus/small-prometheus';
import { TIMES, WINDOW } from './fleet';

export interface HpaMetricCase {
  name: string;
  metric: string;
  target: number;
  /** The status value before and after the middle of the window. */
  before: number;
  after: number;
}

export const HPA_METRIC_CASES: readonly HpaMetricCase[] = [
  { name: 'api', metric: 'http_requests_per_second', target: 50, before: 30, after: 80 },
  { name: 'mailer', metric: 'kafka_consumergroup_lag', target: 1000, before: 200, after: 3000 },
];
export const MAX_REPLICAS = 4;
export const MIDDLE = (WINDOW.start + WINDOW.end) / 2;

export function hpaMetricsFleet(): SmallSeries[] {
  const ksm = { container: 'kube-state-metrics', instance: '10.0.9.9:8080', job: 'kube-state-metrics', namespace: 'shop' };
  const over = (value: (time: number) => number): Array<[number, number]> => TIMES.map((t) => [t, value(t)]);
  const late = (before: number, after: number) => (t: number): number => (t >= MIDDLE ? after : before);
  return HPA_METRIC_CASES.flatMap((c) => {
    const hpa = { ...ksm, horizontalpodautoscaler: c.name };
    const metric = { metric_name: c.metric, metric_target_type: 'average' };
    return [
      { labels: { __name__: 'kube_horizontalpodautoscaler_info', ...hpa, scaletargetref_api_version: 'apps/v1', scaletargetref_kind: 'Deployment', scaletargetref_name: c.name }, samples: over(() => 1) },
      { labels: { __name__: 'kube_horizontalpodautoscaler_spec_min_replicas', ...hpa }, samples: over(() => 2) },
      { labels: { __name__: 'kube_horizontalpodautoscaler_spec_max_replicas', ...hpa }, samples: over(() => MAX_REPLICAS) },
      { labels: { __name__: 'kube_horizontalpodautoscaler_spec_target_metric', ...hpa, ...metric }, samples: over(() => c.target) },
      { labels: { __name__: 'kube_horizontalpodautoscaler_status_target_metric', ...hpa, ...metric }, samples: over(late(c.before, c.after)) },
      { labels: { __name__: 'kube_horizontalpodautoscaler_status_current_replicas', ...hpa }, samples: over(late(2, MAX_REPLICAS)) },
      { labels: { __name__: 'kube_horizontalpodautoscaler_status_desired_replicas', ...hpa }, samples: over(late(2, MAX_REPLICAS)) },
    ];
  });
}
