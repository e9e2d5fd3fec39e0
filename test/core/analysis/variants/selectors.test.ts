import { describe, expect, it } from 'vitest';
import { selectorsOf } from './selectors';

/** The selector scanner the multi-cluster case relies on: it must find every selector and nothing else. */
describe('selectorsOf', () => {
  it.each([
    ['a bare metric', 'up', [{ metric: 'up', matchers: [] }]],
    ['matchers', 'x{a="b",c=~"d|e"}', [{ metric: 'x', matchers: ['a="b"', 'c=~"d|e"'] }]],
    ['a selector without a name', '{__name__=~"a|b",cluster="eu"}', [{ metric: '', matchers: ['__name__=~"a|b"', 'cluster="eu"'] }]],
    ['ranges, subqueries and offsets', 'rate(x[5m]) and min_over_time(y[30d:1h]) offset 5m', [{ metric: 'x', matchers: [] }, { metric: 'y', matchers: [] }]],
    ['aggregations and grouping clauses', 'sum by (namespace, pod) (x) * on (pod) group_left (workload) max without (le) (y)', [{ metric: 'x', matchers: [] }, { metric: 'y', matchers: [] }]],
    ['strings with braces are not selectors', 'label_replace(x, "w", "$1", "pod", "(.+)-[a-z]{5}")', [{ metric: 'x', matchers: [] }]],
    ['vector(1) and scalars are not selectors', 'histogram_quantile(0.99, x) or vector(1) > bool 0', [{ metric: 'x', matchers: [] }]],
    ['escaped quotes inside values', 'x{a="say \\"hi\\""}', [{ metric: 'x', matchers: ['a="say \\"hi\\""'] }]],
  ])('%s', (_, query, expected) => {
    expect(selectorsOf(query)).toEqual(expected);
  });
});
