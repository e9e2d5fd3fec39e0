import { beforeAll, describe, expect, it } from 'vitest';
import type { Recommendation } from '../../../core/api/report';
import { DEFAULT_PRICES, HOURS_PER_MONTH, savingsSummary } from '../../../core/export/savings';
import { readManifestFolder } from '../../../core/kubernetes/manifests';
import type { FleetSnapshot, NodeInfo, PodInfo } from '../../../core/kubernetes/model';
import { MANIFESTS, rejection } from './helpers';
import { Gi, Mi, checkoutRecommendations, resources } from './recommendations';

const LEDGER = { namespace: 'shop', kind: 'StatefulSet', name: 'ledger' };
const AGENT = { namespace: 'shop', kind: 'DaemonSet', name: 'node-agent' };

/** Every number in `value`, however deep. */
function numbersIn(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  if (typeof value !== 'object' || value === null) return [];
  return Object.values(value).flatMap(numbersIn);
}

function node(name: string, overrides: Partial<NodeInfo> = {}): NodeInfo {
  const capacity = { cpu: 8, memory: 32 * Gi, pods: 110 };
  return { name, labels: {}, allocatable: capacity, capacity, unschedulable: false, ready: true, ...overrides };
}

function agentPod(name: string): PodInfo {
  return {
    namespace: 'shop',
    name,
    uid: null,
    labels: { app: 'node-agent' },
    nodeName: null,
    phase: 'Running',
    owner: { kind: 'DaemonSet', name: 'node-agent' },
    containers: [],
    containerStates: [],
  };
}

describe('savingsSummary', () => {
  let fleet: FleetSnapshot;
  let checkout: Recommendation[];
  beforeAll(() => {
    fleet = readManifestFolder(MANIFESTS);
    // Without the HPA recommendation, so checkout keeps its fixed 4 replicas.
    checkout = checkoutRecommendations(fleet).filter((recommendation) => recommendation.kind !== 'hpa');
  });

  it('multiplies per-pod requests by spec.replicas and prices them per month', () => {
    const summary = savingsSummary(checkout, fleet);
    const [workload] = summary.workloads;
    expect(workload).toMatchObject({ replicas: 4, replicaBasis: 'spec', replicaNote: 'spec.replicas', notes: [] });
    // Per pod: app 1 → 0.35 cores and 2 → 1.5 GiB; envoy 0.5 → 0.1 cores; log-shipper unchanged (0.05, 64 MiB).
    expect(workload?.perPod.cpuCores.before).toBeCloseTo(1.55, 12);
    expect(workload?.perPod.cpuCores.after).toBeCloseTo(0.5, 12);
    expect(workload?.perPod.memoryGiB.before).toBeCloseTo(2 + 0.125 + 0.0625, 12);
    expect(workload?.perPod.memoryGiB.after).toBeCloseTo(1.5 + 0.125 + 0.0625, 12);
    expect(workload?.total?.cpuCores).toEqual({ before: expect.closeTo(6.2, 12), after: expect.closeTo(2, 12), saved: expect.closeTo(4.2, 12) });
    expect(workload?.total?.memoryGiB.saved).toBeCloseTo(2, 12);
    const saved = (4.2 * 0.031611 + 2 * 0.004237) * 730;
    expect(workload?.total?.monthlyCost.saved).toBeCloseTo(saved, 9);
    expect(summary.total.monthlyCost.saved).toBeCloseTo(saved, 9);
    expect(summary.prices).toBe(DEFAULT_PRICES);
    expect(summary.hoursPerMonth).toBe(HOURS_PER_MONTH);
    expect(summary.notes).toEqual([]);
  });

  it('uses the average replicas of an HPA-managed workload when given, and says so', () => {
    const recommendation = resources(
      LEDGER,
      'db',
      { cpu: { request: 2, limit: null }, memory: { request: 8 * Gi, limit: null } },
      { cpu: { request: 1.5, limit: null }, memory: { request: 6 * Gi, limit: null } },
    );
    const summary = savingsSummary([recommendation], fleet, {
      averageReplicas: (target) => (target.name === 'ledger' ? 4.5 : null),
    });
    expect(summary.workloads[0]).toMatchObject({ replicas: 4.5, replicaBasis: 'hpa-average' });
    expect(summary.total.cpuCores.saved).toBeCloseTo(0.5 * 4.5, 12);
    expect(summary.total.memoryGiB.saved).toBeCloseTo(2 * 4.5, 12);
  });

  it("falls back to the HPA's minReplicas, a floor, without an average (or with a useless one)", () => {
    const recommendation = resources(
      LEDGER,
      'db',
      { cpu: { request: 2, limit: null }, memory: { request: 8 * Gi, limit: null } },
      { cpu: { request: 1.5, limit: null }, memory: { request: 8 * Gi, limit: null } },
    );
    for (const averageReplicas of [undefined, () => Number.NaN, () => 0]) {
      const summary = savingsSummary([recommendation], fleet, { averageReplicas });
      expect(summary.workloads[0]).toMatchObject({ replicas: 3, replicaBasis: 'hpa-min' });
      expect(summary.workloads[0]?.replicaNote).toContain('a floor');
      expect(summary.total.cpuCores.saved).toBeCloseTo(1.5, 12);
    }
  });

  it('counts a workload that gets its first HPA at the proposed minReplicas', () => {
    const summary = savingsSummary(checkoutRecommendations(fleet), fleet);
    expect(summary.workloads[0]).toMatchObject({ replicas: 3, replicaBasis: 'hpa-min' });
    expect(summary.workloads[0]?.total?.cpuCores.saved).toBeCloseTo(1.05 * 3, 12);
  });

  it('counts a DaemonSet by its pods, else by schedulable nodes, else leaves it out of the total', () => {
    const recommendation = resources(
      AGENT,
      'agent',
      { cpu: { request: 0.2, limit: null }, memory: { request: 256 * Mi, limit: null } },
      { cpu: { request: 0.1, limit: null }, memory: { request: 128 * Mi, limit: null } },
    );
    const withPods = { ...fleet, pods: [agentPod('node-agent-a1b2c'), agentPod('node-agent-d3e4f')] };
    expect(savingsSummary([recommendation], withPods).workloads[0]).toMatchObject({ replicas: 2, replicaBasis: 'daemonset-pods' });

    const withNodes = { ...fleet, nodes: [node('a'), node('b'), node('c'), node('cordoned', { unschedulable: true }), node('down', { ready: false })] };
    expect(savingsSummary([recommendation], withNodes).workloads[0]).toMatchObject({ replicas: 3, replicaBasis: 'nodes' });

    const unknown = savingsSummary([recommendation, ...checkout], fleet);
    const agent = unknown.workloads.find((workload) => workload.target.name === 'node-agent');
    expect(agent).toMatchObject({ replicas: null, replicaBasis: 'unknown', total: null });
    expect(agent?.perPod.cpuCores.saved).toBeCloseTo(0.1, 12);
    expect(unknown.total.cpuCores.saved).toBeCloseTo(4.2, 12);
    expect(unknown.notes).toEqual([
      'shop/DaemonSet/node-agent is not in the total: its replica count is unknown (neither its pods nor the nodes were read).',
    ]);
  });

  it('leaves out a workload the fleet does not have', () => {
    const elsewhere = resources(
      { namespace: 'other', kind: 'Deployment', name: 'api' },
      'app',
      { cpu: { request: 1, limit: null }, memory: { request: Gi, limit: null } },
      { cpu: { request: 0.5, limit: null }, memory: { request: Gi, limit: null } },
    );
    expect(savingsSummary([elsewhere], fleet).workloads[0]).toMatchObject({ replicas: null, replicaBasis: 'unknown', total: null });
    expect(savingsSummary([elsewhere], null).workloads[0]?.replicaNote).toBe('the workload is not in the fleet');
  });

  it('counts an unset request as its limit, as Kubernetes does, else as 0, and says so', () => {
    const limitOnly = resources(
      { namespace: 'shop', kind: 'Deployment', name: 'checkout' },
      'app',
      { cpu: { request: null, limit: 2 }, memory: { request: null, limit: null } },
      { cpu: { request: 0.5, limit: null }, memory: { request: Gi, limit: null } },
    );
    const [workload] = savingsSummary([limitOnly], fleet).workloads;
    expect(workload?.perPod.cpuCores).toEqual({ before: 2, after: 0.5, saved: 1.5 });
    expect(workload?.perPod.memoryGiB).toEqual({ before: 0, after: 1, saved: -1 });
    expect(workload?.notes).toEqual([
      'Container app: CPU request not set: counted as its limit, which Kubernetes uses as the request',
      'Container app: memory request not set: counted as 0 (a LimitRange default may apply in the cluster)',
    ]);
  });

  it('never puts NaN or Infinity in its output: a recommendation holding one is left out, with a note', () => {
    const broken = resources(
      { namespace: 'shop', kind: 'Deployment', name: 'checkout' },
      'app',
      { cpu: { request: Number.NaN, limit: null }, memory: { request: Gi, limit: null } },
      { cpu: { request: Number.POSITIVE_INFINITY, limit: null }, memory: { request: Gi, limit: null } },
    );
    const summary = savingsSummary([broken, ...checkout.slice(1)], fleet);
    expect(numbersIn(summary).every(Number.isFinite)).toBe(true);
    expect(summary.workloads[0]?.notes).toEqual(['Container app: left out, its recommendation holds a number that is not finite.']);
  });

  it('uses the prices it is given, and refuses prices that are not prices', () => {
    const prices = { cpuPerCoreHour: 0.04, memoryPerGiBHour: 0.005, currency: 'EUR', source: 'our 2026 contract' };
    const summary = savingsSummary(checkout, fleet, { prices });
    expect(summary.total.monthlyCost.saved).toBeCloseTo((4.2 * 0.04 + 2 * 0.005) * 730, 9);
    expect(summary.prices).toEqual(prices);
    const error = rejection(() => savingsSummary(checkout, fleet, { prices: { ...prices, memoryPerGiBHour: Number.NaN } }));
    expect(error.field).toBe('prices.memoryPerGiBHour');
  });

  it('is empty, not NaN, for no recommendations', () => {
    const summary = savingsSummary([], fleet);
    expect(summary.workloads).toEqual([]);
    expect(summary.total.monthlyCost).toEqual({ before: 0, after: 0, saved: 0 });
  });
});
