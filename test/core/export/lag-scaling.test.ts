import { describe, expect, it } from 'vitest';
import { prometheusAdapterLagRule, prometheusAdapterExternalRuleSchema } from '../../../core/export/lag-scaling';
import { toYaml } from '../../../core/export/yaml';
import { rejection } from './helpers';

describe('prometheusAdapterLagRule', () => {
  it('serves the summed lag the HPA selects, not scoped to the HPA\'s namespace (golden)', () => {
    const rule = prometheusAdapterLagRule({ series: 'kafka_consumergroup_lag', labels: ['consumergroup', 'topic'] });
    expect(toYaml([{ externalRules: [rule] }])).toMatchInlineSnapshot(`
      "externalRules:
        - name:
            as: kafka_consumergroup_lag
            matches: ^kafka_consumergroup_lag$
          metricsQuery: sum(<<.Series>>{<<.LabelMatchers>>})
          resources:
            namespaced: false
          seriesQuery: kafka_consumergroup_lag{consumergroup!="",topic!=""}
      "
    `);
    expect(prometheusAdapterExternalRuleSchema.safeParse(rule).success).toBe(true);
  });

  it.each([
    ['a series that is no metric name', { series: 'kafka lag', labels: ['topic'] }, /series must be a Prometheus metric name \(got "kafka lag"\)/],
    ['a label that is no label name', { series: 'kafka_consumergroup_lag', labels: ['consumer-group'] }, /labels must be a Prometheus label name \(got "consumer-group"\)/],
  ])('refuses %s, naming the field', (_name, input, message) => {
    expect(rejection(() => prometheusAdapterLagRule(input)).message).toMatch(message);
  });

  it.each([
    ['a namespaced rule', { resources: { namespaced: true } }],
    ['a query that ignores the selector', { metricsQuery: 'sum(<<.Series>>)' }],
  ])('its schema refuses %s', (_name, change) => {
    const rule = prometheusAdapterLagRule({ series: 'kafka_consumergroup_lag', labels: ['consumergroup'] });
    expect(prometheusAdapterExternalRuleSchema.safeParse({ ...rule, ...change }).success).toBe(false);
  });
});
