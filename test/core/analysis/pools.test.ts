import { describe, expect, it } from 'vitest';
import { collectPools } from '../../../core/analysis/collect/pools';
import { QueryRunner } from '../../../core/analysis/collect/query-kit';
import type { QueryApi } from '../../../core/prometheus/query-api';
import { catalog } from '../../rules/fixtures';

/**
 * Pool sizes are the highest over the window, sampled on a grid: every 5 minutes, or every step in a
 * window too short for a 5-minute grid to be sure of one sample inside it (a 90-second window holds a
 * multiple of 5 minutes only three times in ten).
 */
const cases = [
  { window: 'a week at its default step', seconds: 7 * 86400, step: 600, subquery: '[7d:5m]' },
  { window: 'a day at five minutes', seconds: 86400, step: 300, subquery: '[1d:5m]' },
  { window: 'an hour at one minute', seconds: 3600, step: 60, subquery: '[1h:1m]' },
  { window: '90 seconds at 10 s', seconds: 90, step: 10, subquery: '[90s:10s]' },
];

describe('pool sizes', () => {
  it.each(cases)('$window: $subquery', async ({ seconds, step, subquery }) => {
    const asked: string[] = [];
    const api: QueryApi = {
      instant: async (query) => (asked.push(query), { data: [], warnings: [] }),
      range: async (query) => (asked.push(query), { data: [], warnings: [] }),
      labelNames: async () => ({ data: [], warnings: [] }),
      labelValues: async () => ({ data: [], warnings: [] }),
    };
    const window = { start: 1_794_506_400 - seconds, end: 1_794_506_400 };
    const present = ['pgbouncer_pools_client_waiting_connections', 'pgbouncer_databases_pool_size', 'pg_settings_max_connections'];
    await collectPools(new QueryRunner(api, window), { join: { mapping: 'pod-name', global: [] }, global: [], window, timelineStep: step, catalog: { ...catalog(), present } });
    const sizes = asked[0] ?? '';
    expect(sizes).toContain(`max_over_time((max by (namespace, pod, database) (label_replace(pgbouncer_databases_pool_size, "database", "$1", "name", "(.+)")))${subquery})`);
    expect(sizes).toContain(`max_over_time((max by (namespace, pod, server) (pg_settings_max_connections - pg_settings_superuser_reserved_connections))${subquery})`);
  });
});
