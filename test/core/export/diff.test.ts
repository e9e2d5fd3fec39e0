import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { diffAgainstCurrent } from '../../../core/export/diff';
import { perWorkloadFiles } from '../../../core/export/files';
import { hpaManifest } from '../../../core/export/hpa';
import { proposalsByWorkload } from '../../../core/export/proposals';
import type { ResourcesPatch } from '../../../core/export/resources';
import { readManifestFolder } from '../../../core/kubernetes/manifests';
import type { FleetSnapshot, Workload } from '../../../core/kubernetes/model';
import { MANIFESTS, rejection } from './helpers';
import { checkoutRecommendations } from './recommendations';

function objectsIn(file: string): Array<Record<string, unknown>> {
  return parseAllDocuments(readFileSync(join(MANIFESTS, file), 'utf8')).map(
    (document) => document.toJS() as Record<string, unknown>,
  );
}

describe('diffAgainstCurrent', () => {
  let fleet: FleetSnapshot;
  let checkout: Workload;
  let patch: ResourcesPatch;
  beforeAll(() => {
    fleet = readManifestFolder(MANIFESTS);
    checkout = fleet.workloads.find((workload) => workload.name === 'checkout') as Workload;
    patch = proposalsByWorkload(checkoutRecommendations(fleet), fleet)[0]?.patch as ResourcesPatch;
  });

  it('names the manifest file and line of a workload read from a folder', () => {
    const diff = diffAgainstCurrent(checkout, patch);
    const file = join(MANIFESTS, 'shop', 'checkout.yaml');
    expect(diff.split('\n').slice(0, 2)).toEqual([
      `--- ${file}\tDeployment shop/checkout, line 14`,
      `+++ ${file}\tproposed`,
    ]);
  });

  it('shows only the changed requests and limits, one line each (golden)', () => {
    expect(diffAgainstCurrent(checkout, patch, { relativeTo: MANIFESTS })).toMatchInlineSnapshot(`
      "--- shop/checkout.yaml	Deployment shop/checkout, line 14
      +++ shop/checkout.yaml	proposed
      @@ -2,12 +2,12 @@
       containers:
         - name: app
           resources:
      -      requests: { cpu: "1", memory: 2Gi }
      -      limits: { cpu: "2", memory: 3Gi }
      +      requests: { cpu: 350m, memory: 1536Mi }
      +      limits: { memory: 2Gi }
         - name: log-shipper
           resources:
             requests: { cpu: 50m, memory: 64Mi }
       initContainers:
         - name: envoy
           resources:
      -      requests: { cpu: 500m, memory: 128Mi }
      +      requests: { cpu: 100m, memory: 128Mi }
      "
    `);
  });

  it('compares a raw object with the full Deployment built from it, whatever way quantities are written', () => {
    const current = objectsIn('shop/checkout.yaml').find((object) => object.kind === 'Deployment') as Record<string, unknown>;
    // The fixture writes the sidecar's CPU as "0.5" and the app's as "1"; the proposal writes "100m" and "350m".
    const [file] = perWorkloadFiles(checkoutRecommendations(fleet), fleet, [current]);
    const [proposed] = parseAllDocuments(file?.content ?? '').map((document) => document.toJS());
    const diff = diffAgainstCurrent(current, proposed as ResourcesPatch);
    expect(diff).toMatchInlineSnapshot(`
      "--- Deployment shop/checkout	current
      +++ Deployment shop/checkout	proposed
      @@ -2,12 +2,12 @@
       containers:
         - name: app
           resources:
      -      requests: { cpu: "1", memory: 2Gi, ephemeral-storage: 1Gi }
      -      limits: { cpu: "2", memory: 3Gi, ephemeral-storage: 2Gi }
      +      requests: { cpu: 350m, memory: 1536Mi, ephemeral-storage: 1Gi }
      +      limits: { memory: 2Gi, ephemeral-storage: 2Gi }
         - name: log-shipper
           resources:
             requests: { cpu: 50m, memory: 64Mi }
       initContainers:
         - name: envoy
           resources:
      -      requests: { cpu: 500m, memory: 128Mi }
      +      requests: { cpu: 100m, memory: 128Mi }
      "
    `);
  });

  it('writes nothing when nothing changes, however the quantities are written', () => {
    const current = objectsIn('shop/checkout.yaml').find((object) => object.kind === 'Deployment') as Record<string, unknown>;
    const same = JSON.parse(JSON.stringify(current).replace('"cpu":"0.5"', '"cpu":"500m"').replace('"memory":"2Gi"', '"memory":"2048Mi"'));
    expect(diffAgainstCurrent(current, same)).toBe('');
    expect(diffAgainstCurrent(checkout, same)).toBe('');
  });

  it('diffs a new HPA against nothing', () => {
    const hpa = hpaManifest({
      target: { namespace: 'shop', kind: 'Deployment', name: 'checkout' },
      minReplicas: 3,
      maxReplicas: 12,
      metrics: [{ type: 'Pods', metricName: 'http_requests_per_second', averageValue: 40 }],
      behavior: { scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', pods: 1, periodSeconds: 60 }] } },
      generatedFrom: 'HPA-ON-CPU/shop/checkout',
      rationale: 'p99 latency follows requests per second',
    });
    const diff = diffAgainstCurrent(null, hpa);
    const lines = diff.trimEnd().split('\n');
    expect(lines.slice(0, 3)).toEqual(['--- /dev/null', '+++ HorizontalPodAutoscaler shop/checkout\tproposed', '@@ -0,0 +1,21 @@']);
    expect(lines.slice(3).every((line) => line.startsWith('+'))).toBe(true);
    expect(lines).toContain('+minReplicas: 3');
  });

  it("diffs an HPA against the existing one's spec, naming the file it was read from", () => {
    const current = objectsIn('shop/ledger.yaml').find((object) => object.kind === 'HorizontalPodAutoscaler') as Record<string, unknown>;
    const proposed = hpaManifest({
      name: 'ledger-readers',
      target: { namespace: 'shop', kind: 'StatefulSet', name: 'ledger' },
      minReplicas: 3,
      maxReplicas: 8,
      metrics: [{ type: 'Resource', resource: 'cpu', target: { type: 'Utilization', averageUtilization: 0.65 } }],
      behavior: {},
      generatedFrom: 'HPA-MAXED/shop/ledger',
      rationale: 'pinned at 6 replicas for 40 % of the week',
    });
    const origin = fleet.hpas.find((hpa) => hpa.name === 'ledger-readers')?.origin ?? null;
    expect(diffAgainstCurrent(current, proposed, { currentOrigin: origin, relativeTo: MANIFESTS })).toMatchInlineSnapshot(`
      "--- shop/ledger.yaml	HorizontalPodAutoscaler shop/ledger-readers, line 24
      +++ shop/ledger.yaml	proposed
      @@ -1,11 +1,11 @@
      -maxReplicas: 6
      +maxReplicas: 8
       metrics:
         - type: Resource
           resource:
             name: cpu
             target:
               type: Utilization
      -        averageUtilization: 80
      +        averageUtilization: 65
       minReplicas: 3
       scaleTargetRef:
         apiVersion: apps/v1
      "
    `);
  });

  it('shows a patch on its own when there is no current object, without guessing replicas', () => {
    const diff = diffAgainstCurrent(null, patch);
    expect(diff).not.toContain('replicas');
    expect(diff).toContain('+      limits: { memory: 2Gi }');
    expect(diff.split('\n')[1]).toBe('+++ Deployment shop/checkout\tproposed');
  });

  it('refuses to compare objects of different kinds', () => {
    const hpa = hpaManifest({
      target: { namespace: 'shop', kind: 'Deployment', name: 'checkout' },
      minReplicas: 2,
      maxReplicas: 4,
      metrics: [{ type: 'Resource', resource: 'cpu', target: { type: 'Utilization', averageUtilization: 0.7 } }],
      generatedFrom: 'x',
      rationale: 'y',
    });
    const error = rejection(() => diffAgainstCurrent(checkout, hpa));
    expect(error.field).toBe('current.kind');
    expect(error.value).toBe('Deployment');
  });
});
