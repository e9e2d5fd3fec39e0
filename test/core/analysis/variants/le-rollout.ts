/**
 * One Deployment whose `le` labels change spelling half-way through the window. The old ReplicaSet is a
 * Go build (client_golang writes bounds with strconv's 'g' format: "1", "5", "10"); the new one runs on
 * the JVM after a rewrite that kept the metric names (client_java simpleclient 0.16 writes Java's
 * Double.toString: "1.0", "5.0", "10.0") — the same strings Prometheus 3 writes for every classic
 * histogram, so a long-term store that spans a Prometheus upgrade holds both kinds too.
 *
 * The pods of both ReplicaSets overlap for a minute, then the old ones are gone. Latency is set so the
 * p99 lies near 1 s, where the two spellings meet.
 */
import { Random } from '../../../lab/model/random';
import { cellSeries, deploymentPods, ownerSeries, playTraffic, TIMES, WINDOW, type VariantFleet } from './fleet';
import { goService, goTruth, scrapeCounterSeries, GO_DEF_BUCKETS } from './promhttp';

/** Java's Double.toString of Go's DefBuckets. */
export const JAVA_DEF_BUCKETS = GO_DEF_BUCKETS.map((le) => (le.includes('.') ? le : `${le}.0`));
/** The new pods start half-way through the window; the old ones stop a minute later. */
export const ROLLOUT = WINDOW.start + 1800;

export function leRolloutFleet(seed = 'le-rollout'): VariantFleet {
  const random = new Random(seed);
  const old = deploymentPods(random, 'search', 'search', 2);
  const next = deploymentPods(random, 'search', 'search', 2);
  const played = goService({
    namespace: 'search',
    name: 'search',
    kind: 'Deployment',
    handler: '/query',
    pods: [...old.map((o) => ({ name: o.pod, to: ROLLOUT + 60 })), ...next.map((o) => ({ name: o.pod, le: JAVA_DEF_BUCKETS, from: ROLLOUT }))],
    rps: 6,
    codes: [{ code: '500', share: 0.01 }],
    median: 0.35,
    sigma: 0.45,
  });
  playTraffic(random, [played.traffic]);
  // kube-state-metrics keeps reporting an owner only while the pod exists.
  const owners = ownerSeries([...old, ...next]).map((s) => {
    const pod = s.labels.pod;
    const life = played.service.pods.find((p) => p.name === pod);
    return life ? { ...s, samples: s.samples.filter(([t]) => t >= (life.from ?? -Infinity) && t <= (life.to ?? Infinity)) } : s;
  });
  return { series: [...cellSeries(played.traffic.cells), ...scrapeCounterSeries(played, TIMES), ...owners], services: [goTruth(played)] };
}
