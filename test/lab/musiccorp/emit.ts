import { emitCadvisor } from '../exporters/cadvisor';
import { emitKafkaExporter, emitPgbouncerExporter, emitPostgresExporter, emitRedisExporter } from '../exporters/datastores';
import { emitHttpService, httpTarget, type HttpTruth } from '../exporters/http';
import { emitKubeStateMetrics } from '../exporters/kube-state-metrics';
import { emitGoSql, emitHikari } from '../exporters/pools';
import { Targets } from '../exporters/targets';
import { findWorkload } from '../model/fleet';
import { Random } from '../model/random';
import { SeriesSet } from '../model/series-set';
import type { PodLife } from '../model/workload';
import type { MusicCorpWorld } from './simulate';

/** Runs every exporter over the simulated world: the samples Prometheus would have scraped. */
export function emitMusicCorp(world: MusicCorpWorld): { set: SeriesSet; http: HttpTruth[] } {
  const random = new Random('musiccorp/scrapes');
  const set = new SeriesSet();
  const targets = new Targets(random);
  const { fleet } = world;
  const pods = (ns: string, name: string): PodLife[] => findWorkload(fleet, ns, name).pods;

  const http = world.http.map((model) => emitHttpService(set, model, pods(model.workload.namespace, model.workload.name), targets));
  const modelOf = (ns: string, name: string): MusicCorpWorld['http'][number] => {
    const model = world.http.find((m) => m.workload.namespace === ns && m.workload.name === name);
    if (!model) throw new Error(`no HTTP model for ${ns}/${name}`);
    return model;
  };

  const order = modelOf('checkout', 'order');
  for (const pod of pods('checkout', 'order')) {
    const pool = world.hikari.get(pod.uid);
    if (pool) emitHikari(set, pod, 'order', httpTarget(order, pod, targets), { application: 'order', pool: 'HikariPool-1' }, pool);
  }
  for (const [ns, name] of [['storefront', 'catalog'], ['fulfilment', 'shipping']] as const) {
    const model = modelOf(ns, name);
    for (const pod of pods(ns, name)) {
      const stats = world.goSql.get(pod.uid);
      if (stats) emitGoSql(set, pod, name, httpTarget(model, pod, targets), stats.dbName, stats.pool);
    }
  }

  const postgres = pods('data', 'postgres')[0];
  if (postgres) {
    emitPostgresExporter(set, postgres, targets.pod(postgres, 'postgres-exporter', 9187, 'postgres', 'metrics'), 'localhost:5432', world.postgres.maxConnections, world.postgres.databases);
  }
  for (const pod of pods('data', 'pgbouncer')) {
    emitPgbouncerExporter(set, pod, targets.pod(pod, 'pgbouncer-exporter', 9127, 'pgbouncer', 'metrics'), 1000, world.pgbouncer.get(pod.uid) ?? []);
  }
  for (const name of ['redis-cache', 'redis-sessions']) {
    for (const pod of pods('data', name)) {
      const redis = world.redis.get(pod.uid);
      if (redis) emitRedisExporter(set, pod, targets.pod(pod, 'redis-exporter', 9121, name, 'metrics'), redis);
    }
  }
  const kafkaExporter = pods('kafka', 'kafka-exporter')[0];
  if (kafkaExporter) {
    emitKafkaExporter(set, kafkaExporter, targets.pod(kafkaExporter, 'kafka-exporter', 9308, 'kafka-exporter', 'metrics'), world.kafka.brokers, world.kafka.topics, world.kafka.groups);
  }

  emitCadvisor(set, fleet.workloads.flatMap((w) => w.pods), fleet.usage, random);
  emitKubeStateMetrics(set, fleet, random);
  return { set, http };
}
