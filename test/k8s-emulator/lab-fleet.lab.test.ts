import { join } from 'node:path';
import { AppsV1Api, AutoscalingV2Api, CoreV1Api, KubeConfig, PolicyV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createClusterReader } from '../../core/kubernetes/cluster';
import { loadKubeconfig, selectContext } from '../../core/kubernetes/kubeconfig';
import { createManifestReader } from '../../core/kubernetes/manifests';
import type { FleetSnapshot } from '../../core/kubernetes/model';
import { K8sEmulator } from './emulator';
import { temporaryFolder } from './helpers';

/** The emulator serves the lab's fleet to the real client-node, and Headroom reads it the same way it reads git. */
const lab = inject('lab');
let k8s: K8sEmulator;
let kubeconfig: string;

beforeAll(async () => {
  k8s = await K8sEmulator.start({ folders: [lab.build.clusterDir] });
  kubeconfig = k8s.writeKubeconfig(join(temporaryFolder('lab-fleet-'), 'config')).path;
});

afterAll(async () => {
  await k8s.close();
});

describe('the lab fleet through the Kubernetes API emulator', () => {
  it('answers client-node list calls for every kind the lab writes, with paging', async () => {
    const config = new KubeConfig();
    config.loadFromFile(kubeconfig);
    const apps = config.makeApiClient(AppsV1Api);
    const deployments = await apps.listDeploymentForAllNamespaces();
    expect(deployments.items.map((d) => `${d.metadata?.namespace}/${d.metadata?.name}`)).toContain('checkout/order');
    const firstPage = await config.makeApiClient(CoreV1Api).listPodForAllNamespaces({ limit: 10 });
    expect(firstPage.items).toHaveLength(10);
    expect(firstPage.metadata?._continue).toBeTruthy();
    const hpas = await config.makeApiClient(AutoscalingV2Api).listHorizontalPodAutoscalerForAllNamespaces();
    expect(hpas.items.map((h) => h.metadata?.name).sort()).toEqual(['frontend', 'inventory', 'notifications', 'order']);
    const pdbs = await config.makeApiClient(PolicyV1Api).listPodDisruptionBudgetForAllNamespaces();
    expect(pdbs.items.length).toBeGreaterThan(5);
    expect(k8s.writeRequests()).toEqual([]);
  });

  it('gives the same fleet from the cluster as from the git manifests', async () => {
    const selected = selectContext(loadKubeconfig({ file: kubeconfig }));
    const live = await createClusterReader(selected).readSnapshot();
    const git = await createManifestReader(lab.build.manifestsDir).readSnapshot();
    const names = (s: FleetSnapshot): string[] => s.workloads.map((w) => `${w.kind}/${w.namespace}/${w.name}`).sort();
    expect(names(live)).toEqual(names(git));
    expect(live.pods.length).toBeGreaterThan(30);
    const workload = (s: FleetSnapshot, ns: string, name: string): FleetSnapshot['workloads'][number] | undefined =>
      s.workloads.find((w) => w.namespace === ns && w.name === name);
    for (const snapshot of [live, git]) {
      // The injected missing-PDB cases: none at all, and one whose selector matches nothing.
      expect(workload(snapshot, 'fulfilment', 'shipping')?.pdbs).toEqual([]);
      expect(workload(snapshot, 'storefront', 'inventory')?.pdbs).toEqual([]);
      expect(workload(snapshot, 'storefront', 'frontend')?.pdbs).toEqual(['frontend']);
      expect(workload(snapshot, 'checkout', 'order')?.hpas).toEqual(['order']);
    }
    const order = live.pods.filter((p) => p.namespace === 'checkout' && p.owner?.name === 'order');
    expect(order.length).toBeGreaterThanOrEqual(3);
    expect(k8s.writeRequests()).toEqual([]);
  });
});
