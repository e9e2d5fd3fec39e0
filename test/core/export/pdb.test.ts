import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { beforeAll, describe, expect, it } from 'vitest';
import { type PdbInput, pdbManifest } from '../../../core/export/pdb';
import { validateKubernetesObject } from '../../../core/export/validate';
import { toYaml } from '../../../core/export/yaml';
import { readManifestFolder } from '../../../core/kubernetes/manifests';
import type { Workload } from '../../../core/kubernetes/model';
import { matchesLabelSelector } from '../../../core/kubernetes/selectors';
import { MANIFESTS, rejection } from './helpers';

describe('pdbManifest', () => {
  let checkout: Workload;
  let input: PdbInput;
  beforeAll(() => {
    const fleet = readManifestFolder(MANIFESTS);
    checkout = fleet.workloads.find((workload) => workload.name === 'checkout') as Workload;
    input = {
      workload: checkout,
      maxUnavailable: { type: 'count', value: 1 },
      generatedFrom: 'PDB-MISSING/shop/checkout',
      rationale: 'an HPA scales checkout but nothing limits voluntary disruptions',
    };
  });

  it('writes a policy/v1 PDB with the workload selector (golden)', () => {
    expect(toYaml([pdbManifest(input)])).toMatchInlineSnapshot(`
      "apiVersion: policy/v1
      kind: PodDisruptionBudget
      metadata:
        name: checkout
        namespace: shop
        annotations:
          headroom.dev/generated-from: PDB-MISSING/shop/checkout
          headroom.dev/rationale: an HPA scales checkout but nothing limits voluntary disruptions
      spec:
        maxUnavailable: 1
        selector:
          matchLabels:
            app.kubernetes.io/component: api
            app.kubernetes.io/name: checkout
      "
    `);
  });

  it("copies the workload's full selector, every label of it, never one shared label (Polaris #999)", () => {
    const pdb = pdbManifest(input);
    expect(pdb.spec?.selector).toEqual({
      matchLabels: { 'app.kubernetes.io/name': 'checkout', 'app.kubernetes.io/component': 'api' },
    });
    // A pod sharing only one of the labels (another component of the same app) is not protected by it.
    expect(matchesLabelSelector(pdb.spec?.selector, { 'app.kubernetes.io/name': 'checkout', 'app.kubernetes.io/component': 'worker' })).toBe(false);
    expect(matchesLabelSelector(pdb.spec?.selector, checkout.podTemplateLabels)).toBe(true);
    // Copied, not shared: changing the PDB does not change the fleet's model.
    (pdb.spec?.selector?.matchLabels as Record<string, string>).extra = 'x';
    expect(checkout.selector.matchLabels).not.toHaveProperty('extra');
  });

  it('keeps matchExpressions of the selector too', () => {
    const pdb = pdbManifest({
      ...input,
      workload: {
        ...checkout,
        selector: {
          matchLabels: { 'app.kubernetes.io/name': 'checkout' },
          matchExpressions: [{ key: 'team', operator: 'In', values: ['payments'] }],
        },
      },
    });
    expect(pdb.spec?.selector).toEqual({
      matchLabels: { 'app.kubernetes.io/name': 'checkout' },
      matchExpressions: [{ key: 'team', operator: 'In', values: ['payments'] }],
    });
  });

  it.each([
    [{ minAvailable: { type: 'count', value: 2 } }, { minAvailable: 2 }],
    [{ minAvailable: { type: 'ratio', value: 0.5 } }, { minAvailable: '50%' }],
    [{ maxUnavailable: { type: 'ratio', value: 0.25 } }, { maxUnavailable: '25%' }],
    [{ maxUnavailable: { type: 'ratio', value: 1 / 3 } }, { maxUnavailable: '33%' }],
    [{ maxUnavailable: { type: 'count', value: 1 } }, { maxUnavailable: 1 }],
  ] as const)('writes %j as %j', (bounds, expected) => {
    const pdb = pdbManifest({ ...input, maxUnavailable: undefined, ...bounds });
    expect(pdb.spec).toMatchObject(expected);
    expect(() => new PodDisruptionBudget(pdb).validate()).not.toThrow();
  });

  it('refuses a PDB with both minAvailable and maxUnavailable', () => {
    const error = rejection(() => pdbManifest({ ...input, minAvailable: { type: 'count', value: 2 } }));
    expect(error.field).toBe('spec.maxUnavailable');
    expect(error.value).toBe(1);
    expect(error.message).toContain('cannot be set together with minAvailable');
  });

  it('refuses a PDB with neither', () => {
    expect(rejection(() => pdbManifest({ ...input, maxUnavailable: undefined })).field).toBe('spec.minAvailable');
  });

  it.each([
    [{ maxUnavailable: { type: 'count', value: 0 } }, 'spec.maxUnavailable', 0],
    [{ maxUnavailable: { type: 'ratio', value: 0 } }, 'spec.maxUnavailable', '0%'],
    [{ minAvailable: { type: 'ratio', value: 1 } }, 'spec.minAvailable', '100%'],
  ] as const)('refuses %j, which blocks every node drain', (bounds, field, value) => {
    const error = rejection(() => pdbManifest({ ...input, maxUnavailable: undefined, ...bounds }));
    expect(error.field).toBe(field);
    expect(error.value).toBe(value);
    expect(error.message).toContain('no voluntary disruption');
  });

  it.each([
    [{ minAvailable: { type: 'ratio', value: 1.5 } }, 'spec.minAvailable', '150%'],
    [{ minAvailable: { type: 'count', value: -1 } }, 'spec.minAvailable', -1],
    [{ maxUnavailable: { type: 'count', value: 1.5 } }, 'spec.maxUnavailable', 1.5],
    [{ maxUnavailable: { type: 'ratio', value: Number.NaN } }, 'spec.maxUnavailable', 'NaN%'],
  ] as const)('refuses the bound %j', (bounds, field, value) => {
    const error = rejection(() => pdbManifest({ ...input, maxUnavailable: undefined, ...bounds }));
    expect(error.issues.map((issue) => [issue.field, issue.value])).toContainEqual([field, value]);
  });

  it('refuses a workload whose selector misses its own pods', () => {
    const error = rejection(() =>
      pdbManifest({ ...input, workload: { ...checkout, podTemplateLabels: { 'app.kubernetes.io/name': 'checkout' } } }),
    );
    expect(error.field).toBe('workload.selector');
  });

  it('refuses an empty selector, which selects every pod in the namespace', () => {
    const error = rejection(() =>
      pdbManifest({ ...input, workload: { ...checkout, selector: { matchLabels: {}, matchExpressions: [] } } }),
    );
    expect(error.field).toBe('spec.selector');
    expect(error.message).toContain('every pod in the namespace');
  });

  it('refuses hand-written PDBs with no selector or an invalid percentage', () => {
    const pdb = pdbManifest(input);
    const noSelector = rejection(() => validateKubernetesObject({ ...pdb, spec: { maxUnavailable: 1 } }));
    expect(noSelector.field).toBe('spec.selector');
    // kubernetes-models' schema accepts any string for an IntOrString; the API server does not.
    const notPercent = { ...pdb, spec: { ...pdb.spec, maxUnavailable: 'half' } };
    expect(() => new PodDisruptionBudget(notPercent).validate()).not.toThrow();
    expect(rejection(() => validateKubernetesObject(notPercent)).value).toBe('half');
  });
});
