import { STEPS } from '../model/clock';
import type { Labels } from '../model/series-set';
import type { ContainerLife, PodLife } from '../model/workload';

/**
 * Labels Prometheus' Kubernetes service discovery puts on a pod scraped through a ServiceMonitor
 * (kube-prometheus-stack conventions): namespace, pod, container, service, endpoint, job, instance.
 */
export function podTargetLabels(pod: PodLife, container: string, port: number, job: string, endpoint: string): Labels {
  return {
    namespace: pod.workload.namespace,
    pod: pod.name,
    container,
    service: job,
    endpoint,
    job,
    instance: `${pod.ip}:${port}`,
  };
}

/**
 * A counter from a per-second rate: accumulates rate × step seconds over the steps where the
 * process is up, restarting from zero with every container incarnation (a new process).
 */
export function counterFromRate(
  ratePerSecond: (step: number) => number,
  container: ContainerLife,
  stepSeconds: number,
  integer = false,
): Float64Array {
  const out = new Float64Array(STEPS).fill(Number.NaN);
  for (const inc of container.incarnations) {
    let total = 0;
    const end = Math.min(STEPS, inc.end);
    for (let i = inc.start; i < end; i++) {
      total += Math.max(0, ratePerSecond(i)) * stepSeconds;
      out[i] = integer ? Math.floor(total) : total;
    }
  }
  return out;
}

/** A gauge over the pod's life: NaN outside it. */
export function gaugeOverLife(pod: PodLife, value: (step: number) => number): Float64Array {
  const out = new Float64Array(STEPS).fill(Number.NaN);
  for (let i = pod.start; i < Math.min(STEPS, pod.end); i++) out[i] = value(i);
  return out;
}

export function constantOverLife(pod: PodLife, value: number): Float64Array {
  return gaugeOverLife(pod, () => value);
}
