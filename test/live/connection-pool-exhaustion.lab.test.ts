import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze, type Analysis } from '../../core/analysis/analyze';
import type { PoolFacts } from '../../core/analysis/context';
import { PrometheusClient } from '../../core/prometheus/client';
import { connectionPoolExhaustion } from '../../rules/connection-pool-exhaustion';
import { instantValues, LiveStack, now, postgresBin, runGuarded, sleep } from './servers';

/**
 * connection-pool-exhaustion on real software: PostgreSQL (max_connections 20) behind pgbouncer with
 * a transaction pool of two server connections, Debian's pgbouncer exporter (adapted for pgbouncer
 * 1.18, see pgbouncer-exporter.py) and postgres_exporter, scraped every 5 s by a real Prometheus with
 * the labels Kubernetes service discovery adds. Pods are named as their controllers name them, so
 * Headroom maps them to the Deployment `data/pgbouncer` and the StatefulSet `data/postgres` without
 * kube-state-metrics. Three phases, each analysed over its own short window at a 10 s step:
 *
 *  - quiet: nobody but the exporters (no pgbench);
 *  - at capacity: two pgbench clients keep both server connections busy, nobody waits;
 *  - exhausted: fifty pgbench clients, each transaction holding its connection for 100 ms, for a
 *    minute: the pool serves 20 transactions/s and ~48 clients wait about two seconds each.
 *
 * Only the last is a finding, on pgbouncer (PostgreSQL, with 3 of its 17 usable connections busy,
 * is not the bottleneck). About 3½ minutes, mostly the phases themselves.
 */
const SCRAPE_SECONDS = 5;
const STEP_SECONDS = 10;
const POOL_SIZE = 2;
const CLIENTS = 50;
const HOLD_SECONDS = 0.1;
const LOAD_SECONDS = 60;
const NAMESPACE = 'data';
const PGBOUNCER_POD = 'pgbouncer-5d4f8b9c7-x7k2p';
const POSTGRES_POD = 'postgres-0';

interface Phase {
  window: { start: number; end: number };
  analysis: Analysis;
}

let stack: LiveStack | undefined;
let prometheusUrl = '';
let pgbouncerPort = 0;
let script = '';
const phases: { quiet?: Phase; capacity?: Phase; exhausted?: Phase & { pgbench: string; loadStart: number } } = {};

function pgbench(clients: number, seconds: number): Promise<string> {
  const args = ['-n', '-h', '127.0.0.1', '-p', String(pgbouncerPort), '-U', 'postgres', '-c', String(clients), '-j', '2', '-T', String(seconds), '-f', script, 'app'];
  return runGuarded(postgresBin('pgbench'), args, 'pgbench', (seconds + 60) * 1000);
}

async function analyse(window: { start: number; end: number }): Promise<Analysis> {
  const client = new PrometheusClient({ url: prometheusUrl });
  return analyze(client, { window, rules: [connectionPoolExhaustion], timelineStep: STEP_SECONDS, scrapeInterval: SCRAPE_SECONDS });
}

function poolOf(analysis: Analysis, kind: PoolFacts['kind'], name: string): PoolFacts | undefined {
  return analysis.context.pools.find((p) => p.kind === kind && p.name === name);
}

const values = (pool: PoolFacts | undefined, which: 'utilization' | 'waiting' | 'wait'): number[] =>
  (pool?.timeline[which]?.points ?? []).map((p) => p.value).filter((v): v is number => v !== null);

describe('connection-pool-exhaustion on PostgreSQL, pgbouncer and their exporters', () => {
  beforeAll(async () => {
    try {
      stack = await LiveStack.create('pool');
      const postgresPort = await stack.postgres({ max_connections: 20 });
      pgbouncerPort = await stack.pgbouncer(postgresPort, { pool_mode: 'transaction', default_pool_size: POOL_SIZE, reserve_pool_size: 0, max_client_conn: 200 });
      const [pgbouncerExporter, postgresExporter] = [await stack.pgbouncerExporter(pgbouncerPort), await stack.postgresExporter(postgresPort)];
      prometheusUrl = await stack.prometheus(
        [
          { job: 'pgbouncer-exporter', port: pgbouncerExporter, namespace: NAMESPACE, pod: PGBOUNCER_POD },
          { job: 'postgres-exporter', port: postgresExporter, namespace: NAMESPACE, pod: POSTGRES_POD },
        ],
        SCRAPE_SECONDS,
      );
      script = await stack.file('hold.sql', `SELECT pg_sleep(${HOLD_SECONDS});\n`);
      // An application connected once: pgbouncer creates the pool `app` (it lists pools only once used).
      await runGuarded(postgresBin('psql'), ['-h', '127.0.0.1', '-p', String(pgbouncerPort), '-U', 'postgres', '-d', 'app', '-c', 'SELECT 1'], 'psql', 30_000);
      await sleep(2 * SCRAPE_SECONDS * 1000);

      const quiet = { start: now(), end: 0 };
      await sleep(60_000);
      quiet.end = now();

      const capacity = { start: now(), end: 0 };
      await pgbench(POOL_SIZE, 45);
      capacity.end = now();
      await sleep(20_000);

      const loadStart = now();
      const output = await pgbench(CLIENTS, LOAD_SECONDS);
      const loadEnd = now();
      await sleep(3 * SCRAPE_SECONDS * 1000);
      const exhausted = { start: loadStart - 20, end: loadEnd + 10 };

      phases.quiet = { window: quiet, analysis: await analyse(quiet) };
      phases.capacity = { window: capacity, analysis: await analyse(capacity) };
      phases.exhausted = { window: exhausted, analysis: await analyse(exhausted), pgbench: output, loadStart };
    } catch (error) {
      await stack?.stop();
      stack = undefined;
      throw error;
    }
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('maps both exporters to their workloads and collects both pools in every phase', () => {
    for (const phase of [phases.quiet, phases.capacity, phases.exhausted]) {
      const analysis = phase?.analysis as Analysis;
      expect(analysis.catalog.workloadMapping).toBe('pod-name');
      const bouncer = poolOf(analysis, 'pgbouncer', 'app');
      expect(bouncer?.owner).toEqual({ namespace: NAMESPACE, workload: 'pgbouncer', workloadType: 'Deployment' });
      expect(bouncer?.size.value).toBe(POOL_SIZE);
      expect(values(bouncer, 'utilization').length).toBeGreaterThanOrEqual(4);
      const postgres = analysis.context.pools.find((p) => p.kind === 'postgres');
      expect(postgres?.owner).toEqual({ namespace: NAMESPACE, workload: 'postgres', workloadType: 'StatefulSet' });
      // max_connections 20 − superuser_reserved_connections 3.
      expect(postgres?.size.value).toBe(17);
      expect(analysis.report.notEvaluated ?? []).toEqual([]);
    }
  });

  it('finds nothing while only the exporters are connected', () => {
    const analysis = phases.quiet?.analysis as Analysis;
    expect(analysis.report.findings).toEqual([]);
    expect(Math.max(...values(poolOf(analysis, 'pgbouncer', 'app'), 'utilization'))).toBe(0);
  });

  it('finds nothing while the pool is full but nobody waits', () => {
    const analysis = phases.capacity?.analysis as Analysis;
    const bouncer = poolOf(analysis, 'pgbouncer', 'app');
    expect(Math.max(...values(bouncer, 'utilization'))).toBe(1);
    expect(Math.max(...values(bouncer, 'waiting'))).toBe(0);
    expect(analysis.report.findings).toEqual([]);
  });

  it('names the exhausted pgbouncer pool, and not PostgreSQL, with the waiting clients and their wait', async () => {
    const phase = phases.exhausted as Phase;
    const findings = phase.analysis.report.findings;
    expect(findings.map((f) => `${f.rule} ${f.severity} ${f.target.namespace}/${f.target.kind}/${f.target.name}`)).toEqual([
      'connection-pool-exhaustion warning data/Deployment/pgbouncer',
    ]);
    const [finding] = findings;
    expect(finding?.summary).toMatch(/^pgbouncer pool app of data\/pgbouncer at its pool_size of 2 server connections \(≥ 90 % busy with callers waiting\) for [\d.]+ (s|min) in [\d.]+ (s|min) in 1 episode/);
    expect(finding?.summary).toMatch(/up to \d+ clients waiting; longest client wait [\d.]+ s while saturated/);

    const value = (label: string): number | null | undefined => finding?.evidence.find((e) => e.label === label)?.value;
    const waiting = value('clients waiting (peak while saturated)') ?? 0;
    const maxwait = value('longest client wait (peak)') ?? 0;
    expect(value('pool size')).toBe(POOL_SIZE);
    expect(value('connections busy ÷ size (worst pod)')).toBe(1);
    // 50 clients on 2 connections: up to 48 queue; each waits ≈ 48 / (2 / 0.1 s) ≈ 2.4 s.
    expect(waiting).toBeGreaterThanOrEqual(40);
    expect(waiting).toBeLessThanOrEqual(CLIENTS - POOL_SIZE);
    expect(maxwait).toBeGreaterThanOrEqual(1);
    expect(maxwait).toBeLessThanOrEqual(5);

    // The evidence is what the exporter reported: the same series, no higher than their raw peaks.
    const queries = finding?.evidence.map((e) => e.query).join('\n') ?? '';
    for (const metric of ['pgbouncer_pools_server_active_connections', 'pgbouncer_databases_pool_size', 'pgbouncer_pools_client_waiting_connections', 'pgbouncer_pools_client_maxwait_seconds']) {
      expect(queries).toContain(metric);
    }
    const range = `${Math.round(phase.window.end - phase.window.start)}s`;
    const rawPeak = async (metric: string): Promise<number> =>
      (await instantValues(prometheusUrl, `max(max_over_time(${metric}{namespace="${NAMESPACE}",pod="${PGBOUNCER_POD}",database="app"}[${range}]))`, phase.window.end))[0]?.value ?? NaN;
    expect(waiting).toBeLessThanOrEqual(await rawPeak('pgbouncer_pools_client_waiting_connections'));
    expect(maxwait).toBeLessThanOrEqual(await rawPeak('pgbouncer_pools_client_maxwait_seconds'));
    // Debian's own series for the same pool agree with the added ones (the same SHOW POOLS rows).
    expect(await rawPeak('pgbouncer_waiting_clients')).toBe(await rawPeak('pgbouncer_pools_client_waiting_connections'));

    // The saturated stretch is the pgbench run: about a minute, at least the two samples it needs.
    const saturated = (finding?.summary.match(/in 1 episode \(longest ([\d.]+) (s|min)\)/) ?? []) as string[];
    const longest = Number(saturated[1]) * (saturated[2] === 'min' ? 60 : 1);
    expect(longest).toBeGreaterThanOrEqual(LOAD_SECONDS - 20);
    expect(longest).toBeLessThanOrEqual(LOAD_SECONDS + 20);

    // PostgreSQL had room: pgbouncer's two server connections and the exporter's, of 17 usable.
    const postgres = phase.analysis.context.pools.find((p) => p.kind === 'postgres');
    expect(Math.max(...values(postgres, 'utilization'))).toBeLessThan(0.5);
  });

  it('reads pgbench\'s transactions from the fixed SHOW STATS collector (pgbouncer_requests_total)', async () => {
    const phase = phases.exhausted as Phase & { pgbench: string; loadStart: number };
    const processed = Number(/number of transactions actually processed: (\d+)/.exec(phase.pgbench)?.[1]);
    // The pool serves POOL_SIZE / HOLD_SECONDS = 20 transactions/s.
    expect(processed).toBeGreaterThan(0.8 * LOAD_SECONDS * (POOL_SIZE / HOLD_SECONDS));
    const at = async (time: number): Promise<number> => (await instantValues(prometheusUrl, `pgbouncer_requests_total{pod="${PGBOUNCER_POD}",database="app"}`, time))[0]?.value ?? NaN;
    // From the last scrape before the run (the previous phase had ended 20 s earlier) to the end.
    const counted = (await at(phase.window.end)) - (await at(phase.loadStart));
    expect(counted).toBeGreaterThanOrEqual(processed);
    expect(counted).toBeLessThanOrEqual(processed + CLIENTS);
  });
});
