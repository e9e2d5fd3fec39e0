import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Recommendation } from '../../../core/api/report';
import type { ManifestError } from '../../../core/export/errors';
import { type ExportFile, kustomizePatches, perWorkloadFiles } from '../../../core/export/files';
import { applyResourcesPatch } from '../../../core/export/resources';
import { validateKubernetesObject } from '../../../core/export/validate';
import { readManifestFolder } from '../../../core/kubernetes/manifests';
import type { FleetSnapshot, PdbInfo } from '../../../core/kubernetes/model';
import { MANIFESTS, rejection } from './helpers';
import { Gi, checkoutRecommendations, ledgerHpaRecommendation, resources } from './recommendations';

const CHECKOUT = { namespace: 'shop', kind: 'Deployment', name: 'checkout' };

function documentsOf(file: ExportFile | undefined): Array<Record<string, unknown>> {
  expect(file).toBeDefined();
  return parseAllDocuments(file?.content ?? '').map((document) => {
    expect(document.errors).toEqual([]);
    return document.toJS() as Record<string, unknown>;
  });
}

function fileAt(files: ExportFile[], path: string): ExportFile | undefined {
  return files.find((file) => file.path === path);
}

/** The raw objects of the fixture's checkout.yaml, as `kubectl get -o yaml` or a folder would give them. */
function checkoutObjects(): Array<Record<string, unknown>> {
  return parseAllDocuments(readFileSync(join(MANIFESTS, 'shop', 'checkout.yaml'), 'utf8')).map(
    (document) => document.toJS() as Record<string, unknown>,
  );
}

describe('kustomizePatches', () => {
  let fleet: FleetSnapshot;
  let recommendations: Recommendation[];
  let files: ExportFile[];
  beforeAll(() => {
    fleet = readManifestFolder(MANIFESTS);
    recommendations = checkoutRecommendations(fleet);
    files = kustomizePatches(recommendations, fleet, { bases: ['../base'] });
  });

  it('writes one patch per workload, the new HPA and PDB, and kustomization.yaml', () => {
    expect(files.map((file) => file.path)).toEqual([
      'patches/shop/deployment-checkout.yaml',
      'resources/shop/hpa-checkout.yaml',
      'resources/shop/pdb-checkout.yaml',
      'kustomization.yaml',
    ]);
  });

  it('lists the bases and new files under resources and each patch with its target under patches', () => {
    const [kustomization] = documentsOf(fileAt(files, 'kustomization.yaml'));
    expect(kustomization).toEqual({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: ['../base', 'resources/shop/hpa-checkout.yaml', 'resources/shop/pdb-checkout.yaml'],
      patches: [
        {
          path: 'patches/shop/deployment-checkout.yaml',
          target: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'checkout' },
        },
      ],
    });
    expect(kustomization).not.toHaveProperty('patchesStrategicMerge');
    const paths = new Set(files.map((file) => file.path));
    const listed = [...(kustomization?.resources as string[]).slice(1), ...(kustomization?.patches as Array<{ path: string }>).map((p) => p.path)];
    for (const path of listed) expect(paths.has(path)).toBe(true);
  });

  it('patches containers by name, sidecars under initContainers, with null for a removed limit', () => {
    const [patch] = documentsOf(fileAt(files, 'patches/shop/deployment-checkout.yaml'));
    expect(patch).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'checkout', namespace: 'shop' },
      spec: {
        template: {
          spec: {
            // Every container, in order, so that kustomize keeps the order; the unchanged one by name only.
            containers: [
              {
                name: 'app',
                resources: { requests: { cpu: '350m', memory: '1536Mi' }, limits: { cpu: null, memory: '2Gi' } },
              },
              { name: 'log-shipper' },
            ],
            // The sidecar's memory is unchanged, so only its CPU is written.
            initContainers: [{ name: 'envoy', resources: { requests: { cpu: '100m' } } }],
          },
        },
      },
    });
  });

  it('warns that kustomize may reorder init containers when only the fleet model, which lacks plain ones, is known', () => {
    const content = fileAt(files, 'patches/shop/deployment-checkout.yaml')?.content ?? '';
    expect(content.split('\n')[0]).toBe(
      '# kustomize moves the init containers a patch names to the front; plain init containers are not known here, so check that initContainers keep their order.',
    );
  });

  it('names every init container in order, and warns of nothing, when the current manifest is given', () => {
    const exact = kustomizePatches(recommendations, fleet, { currentObjects: checkoutObjects() });
    const content = fileAt(exact, 'patches/shop/deployment-checkout.yaml')?.content ?? '';
    expect(content.startsWith('#')).toBe(false);
    const [patch] = documentsOf({ path: '', content });
    expect(patch).toMatchObject({
      spec: { template: { spec: { initContainers: [{ name: 'migrate' }, { name: 'envoy', resources: { requests: { cpu: '100m' } } }] } } },
    });
  });

  it('writes the HPA and PDB as valid objects in the workload namespace', () => {
    const [hpa] = documentsOf(fileAt(files, 'resources/shop/hpa-checkout.yaml'));
    const [pdb] = documentsOf(fileAt(files, 'resources/shop/pdb-checkout.yaml'));
    expect(validateKubernetesObject(hpa)).toMatchObject({ kind: 'HorizontalPodAutoscaler', metadata: { namespace: 'shop' } });
    expect(validateKubernetesObject(pdb)).toMatchObject({ kind: 'PodDisruptionBudget', metadata: { namespace: 'shop' } });
  });

  it('says in kustomization.yaml that a base is needed when none is given', () => {
    const content = fileAt(kustomizePatches(recommendations, fleet), 'kustomization.yaml')?.content ?? '';
    expect(content.split('\n')[0]).toMatch(/^# Add the folder or kustomization with the current workloads/);
    expect(documentsOf({ path: '', content })[0]?.resources).toEqual([
      'resources/shop/hpa-checkout.yaml',
      'resources/shop/pdb-checkout.yaml',
    ]);
  });

  it('writes no null for a limit that is not there to remove', () => {
    const files = kustomizePatches(
      [
        resources(
          CHECKOUT,
          'log-shipper',
          { cpu: { request: 0.05, limit: null }, memory: { request: 64 * 1024 ** 2, limit: null } },
          { cpu: { request: 0.1, limit: null }, memory: { request: 64 * 1024 ** 2, limit: null } },
        ),
      ],
      fleet,
    );
    expect(fileAt(files, 'patches/shop/deployment-checkout.yaml')?.content).not.toContain('null');
  });

  it('without a fleet, works from the recommendations alone and says the container order is unknown', () => {
    const files = kustomizePatches(recommendations.slice(0, 1), null);
    const patchFile = fileAt(files, 'patches/shop/deployment-checkout.yaml');
    expect(patchFile?.content).toMatch(/^# The workload's containers were not known/);
    const [patch] = documentsOf(patchFile);
    expect(patch).toMatchObject({ spec: { template: { spec: { containers: [{ name: 'app' }] } } } });
  });

  it('refuses a container the workload does not have', () => {
    const wrong = resources(CHECKOUT, 'api', recommendations[0]?.current as Recommendation['current'], recommendations[0]?.proposed as Recommendation['proposed']);
    const error = rejection(() => kustomizePatches([wrong], fleet));
    expect(error.field).toBe('recommendations[0].container');
    expect(error.value).toBe('api');
  });

  it('refuses a request above the limit the container keeps', () => {
    const above = resources(
      CHECKOUT,
      'app',
      { cpu: { request: 1, limit: 2 }, memory: { request: 2 * Gi, limit: 3 * Gi } },
      { cpu: { request: 2.5, limit: 2 }, memory: { request: 2 * Gi, limit: 3 * Gi } },
    );
    const error = rejection(() => kustomizePatches([above], fleet));
    expect(error.field).toBe('recommendations[0].proposed.cpu.request');
    expect(error.value).toBe(2.5);
  });

  describe('refuses recommendations whose manifest does not fit them', () => {
    const byKind = (kind: string): Recommendation =>
      recommendations.find((recommendation) => recommendation.kind === kind) as Recommendation;
    // The checkout PDB, selecting by a label that ledger's pods do not have.
    const teamPdb = (): string =>
      byKind('pdb')
        .manifest.replace('app.kubernetes.io/component: api\n', '')
        .replace('app.kubernetes.io/name: checkout', 'team: payments');
    const cases: Array<[string, () => Recommendation, keyof ManifestError, unknown]> = [
      ['a target that is not a workload', () => ({ ...byKind('hpa'), target: { ...CHECKOUT, kind: 'CronJob' } }), 'field', 'recommendations[0].target.kind'],
      ['an HPA scaling another workload', () => ({ ...byKind('hpa'), target: { ...CHECKOUT, name: 'ledger' } }), 'field', 'recommendations[0].manifest: spec.scaleTargetRef'],
      ['two documents', () => ({ ...byKind('hpa'), manifest: `${byKind('hpa').manifest}---\n${byKind('pdb').manifest}` }), 'value', expect.stringContaining('---')],
      ['a PDB recommended as an HPA', () => ({ ...byKind('pdb'), kind: 'hpa' }), 'value', 'PodDisruptionBudget'],
      ['another namespace', () => ({ ...byKind('pdb'), target: { ...CHECKOUT, namespace: 'other' } }), 'value', 'shop'],
      ['a PDB missing the pods', () => ({ ...byKind('pdb'), target: { ...CHECKOUT, kind: 'StatefulSet', name: 'ledger' }, manifest: teamPdb() }), 'field', 'recommendations[0].manifest: spec.selector'],
      ['an invalid HPA', () => ({ ...byKind('hpa'), manifest: byKind('hpa').manifest.replace('minReplicas: 3', 'minReplicas: 30') }), 'field', 'spec.maxReplicas'],
    ];
    it.each(cases)('%s', (_, recommendation, property, expected) => {
      expect(rejection(() => kustomizePatches([recommendation()], fleet))[property]).toEqual(expected);
    });
  });

  describe("replacing the workload's current HPA or PDB", () => {
    it('writes a proposal for a workload that has an HPA as a patch replacing its spec, under the current name', () => {
      const overlay = kustomizePatches([ledgerHpaRecommendation()], fleet);
      expect(overlay.map((file) => file.path)).toEqual(['patches/shop/hpa-ledger-readers.yaml', 'kustomization.yaml']);
      const [patch] = documentsOf(fileAt(overlay, 'patches/shop/hpa-ledger-readers.yaml'));
      expect(patch?.metadata).toMatchObject({ name: 'ledger-readers', namespace: 'shop' });
      expect(patch?.spec).toMatchObject({ $patch: 'replace', minReplicas: 2, maxReplicas: 9 });
      expect(fileAt(overlay, 'patches/shop/hpa-ledger-readers.yaml')?.content).toContain('spec:\n  $patch: replace\n');
      const [kustomization] = documentsOf(fileAt(overlay, 'kustomization.yaml'));
      expect(kustomization?.patches).toEqual([
        {
          path: 'patches/shop/hpa-ledger-readers.yaml',
          target: { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler', namespace: 'shop', name: 'ledger-readers' },
        },
      ]);
    });

    it('names the per-workload file’s HPA after the one it replaces, so kubectl apply updates it', () => {
      const [file] = perWorkloadFiles([ledgerHpaRecommendation()], fleet);
      expect(documentsOf(file)[0]?.metadata).toMatchObject({ name: 'ledger-readers' });
    });

    it('adds the HPA as new, with a warning, when HPAs could not be read', () => {
      const blind = { ...fleet, hpas: [], unreadable: ['horizontalpodautoscalers' as const] };
      const overlay = kustomizePatches([ledgerHpaRecommendation()], blind);
      expect(fileAt(overlay, 'resources/shop/hpa-ledger.yaml')?.content).toMatch(
        /^# HPAs could not be read: if StatefulSet ledger already has one, replace it with this one rather than add a second.\n/,
      );
    });

    it('refuses a name taken by the HPA of another workload', () => {
      const checkoutHpa = recommendations.find((recommendation) => recommendation.kind === 'hpa') as Recommendation;
      const manifest = checkoutHpa.manifest.replace('name: checkout\n  namespace', 'name: ledger-readers\n  namespace');
      expect(manifest).toContain('name: ledger-readers');
      const error = rejection(() => kustomizePatches([{ ...checkoutHpa, manifest }], fleet));
      expect(error.value).toBe('ledger-readers');
      expect(error.message).toContain('is taken by the HPA of another workload');
    });

    it('replaces a PDB of the same name that selects none of the workloads (a selector typo) instead of refusing', () => {
      const typo: PdbInfo = {
        namespace: 'shop',
        name: 'checkout',
        uid: null,
        selector: { matchLabels: { tier: 'no-such-tier' } },
        minAvailable: null,
        maxUnavailable: { type: 'count', value: 1 },
        disruptionsAllowed: null,
        currentHealthy: null,
        desiredHealthy: null,
        expectedPods: null,
        origin: null,
      };
      const withTypo = { ...fleet, pdbs: [...fleet.pdbs, typo] };
      const pdb = recommendations.find((recommendation) => recommendation.kind === 'pdb') as Recommendation;
      const overlay = kustomizePatches([pdb], withTypo);
      expect(overlay.map((file) => file.path)).toEqual(['patches/shop/pdb-checkout.yaml', 'kustomization.yaml']);
      expect(documentsOf(fileAt(overlay, 'patches/shop/pdb-checkout.yaml'))[0]?.spec).toMatchObject({ $patch: 'replace', maxUnavailable: 1 });
      expect(perWorkloadFiles([pdb], withTypo)[0]?.content).toMatch(/^# Replaces PDB checkout, which selects none of the namespace's workloads\.\n/);
    });

    it('refuses to pick one of several PDBs to replace', () => {
      const twoPdbs = {
        ...fleet,
        workloads: fleet.workloads.map((workload) =>
          workload.name === 'checkout' ? { ...workload, pdbs: ['checkout-a', 'checkout-b'] } : workload,
        ),
      };
      const pdb = recommendations.find((recommendation) => recommendation.kind === 'pdb') as Recommendation;
      expect(rejection(() => kustomizePatches([pdb], twoPdbs)).value).toEqual(['checkout-a', 'checkout-b']);
    });

    it('refuses to replace an autoscaling/v1 HPA with a v2 spec', () => {
      const v1 = { ...fleet, hpas: fleet.hpas.map((hpa) => ({ ...hpa, apiVersion: 'autoscaling/v1' })) };
      const error = rejection(() => kustomizePatches([ledgerHpaRecommendation()], v1));
      expect(error.message).toContain('convert it to autoscaling/v2 first');
    });
  });

  // kubectl embeds kustomize (v5 in kubectl 1.27 and later); it is not one of the project's packages, so this
  // check runs where kubectl is on PATH and is skipped elsewhere.
  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
  describe.skipIf(!kubectl)('built by the real kustomize (kubectl kustomize)', () => {
    let folder: string;
    beforeAll(() => {
      folder = mkdtempSync(join(tmpdir(), 'headroom-kustomize-'));
      mkdirSync(join(folder, 'base'));
      cpSync(join(MANIFESTS, 'shop', 'checkout.yaml'), join(folder, 'base', 'checkout.yaml'));
      writeFileSync(join(folder, 'base', 'kustomization.yaml'), 'resources:\n  - checkout.yaml\n');
    });
    afterAll(() => rmSync(folder, { recursive: true, force: true }));

    function build(overlay: ExportFile[], name: string): Array<Record<string, unknown>> {
      for (const file of overlay) {
        const path = join(folder, name, file.path);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, file.content);
      }
      const built = spawnSync('kubectl', ['kustomize', join(folder, name)], { encoding: 'utf8' });
      expect(built.stderr).toBe('');
      expect(built.status).toBe(0);
      return parseAllDocuments(built.stdout).map((document) => document.toJS() as Record<string, unknown>);
    }

    it('gives the same Deployment as applyResourcesPatch, and adds the HPA and PDB', () => {
      const overlay = kustomizePatches(recommendations, fleet, { bases: ['../base'], currentObjects: checkoutObjects() });
      const objects = build(overlay, 'exact');
      const byKind = (kind: string): Record<string, unknown> | undefined => objects.find((object) => object.kind === kind);
      const current = checkoutObjects().find((object) => object.kind === 'Deployment') as unknown as IDeployment;
      const [patch] = documentsOf(fileAt(overlay, 'patches/shop/deployment-checkout.yaml'));
      expect(byKind('Deployment')).toEqual(applyResourcesPatch(current, patch as never));
      expect(byKind('HorizontalPodAutoscaler')).toEqual(documentsOf(fileAt(overlay, 'resources/shop/hpa-checkout.yaml'))[0]);
      expect(byKind('PodDisruptionBudget')).toEqual(documentsOf(fileAt(overlay, 'resources/shop/pdb-checkout.yaml'))[0]);
      expect(byKind('Service')).toBeDefined();
    });

    it("replaces the current HPA's spec entirely and keeps its name", () => {
      writeFileSync(join(folder, 'base', 'ledger.yaml'), readFileSync(join(MANIFESTS, 'shop', 'ledger.yaml')));
      writeFileSync(join(folder, 'base', 'kustomization.yaml'), 'resources:\n  - checkout.yaml\n  - ledger.yaml\n');
      const overlay = kustomizePatches([ledgerHpaRecommendation()], fleet, { bases: ['../base'] });
      const hpa = build(overlay, 'hpa').find((object) => object.kind === 'HorizontalPodAutoscaler');
      const proposed = parseAllDocuments(ledgerHpaRecommendation().manifest)[0]?.toJS() as Record<string, unknown>;
      expect(hpa?.metadata).toEqual({ ...(proposed.metadata as object), name: 'ledger-readers' });
      expect(hpa?.spec).toEqual(proposed.spec);
    });

    it('moves a sidecar ahead of a plain init container when the patch cannot name both, as the warning says', () => {
      const objects = build(files, 'model-only');
      const deployment = objects.find((object) => object.kind === 'Deployment') as unknown as IDeployment;
      expect(deployment.spec?.template.spec?.initContainers?.map((container) => container.name)).toEqual(['envoy', 'migrate']);
      expect(deployment.spec?.template.spec?.containers.map((container) => container.name)).toEqual(['app', 'log-shipper']);
    });
  });
});

describe('perWorkloadFiles', () => {
  let fleet: FleetSnapshot;
  let recommendations: Recommendation[];
  beforeAll(() => {
    fleet = readManifestFolder(MANIFESTS);
    recommendations = checkoutRecommendations(fleet);
  });

  it('writes the full Deployment with its new resources when its current manifest is given, then its HPA and PDB', () => {
    const fromCluster = checkoutObjects().map((object) =>
      object.kind === 'Deployment'
        ? {
            ...object,
            metadata: {
              ...(object.metadata as object),
              uid: '6a1b',
              resourceVersion: '4711',
              generation: 7,
              annotations: { 'deployment.kubernetes.io/revision': '7', 'team.example/owner': 'payments' },
            },
            status: { replicas: 4, readyReplicas: 4 },
          }
        : object,
    );
    const files = perWorkloadFiles(recommendations, fleet, fromCluster);
    expect(files.map((file) => file.path)).toEqual(['shop/deployment-checkout.yaml']);
    const [deployment, hpa, pdb] = documentsOf(files[0]);
    expect(hpa?.kind).toBe('HorizontalPodAutoscaler');
    expect(pdb?.kind).toBe('PodDisruptionBudget');
    expect(validateKubernetesObject(deployment)).toBeDefined();
    expect(deployment).not.toHaveProperty('status');
    expect(deployment?.metadata).toEqual({
      name: 'checkout',
      namespace: 'shop',
      labels: { 'app.kubernetes.io/name': 'checkout' },
      annotations: { 'team.example/owner': 'payments' },
    });
    const podSpec = (deployment as unknown as IDeployment).spec?.template.spec;
    expect(podSpec?.containers.find((c) => c.name === 'app')?.resources).toEqual({
      requests: { cpu: '350m', memory: '1536Mi', 'ephemeral-storage': '1Gi' },
      limits: { memory: '2Gi', 'ephemeral-storage': '2Gi' },
    });
    expect(podSpec?.containers.find((c) => c.name === 'app')?.image).toBe('registry.example/checkout:2.3');
    expect(podSpec?.initContainers?.map((c) => c.name)).toEqual(['migrate', 'envoy']);
  });

  it('writes the patch, and says so, when the current manifest is not given', () => {
    const [file] = perWorkloadFiles(recommendations, fleet);
    expect(file?.content.split('\n')[0]).toMatch(/^# The current Deployment was not available: this is a strategic merge patch/);
    const [patch, hpa, pdb] = documentsOf(file);
    expect(patch).toMatchObject({
      kind: 'Deployment',
      spec: { template: { spec: { containers: [{ name: 'app' }, { name: 'log-shipper' }] } } },
    });
    expect(patch).not.toHaveProperty('spec.selector');
    expect(file?.content.split('\n')[1]).toMatch(/^# kustomize moves the init containers/);
    expect([hpa?.kind, pdb?.kind]).toEqual(['HorizontalPodAutoscaler', 'PodDisruptionBudget']);
  });

  it('refuses a full object the new requests would make invalid', () => {
    const raised = resources(
      CHECKOUT,
      'app',
      { cpu: { request: 1, limit: 2 }, memory: { request: 2 * Gi, limit: 3 * Gi } },
      { cpu: { request: 1, limit: 2 }, memory: { request: 2.5 * Gi, limit: 3 * Gi } },
    );
    // The fleet says memory's limit is 3Gi, but the manifest given as current has 2Gi: its file has changed since.
    const edited = checkoutObjects().map((object) =>
      object.kind === 'Deployment'
        ? JSON.parse(JSON.stringify(object).replace('"memory":"3Gi"', '"memory":"2Gi"'))
        : object,
    );
    const error = rejection(() => perWorkloadFiles([raised], fleet, edited));
    expect(error.field).toBe('spec.template.spec.containers[0].resources.requests.memory');
    expect(error.value).toBe('2560Mi');
  });
});
