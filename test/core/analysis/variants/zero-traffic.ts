/**
 * A service that served requests before the window and none during it: its promhttp series (see
 * promhttp.ts) exist all along with non-zero values that never move — the client library keeps exporting
 * what it counted since the process started. Next to it, a busy service, so the analysis has something
 * to compare with.
 */
import { Random } from '../../../lab/model/random';
import { cellSeries, deploymentPods, ownerSeries, playTraffic, TIMES, type VariantFleet } from './fleet';
import { goService, goTruth, scrapeCounterSeries } from './promhttp';

export function zeroTrafficFleet(seed = 'zero-traffic'): VariantFleet {
  const random = new Random(seed);
  const idlePods = deploymentPods(random, 'reporting', 'reports', 2);
  const busyPods = deploymentPods(random, 'reporting', 'exporter', 1);
  const idle = goService({ namespace: 'reporting', name: 'reports', kind: 'Deployment', handler: '/monthly', pods: idlePods.map((p) => ({ name: p.pod })), rps: 0, codes: [{ code: '500', share: 0.05 }], median: 0.8 });
  const busy = goService({ namespace: 'reporting', name: 'exporter', kind: 'Deployment', handler: '/export', pods: busyPods.map((p) => ({ name: p.pod })), rps: 3, codes: [{ code: '500', share: 0.01 }], median: 0.05 });
  // What the idle pods counted before the history starts: their series start above zero and stay there.
  for (const cell of idle.traffic.cells) {
    for (let i = 0; i < 40; i++) {
      const seconds = 0.2 + random.next() * 2;
      for (const h of cell.histograms) h.observe(seconds);
      for (const c of cell.counters) c.add(1);
    }
  }
  playTraffic(random, [idle.traffic, busy.traffic]);
  return {
    series: [...[idle, busy].flatMap((p) => [...cellSeries(p.traffic.cells), ...scrapeCounterSeries(p, TIMES)]), ...ownerSeries([...idlePods, ...busyPods])],
    services: [goTruth(idle), goTruth(busy)],
  };
}
