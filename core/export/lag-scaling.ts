/**
 * Scaling a Kafka consumer on its group's lag: the HPA reads `kafka_consumergroup_lag` from the external
 * metrics API (a metric of type External, see `hpaManifest`), and prometheus-adapter serves it with an
 * `externalRules` entry, which this module writes.
 *
 * Label assumptions: kafka_exporter (danielqsj) labels its lag `consumergroup`, `topic` and `partition`, and
 * the scrape adds the exporter's own `namespace`, which is rarely the consumer's. The adapter would add the
 * HPA's namespace to every query, so the rule sets `namespaced: false` and the HPA's selector names the
 * exporter's namespace itself (prometheus-adapter's docs, "Cross-Namespace or No Namespace Queries").
 */
import { z } from 'zod';
import { throwIfIssues } from './errors';
import { zodIssues } from './validate';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** One entry of prometheus-adapter's `externalRules`, in its documented config format. */
export const prometheusAdapterExternalRuleSchema = z.strictObject({
  seriesQuery: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*\{.*\}$/, 'must be a series selector'),
  resources: z.strictObject({ namespaced: z.literal(false) }),
  name: z.strictObject({ matches: z.string().min(1), as: z.string().regex(METRIC_NAME, 'must be a Prometheus metric name') }),
  metricsQuery: z.string().refine((query) => ['<<.Series>>', '<<.LabelMatchers>>'].every((variable) => query.includes(variable)), 'must use <<.Series>> and <<.LabelMatchers>>, or the HPA’s selector is ignored'),
});

export type PrometheusAdapterExternalRule = z.infer<typeof prometheusAdapterExternalRuleSchema>;

export interface LagRuleInput {
  /** The lag gauge, e.g. `kafka_consumergroup_lag`; served under the same name. */
  series: string;
  /** Labels the HPA's selector may name; the series must carry each (e.g. `consumergroup`, `topic`). */
  labels: readonly string[];
}

/**
 * The externalRules entry that serves the summed lag of whatever the HPA's selector picks (its
 * `<<.LabelMatchers>>`), not scoped to the HPA's namespace. With a target of type AverageValue the HPA
 * divides that sum by its replicas: lag per consumer.
 */
export function prometheusAdapterLagRule(input: LagRuleInput): PrometheusAdapterExternalRule {
  const issues = [
    ...(METRIC_NAME.test(input.series) ? [] : [{ field: 'series', value: input.series, message: 'must be a Prometheus metric name' }]),
    ...input.labels.filter((label) => !LABEL_NAME.test(label)).map((label) => ({ field: 'labels', value: label, message: 'must be a Prometheus label name' })),
  ];
  throwIfIssues('Prometheus adapter external rule', issues);
  const rule: PrometheusAdapterExternalRule = {
    seriesQuery: `${input.series}{${input.labels.map((label) => `${label}!=""`).join(',')}}`,
    resources: { namespaced: false },
    name: { matches: `^${input.series}$`, as: input.series },
    metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>})',
  };
  throwIfIssues('Prometheus adapter external rule', zodIssues(prometheusAdapterExternalRuleSchema, rule));
  return rule;
}
