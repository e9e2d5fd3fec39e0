import { STEPS, STEP_SECONDS } from '../model/clock';
import type { Family, Labels, ScrapeTarget, SeriesSet } from '../model/series-set';
import type { PodLife } from '../model/workload';
import { gaugeOverLife } from './common';

/** Exporters of the data tier, with the metric names and labels of the real exporters. */

function counterOverLife(pod: PodLife, start: number, perSecond: (i: number) => number): Float64Array {
  const out = new Float64Array(STEPS).fill(Number.NaN);
  let total = start;
  for (let i = pod.start; i < Math.min(STEPS, pod.end); i++) {
    total += Math.max(0, perSecond(i)) * STEP_SECONDS;
    out[i] = Math.floor(total);
  }
  return out;
}

// --- prometheus-community/postgres_exporter (checked against Debian's 0.11 build) -------------------

export interface PostgresDatabase {
  name: string;
  oid: number;
  /** Connections per state at each step. */
  connections: Partial<Record<PostgresState, (step: number) => number>>;
  /** Committed transactions per second. */
  commits: (step: number) => number;
}

export const POSTGRES_STATES = ['active', 'disabled', 'fastpath function call', 'idle', 'idle in transaction', 'idle in transaction (aborted)'] as const;
export type PostgresState = (typeof POSTGRES_STATES)[number];

export function emitPostgresExporter(set: SeriesSet, pod: PodLife, target: ScrapeTarget, server: string, maxConnections: number, databases: readonly PostgresDatabase[]): void {
  const up: Family = { name: 'pg_up', type: 'gauge', help: 'Whether the last scrape of metrics from PostgreSQL was able to connect to the server (1 for yes, 0 for no).' };
  const maxConn: Family = { name: 'pg_settings_max_connections', type: 'gauge', help: 'Sets the maximum number of concurrent connections.' };
  const reserved: Family = { name: 'pg_settings_superuser_reserved_connections', type: 'gauge', help: 'Sets the number of connection slots reserved for superusers.' };
  const activity: Family = { name: 'pg_stat_activity_count', type: 'gauge', help: 'number of connections in this state' };
  // The exporter declares these counters without a _total suffix; OpenMetrics would reject them as
  // counters, so they travel as `unknown` (Prometheus keeps no type for backfilled data anyway).
  const commits: Family = { name: 'pg_stat_database_xact_commit', type: 'unknown', help: 'Number of transactions in this database that have been committed' };
  const backends: Family = { name: 'pg_stat_database_numbackends', type: 'gauge', help: 'Number of backends currently connected to this database.' };
  const s: Labels = { server };
  set.add(up, 'pg_up', {}, gaugeOverLife(pod, () => 1), target);
  set.add(maxConn, 'pg_settings_max_connections', s, gaugeOverLife(pod, () => maxConnections), target);
  set.add(reserved, 'pg_settings_superuser_reserved_connections', s, gaugeOverLife(pod, () => 3), target);
  for (const db of databases) {
    for (const state of POSTGRES_STATES) {
      const value = db.connections[state];
      set.add(activity, 'pg_stat_activity_count', { datname: db.name, server, state }, gaugeOverLife(pod, (i) => (value ? Math.max(0, Math.round(value(i))) : 0)), target);
    }
    const dl: Labels = { datid: String(db.oid), datname: db.name, server };
    set.add(commits, 'pg_stat_database_xact_commit', dl, counterOverLife(pod, 1_000_000 + db.oid * 17, db.commits), target);
    set.add(backends, 'pg_stat_database_numbackends', dl, gaugeOverLife(pod, (i) => {
      let n = 0;
      for (const state of POSTGRES_STATES) n += Math.max(0, Math.round(db.connections[state]?.(i) ?? 0));
      return n;
    }), target);
  }
}

// --- prometheus-community/pgbouncer_exporter -----------------------------------------------------

export interface PgbouncerPool {
  database: string;
  user: string;
  poolSize: number;
  clientActive: (step: number) => number;
  clientWaiting: (step: number) => number;
  serverActive: (step: number) => number;
  serverIdle: (step: number) => number;
  maxWaitSeconds: (step: number) => number;
}

export function emitPgbouncerExporter(set: SeriesSet, pod: PodLife, target: ScrapeTarget, maxClientConnections: number, pools: readonly PgbouncerPool[]): void {
  const g = (name: string, help: string): Family => ({ name, type: 'gauge', help });
  set.add(g('pgbouncer_up', 'The pgbouncer scrape succeeded'), 'pgbouncer_up', {}, gaugeOverLife(pod, () => 1), target);
  set.add(g('pgbouncer_config_max_client_connections', 'Config maximum number of client connections'), 'pgbouncer_config_max_client_connections', {}, gaugeOverLife(pod, () => maxClientConnections), target);
  for (const p of pools) {
    const pl: Labels = { database: p.database, user: p.user };
    const add = (name: string, help: string, value: (i: number) => number): void =>
      set.add(g(name, help), name, pl, gaugeOverLife(pod, value), target);
    add('pgbouncer_pools_client_active_connections', 'Client connections linked to server connection and able to process queries', (i) => Math.round(p.clientActive(i)));
    add('pgbouncer_pools_client_waiting_connections', 'Client connections waiting on a server connection', (i) => Math.round(p.clientWaiting(i)));
    add('pgbouncer_pools_server_active_connections', 'Server connections linked to a client connection', (i) => Math.round(p.serverActive(i)));
    add('pgbouncer_pools_server_idle_connections', 'Server connections idle and ready for a client query', (i) => Math.round(p.serverIdle(i)));
    add('pgbouncer_pools_client_maxwait_seconds', 'Age of oldest unserved client connection, in seconds', p.maxWaitSeconds);
    // The databases' `name` is pgbouncer's logical name; their `database` is the backend database.
    set.add(g('pgbouncer_databases_pool_size', 'Maximum number of server connections'), 'pgbouncer_databases_pool_size', {
      name: p.database,
      host: 'postgres.data.svc.cluster.local',
      port: '5432',
      database: p.database,
      force_user: '',
      pool_mode: 'transaction',
    }, gaugeOverLife(pod, () => p.poolSize), target);
  }
}

// --- oliver006/redis_exporter --------------------------------------------------------------------

export interface RedisInstance {
  commandsPerSecond: (step: number) => number;
  hitsPerSecond: (step: number) => number;
  missesPerSecond: (step: number) => number;
  connectedClients: (step: number) => number;
  memoryUsedBytes: (step: number) => number;
  keys: (step: number) => number;
  maxMemoryBytes: number;
}

export function emitRedisExporter(set: SeriesSet, pod: PodLife, target: ScrapeTarget, redis: RedisInstance): void {
  const g = (name: string, help: string): Family => ({ name, type: 'gauge', help });
  const c = (name: string, help: string): Family => ({ name, type: 'counter', help });
  set.add(g('redis_up', 'Information about the Redis instance'), 'redis_up', {}, gaugeOverLife(pod, () => 1), target);
  set.add(g('redis_instance_info', 'Information about the Redis instance'), 'redis_instance_info', {
    maxmemory_policy: 'allkeys-lru',
    os: 'Linux 6.1.0-27-cloud-amd64 x86_64',
    redis_build_id: '6a5bd5b2b2c1d7e2',
    redis_mode: 'standalone',
    redis_version: '7.0.15',
    role: 'master',
    tcp_port: '6379',
  }, gaugeOverLife(pod, () => 1), target);
  set.add(c('redis_commands_processed', 'commands_processed_total metric'), 'redis_commands_processed_total', {}, counterOverLife(pod, 0, redis.commandsPerSecond), target);
  set.add(c('redis_keyspace_hits', 'keyspace_hits_total metric'), 'redis_keyspace_hits_total', {}, counterOverLife(pod, 0, redis.hitsPerSecond), target);
  set.add(c('redis_keyspace_misses', 'keyspace_misses_total metric'), 'redis_keyspace_misses_total', {}, counterOverLife(pod, 0, redis.missesPerSecond), target);
  set.add(g('redis_connected_clients', 'connected_clients metric'), 'redis_connected_clients', {}, gaugeOverLife(pod, (i) => Math.round(redis.connectedClients(i))), target);
  set.add(g('redis_memory_used_bytes', 'memory_used_bytes metric'), 'redis_memory_used_bytes', {}, gaugeOverLife(pod, (i) => Math.round(redis.memoryUsedBytes(i))), target);
  set.add(g('redis_memory_max_bytes', 'memory_max_bytes metric'), 'redis_memory_max_bytes', {}, gaugeOverLife(pod, () => redis.maxMemoryBytes), target);
  set.add(g('redis_config_maxclients', 'config_maxclients metric'), 'redis_config_maxclients', {}, gaugeOverLife(pod, () => 10000), target);
  set.add(g('redis_db_keys', 'Total number of keys by DB'), 'redis_db_keys', { db: 'db0' }, gaugeOverLife(pod, (i) => Math.round(redis.keys(i))), target);
}

// --- danielqsj/kafka_exporter --------------------------------------------------------------------

export interface KafkaTopic {
  topic: string;
  /** Per partition: log-end offset and leader broker at each step. */
  partitions: Array<{ endOffset: Float64Array; oldestOffset: Float64Array; leader: number }>;
}

export interface KafkaConsumerGroup {
  group: string;
  topic: string;
  /** Per partition committed offset at each step. */
  committed: Float64Array[];
  members: (step: number) => number;
}

export function emitKafkaExporter(set: SeriesSet, pod: PodLife, target: ScrapeTarget, brokers: number, topics: readonly KafkaTopic[], groups: readonly KafkaConsumerGroup[]): void {
  const g = (name: string, help: string): Family => ({ name, type: 'gauge', help });
  const at = (values: Float64Array): Float64Array => gaugeOverLife(pod, (i) => Math.floor(values[i] ?? 0));
  set.add(g('kafka_brokers', 'Number of Brokers in the Kafka Cluster.'), 'kafka_brokers', {}, gaugeOverLife(pod, () => brokers), target);
  for (const t of topics) {
    set.add(g('kafka_topic_partitions', 'Number of partitions for this Topic'), 'kafka_topic_partitions', { topic: t.topic }, gaugeOverLife(pod, () => t.partitions.length), target);
    t.partitions.forEach((p, index) => {
      const pl: Labels = { partition: String(index), topic: t.topic };
      set.add(g('kafka_topic_partition_current_offset', 'Current Offset of a Broker at Topic/Partition'), 'kafka_topic_partition_current_offset', pl, at(p.endOffset), target);
      set.add(g('kafka_topic_partition_oldest_offset', 'Oldest Offset of a Broker at Topic/Partition'), 'kafka_topic_partition_oldest_offset', pl, at(p.oldestOffset), target);
      set.add(g('kafka_topic_partition_leader', 'Leader Broker ID of this Topic/Partition'), 'kafka_topic_partition_leader', pl, gaugeOverLife(pod, () => p.leader), target);
    });
  }
  for (const group of groups) {
    const topic = topics.find((t) => t.topic === group.topic);
    if (!topic) throw new Error(`consumer group ${group.group} reads unknown topic ${group.topic}`);
    let lagSum: Float64Array | undefined;
    group.committed.forEach((committed, index) => {
      const end = (topic.partitions[index] as { endOffset: Float64Array }).endOffset;
      const gl: Labels = { consumergroup: group.group, partition: String(index), topic: group.topic };
      const lag = gaugeOverLife(pod, (i) => Math.max(0, Math.floor(end[i] ?? 0) - Math.floor(committed[i] ?? 0)));
      lagSum = lagSum ? lagSum.map((v, i) => v + (lag[i] ?? 0)) : lag.slice();
      set.add(g('kafka_consumergroup_current_offset', 'Current Offset of a ConsumerGroup at Topic/Partition'), 'kafka_consumergroup_current_offset', gl, at(committed), target);
      set.add(g('kafka_consumergroup_lag', 'Current Approximate Lag of a ConsumerGroup at Topic/Partition'), 'kafka_consumergroup_lag', gl, lag, target);
    });
    if (lagSum) set.add(g('kafka_consumergroup_lag_sum', 'Current Approximate Lag of a ConsumerGroup at Topic for all partitions'), 'kafka_consumergroup_lag_sum', { consumergroup: group.group, topic: group.topic }, lagSum, target);
    set.add(g('kafka_consumergroup_members', 'Amount of members in a consumer group'), 'kafka_consumergroup_members', { consumergroup: group.group }, gaugeOverLife(pod, group.members), target);
  }
}
