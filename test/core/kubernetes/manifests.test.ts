import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesError } from '../../../core/kubernetes/errors';
import { createManifestReader, readManifestFolder } from '../../../core/kubernetes/manifests';
import type { FleetSnapshot } from '../../../core/kubernetes/model';
import { temporaryFolder } from '../../k8s-emulator/helpers';

const MANIFESTS = join(import.meta.dirname, 'fixtures', 'manifests');
const Mi = 1024 ** 2;
const Gi = 1024 ** 3;

describe('a folder of manifests', () => {
  let snapshot: FleetSnapshot;
  beforeAll(() => {
    snapshot = readManifestFolder(MANIFESTS);
  });

  it('describes where it came from', () => {
    expect(snapshot).toMatchObject({
      source: 'manifests',
      location: MANIFESTS,
      namespace: null,
      serverVersion: null,
      pods: [],
      nodes: [],
      unreadable: [],
    });
  });

  it('reads every object it can, from multi-document files, Lists and typed Lists, recursively', () => {
    expect(snapshot.workloads.map((w) => `${w.kind} ${w.namespace}/${w.name}`)).toEqual([
      'Deployment catalog/catalog-api',
      'Deployment data/pgbouncer',
      'StatefulSet data/postgres',
      'Deployment streaming/playback',
    ]);
    expect(snapshot.services.map((s) => `${s.namespace}/${s.name}`)).toEqual([
      'broken/after-the-break',
      'broken/before-the-break',
      'streaming/playback',
    ]);
    expect(snapshot.hpas.map((h) => `${h.namespace}/${h.name}`)).toEqual(['catalog/catalog-api', 'streaming/playback']);
    expect(snapshot.pdbs.map((p) => `${p.namespace}/${p.name}`)).toEqual(['streaming/playback-v1', 'streaming/web']);
  });

  it('records the file and line of every object, List items included', () => {
    const origin = (name: string): unknown =>
      [...snapshot.workloads, ...snapshot.services, ...snapshot.hpas, ...snapshot.pdbs].find((o) => o.name === name)?.origin;
    const file = (path: string): string => join(MANIFESTS, path);
    expect(origin('catalog-api')).toEqual({ file: file('apps/catalog/deployment.yaml'), line: 2 });
    expect(origin('playback')).toEqual({ file: file('apps/streaming/playback.yaml'), line: 10 });
    expect(origin('pgbouncer')).toEqual({ file: file('apps/data/postgres.yaml'), line: 34 });
    expect(origin('playback-v1')).toEqual({ file: file('apps/streaming/pdbs.yaml'), line: 5 });
    expect(origin('web')).toEqual({ file: file('apps/streaming/pdbs.yaml'), line: 15 });
    expect(origin('after-the-break')).toEqual({ file: file('broken/mixed.yaml'), line: 37 });
    expect(snapshot.hpas.find((h) => h.name === 'catalog-api')?.origin).toEqual({ file: file('apps/catalog/hpa.yml'), line: 2 });
  });

  it('reports everything it skipped with file and line, and reads the rest of a broken file', () => {
    expect(snapshot.warnings).toEqual([
      'broken/mixed.yaml:17: invalid YAML (Flow sequence in block collection must be sufficiently indented and end with a ]); this document is skipped.',
      'broken/mixed.yaml:18: Deployment wrong-types is not a valid apps/v1 Deployment (spec/replicas must be integer); it is skipped.',
      'broken/mixed.yaml:46: StatefulSet units-in-words is not a valid apps/v1 StatefulSet (spec/template/spec/containers/0/resources/requests/memory must match format "quantity"); it is skipped.',
      'broken/mixed.yaml:68: not a Kubernetes object (no kind or apiVersion); it is skipped.',
      'legacy/old-apis.yaml:2: PodDisruptionBudget postgres uses policy/v1beta1, which Headroom does not read; it is skipped. Convert it to policy/v1 (current Kubernetes no longer serves the old beta versions either).',
      'legacy/old-apis.yaml:13: HorizontalPodAutoscaler search uses autoscaling/v2beta2, which Headroom does not read; it is skipped. Convert it to autoscaling/v2 or autoscaling/v1 (current Kubernetes no longer serves the old beta versions either).',
      'Ignored 1 object(s) of kinds Headroom does not use: ConfigMap (1).',
      'apps/data/postgres.yaml:34: Deployment data/pgbouncer container pgbouncer limit cpu: "5h" is not a Kubernetes quantity; it is ignored.',
    ]);
  });

  it('defaults what the API server would default, and leaves status-only fields empty', () => {
    const playback = snapshot.workloads.find((w) => w.name === 'playback');
    expect(playback?.replicas).toBe(1);
    expect(playback?.readyReplicas).toBeNull();
    expect(snapshot.workloads.find((w) => w.name === 'postgres')?.replicas).toBe(1);
    expect(snapshot.workloads.find((w) => w.name === 'catalog-api')?.uid).toBeNull();
    const hpa = snapshot.hpas.find((h) => h.name === 'playback');
    expect(hpa?.minReplicas).toBe(1);
    expect(hpa?.currentReplicas).toBeNull();
    expect(snapshot.pdbs[0]?.disruptionsAllowed).toBeNull();
  });

  it('parses quantities written as YAML numbers and strings, and drops the one Kubernetes would refuse', () => {
    expect(snapshot.workloads.find((w) => w.name === 'catalog-api')?.containers[0]).toMatchObject({
      requests: { cpu: 0.5, memory: 768 * Mi },
      limits: { cpu: 1, memory: Gi },
    });
    expect(snapshot.workloads.find((w) => w.name === 'postgres')?.containers.map((c) => [c.name, c.requests])).toEqual([
      ['postgres', { cpu: 2, memory: 8 * Gi }],
      ['exporter', { cpu: 0.05, memory: 64 * Mi }],
    ]);
    expect(snapshot.workloads.find((w) => w.name === 'pgbouncer')?.containers[0]?.limits).toEqual({ cpu: null, memory: 256 * Mi });
  });

  it('converts an autoscaling/v1 HPA to the v2 model and reads v2 behavior', () => {
    const [catalog, playback] = snapshot.hpas;
    expect(catalog).toMatchObject({
      apiVersion: 'autoscaling/v1',
      minReplicas: 3,
      maxReplicas: 12,
      target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'catalog-api' },
      metrics: [{ type: 'Resource', resource: 'cpu', target: { type: 'Utilization', averageUtilization: 0.65 } }],
      behavior: { scaleUp: null, scaleDown: null },
    });
    expect(playback?.behavior).toEqual({
      scaleUp: { stabilizationWindowSeconds: null, selectPolicy: null, policies: [{ type: 'Pods', pods: 4, periodSeconds: 60 }] },
      scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Min', policies: [{ type: 'Percent', ratio: 0.2, periodSeconds: 60 }] },
    });
  });

  it('links workloads to the HPAs, PDBs and Services that really select them', () => {
    expect(snapshot.workloads.map((w) => [w.name, w.hpas, w.pdbs, w.services])).toEqual([
      ['catalog-api', ['catalog-api'], [], []],
      ['pgbouncer', [], [], []],
      ['postgres', [], [], []],
      // "web" selects tier=web pods in streaming; "playback-v1" names pods playback no longer has.
      ['playback', ['playback'], ['web'], ['playback']],
    ]);
  });

  it('limits itself to one namespace', async () => {
    const streaming = await createManifestReader(MANIFESTS).readSnapshot({ namespace: 'streaming' });
    expect(streaming.namespace).toBe('streaming');
    expect(streaming.workloads.map((w) => w.name)).toEqual(['playback']);
    expect(streaming.services.map((s) => s.name)).toEqual(['playback']);
    expect(streaming.hpas.map((h) => h.name)).toEqual(['playback']);
  });
});

describe('edge cases', () => {
  let folder: string;
  beforeAll(() => {
    folder = temporaryFolder('manifests');
  });
  afterAll(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  function place(path: string, content: string): string {
    const full = join(folder, path);
    mkdirSync(join(full, '..'), { recursive: true });
    writeFileSync(full, content);
    return full;
  }

  const service = (name: string, namespace?: string): string =>
    `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n${namespace ? `  namespace: ${namespace}\n` : ''}spec:\n  ports:\n  - port: 80\n`;

  it('reads a single file, and puts objects without a namespace in "default"', () => {
    const file = place('single/one.yaml', service('lonely'));
    const snapshot = readManifestFolder(file);
    expect(snapshot.services.map((s) => [s.namespace, s.name])).toEqual([['default', 'lonely']]);
    expect(snapshot.services[0]?.origin).toEqual({ file, line: 1 });
  });

  it('skips .git and node_modules, and files that are not YAML', () => {
    place('repo/app.YML', service('kept', 'a'));
    place('repo/.git/objects/stale.yaml', service('from-git', 'a'));
    place('repo/tools/node_modules/chart/values.yaml', service('from-dependency', 'a'));
    place('repo/notes.txt', service('in-a-text-file', 'a'));
    expect(readManifestFolder(join(folder, 'repo')).services.map((s) => s.name)).toEqual(['kept']);
  });

  it('reports a folder without YAML, a missing folder, and a file it cannot read', async () => {
    mkdirSync(join(folder, 'empty'));
    expect(readManifestFolder(join(folder, 'empty')).warnings).toEqual([`${join(folder, 'empty')} holds no .yaml or .yml files.`]);

    const missing = join(folder, 'nope');
    const error = await createManifestReader(missing)
      .readSnapshot()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubernetesError);
    expect((error as KubernetesError).reason).toBe('folder-not-found');
    expect((error as KubernetesError).message).toBe(
      `The manifest folder ${missing} does not exist: choose the folder that holds your YAML files.`,
    );

    place('dangling/ok.yaml', service('ok', 'a'));
    symlinkSync(join(folder, 'dangling', 'gone.yaml'), join(folder, 'dangling', 'link.yaml'));
    const snapshot = readManifestFolder(join(folder, 'dangling'));
    expect(snapshot.services.map((s) => s.name)).toEqual(['ok']);
    expect(snapshot.warnings).toEqual([
      expect.stringMatching(/^link\.yaml:1: could not be read \(ENOENT: no such file or directory.*\); it is skipped\.$/),
    ]);
  });

  it('reads objects exported with a status its schema would refuse, since only what users write is checked', () => {
    place(
      'exported/node.yaml',
      [
        'apiVersion: v1',
        'kind: Node',
        'metadata:',
        '  name: edge-1',
        'status:',
        '  allocatable: {cpu: 1930m, memory: 3Gi, pods: "110"}',
        // An older kubelet: nodeInfo without the fields the current schema requires.
        '  nodeInfo: {kubeletVersion: v1.29.0}',
      ].join('\n'),
    );
    const snapshot = readManifestFolder(join(folder, 'exported'));
    expect(snapshot.warnings).toEqual([]);
    expect(snapshot.nodes.map((n) => [n.name, n.allocatable, n.ready])).toEqual([['edge-1', { cpu: 1.93, memory: 3 * Gi, pods: 110 }, null]]);
  });

  it('keeps HPA metrics it can use and names the ones it cannot', () => {
    place(
      'hpa/hpa.yaml',
      `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api, namespace: shop}
spec:
  scaleTargetRef: {kind: Deployment, name: api}
  maxReplicas: 5
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization}}
  - type: Pods
  - type: External
    external: {metric: {name: queue_depth}, target: {type: AverageValue}}
  - type: Custom
  - type: Resource
    resource: {name: memory, target: {type: Utilization, averageUtilization: 80}}
`,
    );
    const snapshot = readManifestFolder(join(folder, 'hpa'));
    expect(snapshot.hpas[0]?.metrics).toEqual([
      { type: 'Resource', resource: 'memory', target: { type: 'Utilization', averageUtilization: 0.8 } },
    ]);
    expect(snapshot.hpas[0]?.target).toEqual({ apiVersion: null, kind: 'Deployment', name: 'api' });
    expect(snapshot.warnings).toEqual([
      'hpa.yaml:1: HorizontalPodAutoscaler shop/api: the target {"type":"Utilization"} is not usable; the metric is ignored.',
      'hpa.yaml:1: HorizontalPodAutoscaler shop/api: a Pods metric without "pods" is ignored.',
      'hpa.yaml:1: HorizontalPodAutoscaler shop/api: the target {"type":"AverageValue"} is not usable; the metric is ignored.',
      'hpa.yaml:1: HorizontalPodAutoscaler shop/api: metric type "Custom" is not known; it is ignored.',
    ]);
  });

  it('gives an HPA without metrics the API server\'s default of 80 % CPU', () => {
    place(
      'hpa-default/hpa.yaml',
      'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: api}\nspec:\n  scaleTargetRef: {kind: Deployment, name: api}\n  maxReplicas: 5\n',
    );
    expect(readManifestFolder(join(folder, 'hpa-default')).hpas[0]?.metrics).toEqual([
      { type: 'Resource', resource: 'cpu', target: { type: 'Utilization', averageUtilization: 0.8 } },
    ]);
  });

  it('treats PDB selectors as policy/v1 does: none selects nothing, empty selects all, invalid selects nothing', () => {
    const pdb = (name: string, selector: string): string =>
      `apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: ${name}, namespace: shop}\nspec:\n  minAvailable: 1\n${selector}`;
    place(
      'pdb/all.yaml',
      [
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: [{name: app, image: x}]}',
        pdb('no-selector', ''),
        pdb('everything', '  selector: {}\n'),
        pdb('broken', '  selector: {matchExpressions: [{key: app, operator: In, values: []}]}\n'),
        pdb('bad-bound', '  selector: {matchLabels: {app: api}}\n  maxUnavailable: "2"\n'),
      ].join('\n---\n'),
    );
    const snapshot = readManifestFolder(join(folder, 'pdb'));
    expect(snapshot.workloads[0]?.pdbs).toEqual(['bad-bound', 'everything']);
    expect(snapshot.pdbs.find((p) => p.name === 'no-selector')?.selector).toBeNull();
    expect(snapshot.pdbs.find((p) => p.name === 'bad-bound')?.maxUnavailable).toBeNull();
    expect(snapshot.warnings).toEqual([
      'all.yaml:25: PodDisruptionBudget shop/broken: its selector is invalid ("app In" needs at least one value), so it protects no pods.',
      'all.yaml:33: PodDisruptionBudget shop/bad-bound maxUnavailable: "2" is neither a pod count nor a percentage; it is ignored.',
    ]);
  });

  it('infers the Deployment of pods whose ReplicaSet is not in the folder', () => {
    place(
      'pods/pods.yaml',
      [
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-5d8f7-abcde\n  namespace: shop\n  labels: {pod-template-hash: 5d8f7}\n  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d8f7, uid: u1, controller: true}]\nspec: {containers: [{name: app, image: x}]}',
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: bare-rs-x\n  namespace: shop\n  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: bare-rs, uid: u2}]\nspec: {containers: [{name: app, image: x}]}',
      ].join('\n---\n'),
    );
    const snapshot = readManifestFolder(join(folder, 'pods'));
    expect(snapshot.pods.map((p) => [p.name, p.owner])).toEqual([
      ['bare-rs-x', { kind: 'ReplicaSet', name: 'bare-rs' }],
      ['web-5d8f7-abcde', { kind: 'Deployment', name: 'web' }],
    ]);
    expect(snapshot.warnings).toEqual([
      "1 pod(s) belong to ReplicaSets that were not read; their Deployment was inferred from the ReplicaSet name.",
    ]);
  });
});
