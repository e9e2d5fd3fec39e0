import type { MetricCatalog } from '../../prometheus/catalog';
import { duration, selector, type Matcher } from '../../prometheus/promql';
import type { WorkloadJoin } from '../../prometheus/workloads';
import type { CacheFacts, ConsumerGroupFacts, DatabaseFacts, ShardGroupFacts, Timeline } from '../context';
import { joinedQueries, keyOf, PART, ratioTimeline, tagged, timelineOf, type QueryRunner } from './query-kit';

/**
 * Shards, partitions, caches and the databases behind them.
 *
 *  - kafka_exporter (danielqsj): `kafka_topic_partition_current_offset{topic,partition}` (its increase is
 *    what producers wrote), `kafka_consumergroup_lag{consumergroup,topic,partition}`; the exporter's own
 *    scrape labels give the `namespace`.
 *  - redis_exporter (oliver006), one per Redis instance, usually a sidecar: `redis_commands_processed_total`,
 *    `redis_keyspace_{hits,misses}_total`; the pod maps an instance to its StatefulSet (one shard each).
 *  - postgres_exporter: `pg_stat_database_xact_commit{datname}` — a counter without `_total`.
 */
export interface DataTierOptions {
  join: Omit<WorkloadJoin, 'lookbackSeconds'>;
  global: readonly Matcher[];
  window: { start: number; end: number };
  timelineStep: number;
  /** Seconds between scrapes: cache and database timelines keep this resolution (stampedes last minutes). */
  scrapeInterval: number;
  catalog: MetricCatalog;
}

export interface DataTierFacts {
  shardGroups: ShardGroupFacts[];
  consumerGroups: ConsumerGroupFacts[];
  caches: CacheFacts[];
  databases: DatabaseFacts[];
}

async function collectKafka(runner: QueryRunner, options: DataTierOptions): Promise<Pick<DataTierFacts, 'shardGroups' | 'consumerGroups'>> {
  const g = options.global;
  const W = duration(options.window.end - options.window.start);
  const offsets = selector('kafka_topic_partition_current_offset', [], g);
  const lag = selector('kafka_consumergroup_lag', [], g);
  const instantQuery = [
    tagged(`sum by (namespace, topic, partition) (increase(${offsets}[${W}]))`, 'produced'),
    tagged(`max by (namespace, consumergroup, topic, partition) (${lag})`, 'lag'),
    tagged(`max by (namespace, consumergroup, topic, partition) (max_over_time(${lag}[${W}]))`, 'maxLag'),
  ].join(' or ');
  // Production over time sizes lag-based autoscaling (its peaks and quiet hours); each step's rate covers
  // the whole step, so no burst falls between points.
  const step = options.timelineStep;
  const P = duration(Math.max(step, 4 * options.scrapeInterval));
  const lagRange = `sum by (namespace, consumergroup, topic) (${lag})`;
  const productionRange = `sum by (namespace, topic) (rate(${offsets}[${P}]))`;
  const rangeQuery = [tagged(lagRange, 'lag'), tagged(productionRange, 'production')].join(' or ');
  const produced = new Map<string, Array<{ id: string; load: number }>>();
  const groups = new Map<string, ConsumerGroupFacts>();
  const seconds = options.window.end - options.window.start;
  for (const s of await runner.instant([instantQuery])) {
    const { namespace = '', topic = '', partition = '', consumergroup = '' } = s.labels;
    if (s.value === null) continue;
    if (s.labels[PART] === 'produced') {
      const k = `${namespace}\u0000${topic}`;
      produced.set(k, [...(produced.get(k) ?? []), { id: partition, load: s.value / seconds }]);
      continue;
    }
    const k = `${namespace}\u0000${consumergroup}\u0000${topic}`;
    let group = groups.get(k);
    if (!group) {
      group = { namespace, group: consumergroup, topic, partitions: [], lag: null, produceRate: null, production: null, query: instantQuery };
      groups.set(k, group);
    }
    let p = group.partitions.find((x) => x.partition === partition);
    if (!p) {
      p = { partition, lag: 0, maxLag: 0 };
      group.partitions.push(p);
    }
    if (s.labels[PART] === 'lag') p.lag = s.value;
    else p.maxLag = s.value;
  }
  for (const s of await runner.range([rangeQuery], step)) {
    if (s.labels[PART] === 'production') {
      const production = timelineOf(s, step, productionRange);
      for (const group of groups.values()) if (group.namespace === (s.labels.namespace ?? '') && group.topic === (s.labels.topic ?? '')) group.production = production;
      continue;
    }
    const group = groups.get(`${s.labels.namespace ?? ''}\u0000${s.labels.consumergroup ?? ''}\u0000${s.labels.topic ?? ''}`);
    if (group) group.lag = timelineOf(s, step, lagRange);
  }
  const shardGroups: ShardGroupFacts[] = [];
  for (const [k, partitions] of produced) {
    const [namespace = '', topic = ''] = k.split('\u0000');
    const total = partitions.reduce((sum, p) => sum + p.load, 0);
    const sorted = [...partitions].sort((a, b) => Number(a.id) - Number(b.id) || a.id.localeCompare(b.id));
    shardGroups.push({
      kind: 'kafka-topic',
      target: { namespace, kind: 'KafkaTopic', name: topic },
      unit: 'messages/s',
      shards: sorted.map((p) => ({ id: p.id, load: p.load, share: total > 0 ? p.load / total : 0 })),
      query: instantQuery,
    });
    for (const group of groups.values()) if (group.namespace === namespace && group.topic === topic) group.produceRate = total;
  }
  for (const group of groups.values()) group.partitions.sort((a, b) => Number(a.partition) - Number(b.partition));
  return { shardGroups, consumerGroups: [...groups.values()] };
}

async function collectRedisAndDatabases(runner: QueryRunner, options: DataTierOptions): Promise<Pick<DataTierFacts, 'shardGroups' | 'caches' | 'databases'>> {
  const g = options.global;
  const has = (name: string): boolean => options.catalog.present.includes(name);
  const w = options.window.end - options.window.start;
  const W = duration(w);
  const shardGroups: ShardGroupFacts[] = [];
  if (has('redis_commands_processed_total')) {
    const perInstance = joinedQueries([{ part: 'commands', expr: `sum by (namespace, pod) (rate(${selector('redis_commands_processed_total', [], g)}[${W}]))`, lookbackSeconds: w }], options.join, 'none');
    const byWorkload = new Map<string, Array<{ id: string; load: number; labels: Readonly<Record<string, string>> }>>();
    for (const s of await runner.instant(perInstance)) {
      if (s.value === null || !s.labels.pod) continue;
      const k = keyOf(s.labels);
      byWorkload.set(k, [...(byWorkload.get(k) ?? []), { id: s.labels.pod, load: s.value, labels: s.labels }]);
    }
    for (const instances of byWorkload.values()) {
      const labels = instances[0]?.labels ?? {};
      const total = instances.reduce((sum, i) => sum + i.load, 0);
      shardGroups.push({
        kind: 'redis',
        target: { namespace: labels.namespace ?? '', kind: labels.workload_type ?? '', name: labels.workload ?? '' },
        unit: 'commands/s',
        shards: [...instances].sort((a, b) => a.id.localeCompare(b.id)).map((i) => ({ id: i.id, load: i.load, share: total > 0 ? i.load / total : 0 })),
        query: perInstance.join('\n'),
      });
    }
  }

  // A stampede lasts minutes: at the usual ten-minute timeline step it would average away.
  const step = options.scrapeInterval;
  const lookback = options.scrapeInterval * 3;
  const R = duration(lookback);
  const parts = [];
  if (has('redis_keyspace_misses_total')) {
    parts.push(
      { part: 'hits', expr: `sum by (namespace, pod) (rate(${selector('redis_keyspace_hits_total', [], g)}[${R}]))`, lookbackSeconds: lookback },
      { part: 'misses', expr: `sum by (namespace, pod) (rate(${selector('redis_keyspace_misses_total', [], g)}[${R}]))`, lookbackSeconds: lookback },
      { part: 'commands', expr: `sum by (namespace, pod) (rate(${selector('redis_commands_processed_total', [], g)}[${R}]))`, lookbackSeconds: lookback },
    );
  }
  if (has('pg_stat_database_xact_commit')) {
    parts.push({ part: 'commits', expr: `sum by (namespace, pod, datname) (rate(${selector('pg_stat_database_xact_commit', [{ label: 'datname', op: '!~', value: 'template.*|' }], g)}[${R}]))`, lookbackSeconds: lookback });
  }
  if (parts.length === 0) return { shardGroups, caches: [], databases: [] };
  const queries = joinedQueries(parts, options.join, 'sum', ['datname']);
  const text = queries.join('\n');
  const perWorkload = new Map<string, Map<string, Timeline>>();
  const databases: DatabaseFacts[] = [];
  for (const s of await runner.range(queries, step)) {
    const part = s.labels[PART];
    const t = timelineOf(s, step, text);
    if (!part || !t) continue;
    if (part === 'commits') {
      databases.push({ target: { namespace: s.labels.namespace ?? '', kind: s.labels.workload_type ?? '', name: s.labels.workload ?? '' }, name: s.labels.datname ?? '', commits: t });
      continue;
    }
    const k = keyOf(s.labels);
    const m = perWorkload.get(k) ?? new Map<string, Timeline>();
    perWorkload.set(k, m);
    m.set(part, t);
  }
  const caches: CacheFacts[] = [];
  for (const [k, m] of perWorkload) {
    const [namespace = '', name = '', kind = ''] = k.split('\u0000');
    const hits = m.get('hits') ?? null;
    const misses = m.get('misses') ?? null;
    const missesAt = new Map((misses?.points ?? []).map((p) => [p.time, p.value ?? 0]));
    const lookups: Timeline | null =
      hits && misses ? { step, query: text, points: hits.points.map((p) => ({ time: p.time, value: p.value === null ? null : p.value + (missesAt.get(p.time) ?? 0) })) } : null;
    caches.push({ target: { namespace, kind, name }, missRatio: ratioTimeline(misses, lookups, text), commands: m.get('commands') ?? null });
  }
  return { shardGroups, caches, databases };
}

export async function collectDataTier(runner: QueryRunner, options: DataTierOptions): Promise<DataTierFacts> {
  const kafka = options.catalog.present.includes('kafka_topic_partition_current_offset') || options.catalog.present.includes('kafka_consumergroup_lag')
    ? await collectKafka(runner, options)
    : { shardGroups: [], consumerGroups: [] };
  const rest = await collectRedisAndDatabases(runner, options);
  return { shardGroups: [...kafka.shardGroups, ...rest.shardGroups], consumerGroups: kafka.consumerGroups, caches: rest.caches, databases: rest.databases };
}
