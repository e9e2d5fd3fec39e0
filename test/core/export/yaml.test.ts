import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { toYaml } from '../../../core/export/yaml';

describe('toYaml', () => {
  it('writes the same bytes whatever order the keys were assembled in', () => {
    const a = { spec: { b: 1, a: 2, metrics: [{ resource: { name: 'cpu' }, type: 'Resource' }] }, metadata: { namespace: 'shop', name: 'x' }, kind: 'K', apiVersion: 'v1' };
    const b = { apiVersion: 'v1', kind: 'K', metadata: { name: 'x', namespace: 'shop' }, spec: { metrics: [{ type: 'Resource', resource: { name: 'cpu' } }], a: 2, b: 1 } };
    expect(toYaml([a])).toBe(toYaml([b]));
    expect(toYaml([a])).toMatchInlineSnapshot(`
      "apiVersion: v1
      kind: K
      metadata:
        name: x
        namespace: shop
      spec:
        a: 2
        b: 1
        metrics:
          - type: Resource
            resource:
              name: cpu
      "
    `);
  });

  it('writes an object used twice out twice, without anchors or aliases', () => {
    const selector = { matchLabels: { app: 'checkout' } };
    const text = toYaml([{ first: selector, second: selector }]);
    expect(text).not.toMatch(/[&*]a\d/);
    expect(text.match(/app: checkout/g)).toHaveLength(2);
  });

  it('never folds long lines', () => {
    const query = `sum(rate(http_requests_total{${Array.from({ length: 30 }, (_, i) => `label_${i}="value"`).join(',')}}[2m]))`;
    const text = toYaml([{ query }]);
    expect(text).toBe(`query: ${query}\n`);
  });

  it('writes several documents separated by ---, each ending in a newline, and nothing for none', () => {
    const text = toYaml([{ a: 1 }, { b: 2 }, { c: 3 }]);
    expect(text).toBe('a: 1\n---\nb: 2\n---\nc: 3\n');
    expect(parseAllDocuments(text).map((document) => document.toJS())).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
    expect(toYaml([])).toBe('');
  });

  it('keeps null (a deletion in a patch) and leaves out undefined', () => {
    expect(toYaml([{ limits: { cpu: null, memory: '1Gi' }, selectPolicy: undefined }])).toBe(
      'limits:\n  cpu: null\n  memory: 1Gi\n',
    );
  });

  it('quotes strings that would otherwise read back as numbers or booleans', () => {
    const text = toYaml([{ cpu: '2', version: '2.3', enabled: 'true', memory: '512Mi' }]);
    expect(parseAllDocuments(text)[0]?.toJS()).toEqual({ cpu: '2', version: '2.3', enabled: 'true', memory: '512Mi' });
  });
});
