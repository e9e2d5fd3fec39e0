import { series, STEPS, STEP_SECONDS } from './clock';
import type { HpaSpec } from './workload';

export interface HpaTimeline {
  /** Replicas running at each step. */
  replicas: Int32Array;
  /** status.desiredReplicas after stabilisation. */
  desired: Int32Array;
  /** Observed average CPU utilisation in percent of the request (what the HPA acts on). */
  utilization: Float64Array;
  /** 1 where the unclamped recommendation fell outside [min, max] (condition ScalingLimited=True). */
  limited: Int8Array;
}

const TOLERANCE = 0.1;

/**
 * The HPA controller's algorithm (k8s.io/kubernetes pkg/controller/podautoscaler), one decision per
 * minute: desired = ceil(current × utilisation / target) outside a 10 % tolerance, immediate scale-up
 * (at most doubling or +4 pods), and scale-down to the highest recommendation of the stabilisation
 * window (300 s by default).
 */
export function simulateHpa(
  hpa: HpaSpec,
  /** Total CPU the workload would use at each step, in cores, before any CPU limit caps it. */
  cpuDemand: Float64Array,
  requestPerPod: number,
  limitPerPod?: number,
): HpaTimeline {
  const replicas = new Int32Array(STEPS);
  const desired = new Int32Array(STEPS);
  const utilization = series(0);
  const limited = new Int8Array(STEPS);
  const window = Math.max(1, Math.round((hpa.scaleDownStabilizationSeconds ?? 300) / STEP_SECONDS));
  const recommendations: number[] = [];
  let current = hpa.minReplicas;
  for (let i = 0; i < STEPS; i++) {
    const perPod = (cpuDemand[i] ?? 0) / current;
    const used = limitPerPod === undefined ? perPod : Math.min(perPod, limitPerPod);
    const util = (100 * used) / requestPerPod;
    utilization[i] = util;
    const ratio = util / hpa.cpuUtilization;
    const unclamped = Math.abs(ratio - 1) <= TOLERANCE ? current : Math.ceil(current * ratio);
    limited[i] = unclamped > hpa.maxReplicas || unclamped < hpa.minReplicas ? 1 : 0;
    const raw = Math.min(hpa.maxReplicas, Math.max(hpa.minReplicas, unclamped));
    recommendations.push(raw);
    if (recommendations.length > window) recommendations.shift();
    let next: number;
    if (raw > current) next = Math.min(raw, Math.max(2 * current, current + 4));
    else next = Math.min(current, Math.max(...recommendations));
    next = Math.min(hpa.maxReplicas, Math.max(hpa.minReplicas, next));
    desired[i] = next;
    replicas[i] = current;
    current = next;
  }
  return { replicas, desired, utilization, limited };
}
