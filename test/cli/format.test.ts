import { describe, expect, it } from 'vitest';
import { backtestMarkdown, backtestTable } from '../../cli/format/backtest';
import { manifestSummary, resourceChange, resourceChangeLine } from '../../cli/format/recommendations';
import { reportMarkdown, reportTable, severityCounts, sloCell, sortFindings } from '../../cli/format/report';
import {
  columns,
  formatBucket,
  formatBurn,
  formatBytes,
  formatLatency,
  formatMoney,
  formatPercent,
  formatRate,
  formatTime,
  markdownCell,
  markdownCode,
  wrap,
} from '../../cli/format/text';
import type { Recommendation, ServiceReport } from '../../core/api/report';
import { sampleBacktest, sampleRecommendations, sampleReport } from './fixtures';

const Mi = 1024 ** 2;

describe('units for people', () => {
  it.each([
    [null, 'n/a'],
    [0, '0 ms'],
    [0.0009, '0.9 ms'],
    [0.0487, '48.7 ms'],
    [0.2487, '249 ms'],
    [1, '1 s'],
    [1.4453, '1.45 s'],
    [14.53, '14.5 s'],
    [145.3, '145 s'],
  ])('latency %s → %s', (seconds, text) => {
    expect(formatLatency(seconds)).toBe(text);
  });

  it.each([
    [[0.1, 0.25], '100–250 ms'],
    [[1, 2], '1–2 s'],
    [[0.75, 1], '750 ms–1 s'],
    [[5, null], '> 5 s'],
    [[null, 0.1], '≤ 100 ms'],
    [null, 'n/a'],
  ] as const)('bucket %j → %s', (bucket, text) => {
    expect(formatBucket(bucket)).toBe(text);
  });

  it.each([
    [null, 'n/a'],
    [217.19, '217/s'],
    [49.1, '49.1/s'],
    [4.785, '4.79/s'],
    [0.02507, '0.0251/s'],
    [0, '0/s'],
  ])('rate %s → %s', (rps, text) => {
    expect(formatRate(rps)).toBe(text);
  });

  it.each([
    [null, 'n/a'],
    [0, '0%'],
    [0.00002, '<0.01%'],
    [0.00297, '0.30%'],
    [0.0154, '1.5%'],
    [0.37, '37%'],
    [-0.37, '-37%'],
    [-2.0093, '-201%'],
    [1, '100%'],
  ])('ratio %s → %s', (ratio, text) => {
    expect(formatPercent(ratio)).toBe(text);
  });

  it.each([
    [null, 'n/a'],
    [90.2, '90×'],
    [1.04, '1×'],
    [144.4, '144×'],
    [0, '0×'],
  ])('burn %s → %s', (rate, text) => {
    expect(formatBurn(rate)).toBe(text);
  });

  it.each([
    [null, 'n/a'],
    [512 * Mi, '512Mi'],
    [1536 * Mi, '1536Mi'],
    [724_775_732, '~691.2Mi'],
    [1000, '1000'],
  ])('bytes %s → %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it.each([
    [1_794_506_400, '2026-11-12 18:00 UTC'],
    [1_794_506_430, '2026-11-12 18:00:30 UTC'],
  ])('time %d → %s', (time, text) => {
    expect(formatTime(time)).toBe(text);
  });

  it('money has two decimals and thousands separators', () => {
    expect(formatMoney(1163.6, 'EUR')).toBe('1,163.60 EUR');
    expect(formatMoney(-2.5, 'USD')).toBe('-2.50 USD');
  });
});

describe('layout', () => {
  it('aligns columns, right-aligning where asked, without trailing spaces', () => {
    expect(columns([['A', 'BB', 'C'], ['aaa', 'b', '']], ['left', 'right'])).toEqual(['A    BB  C', 'aaa   b']);
  });

  it('wraps at the width, keeping long words whole', () => {
    expect(wrap('one two three four five six', 31, '    ')).toEqual(['    one two three four five six']);
    expect(wrap('one two three four five six', 30, '    ')).toEqual(['    one two three four five', '    six']);
    expect(wrap('aaaa bbbb cccc dddd eeee ffff', 24, '  ')).toEqual(['  aaaa bbbb cccc dddd', '  eeee ffff']);
    expect(wrap('x'.repeat(30), 24, '')).toEqual(['x'.repeat(30)]);
  });

  it.each([
    ['a | b', 'a \\| b'],
    ['line\nbreak', 'line break'],
    ['<script>', '&lt;script&gt;'],
    ['back\\slash', 'back\\\\slash'],
  ])('markdown cell %j → %j', (text, cell) => {
    expect(markdownCell(text)).toBe(cell);
  });

  it('quotes code that holds backticks', () => {
    expect(markdownCode('slo-burn')).toBe('`slo-burn`');
    expect(markdownCode('a`b')).toBe('`` a`b ``');
  });
});

describe('recommendations in a few words', () => {
  const [resources, hpa, pdb] = sampleRecommendations() as [Recommendation, Recommendation, Recommendation];

  it.each([
    [
      'cuts requests and sets the memory limit to them',
      resources,
      { cpuRequest: '2 → 45m', cpuLimit: 'none', memoryRequest: '4Gi → 956Mi', memoryLimit: '4Gi → 956Mi', changed: true },
    ],
    [
      'keeps a request proposed as null and removes a limit proposed as null',
      { ...resources, current: { cpu: { request: 0.25, limit: 0.5 }, memory: { request: 256 * Mi, limit: null } }, proposed: { cpu: { request: 0.73, limit: null }, memory: { request: null, limit: null } } },
      { cpuRequest: '250m → 730m', cpuLimit: '500m → none', memoryRequest: '256Mi', memoryLimit: 'none', changed: true },
    ],
    [
      'says when nothing changes',
      { ...resources, current: { cpu: { request: null, limit: null }, memory: { request: 64 * Mi, limit: 64 * Mi } }, proposed: { cpu: { request: null, limit: null }, memory: { request: 64 * Mi, limit: 64 * Mi } } },
      { cpuRequest: 'unset', cpuLimit: 'none', memoryRequest: '64Mi', memoryLimit: '64Mi', changed: false },
    ],
  ])('%s', (_, recommendation, change) => {
    expect(resourceChange(recommendation)).toEqual(change);
  });

  it('writes the resources change on one line', () => {
    expect(resourceChangeLine(resources)).toBe('cpu request 2 → 45m, memory request 4Gi → 956Mi, memory limit 4Gi → 956Mi');
  });

  it.each([
    [hpa, 'replicas 2–5 on http_requests_per_second, 39.1 per pod'],
    [{ ...hpa, manifest: hpa.manifest.replace(/metrics:[\s\S]*minReplicas/, 'metrics:\n    - type: Resource\n      resource:\n        name: cpu\n        target:\n          type: Utilization\n          averageUtilization: 70\n  minReplicas') }, 'replicas 2–5 on cpu at 70% of requests'],
    [pdb, 'maxUnavailable 1'],
    [{ ...pdb, manifest: pdb.manifest.replace('maxUnavailable: 1', 'minAvailable: 50%') }, 'minAvailable 50%'],
    [{ ...pdb, manifest: ': not yaml :' }, 'see the manifest'],
  ])('%#: manifest summary %s', (recommendation, text) => {
    expect(manifestSummary(recommendation)).toBe(text);
  });
});

describe('the report as a table', () => {
  it('puts paging services first, then findings by severity, then the changes', () => {
    expect(reportTable(sampleReport(), { width: 80 })).toBe(
      [
        'Headroom report, 2026-11-05 18:00 UTC → 2026-11-12 18:00 UTC (7 days)',
        '4 services · findings: 1 critical, 1 warning, 1 info (+1 silenced) · 3 recommendations',
        '',
        'SERVICES',
        '  SERVICE                             RPS  ERRORS     P99  P99 BUCKET  SLO',
        '  checkout/payment                 27.9/s   0.15%  249 ms  100–250 ms  PAGE: burn 5m 90× 1h 90×, budget -37%',
        '  analytics/reporting *           0.025/s   0.10%  4.35 s  2–5 s       ok, budget 80%',
        '  data/redis-cache (StatefulSet)      n/a     n/a     n/a  n/a         ok, budget 80%',
        '  storefront/catalog                160/s   0.02%  181 ms  100–250 ms  ok, budget 80%',
        '  * low traffic: percentiles and error ratios rest on few requests',
        '',
        'FINDINGS',
        '  CRITICAL  slo-burn  checkout/Deployment/payment',
        '            checkout/payment pages on its 99.9 % availability SLO: burn 90.2×',
        '            over 1h.',
        '  WARNING   overprovisioned  analytics/Deployment/reporting',
        '            analytics/reporting requests far more than it uses.',
        '            fix: resources for analytics/Deployment/reporting (recommendation 1)',
        '  INFO      hot-shard  kafka/KafkaTopic/order.placed',
        '            partition 3 takes 55 %.',
        '',
        'SILENCED',
        '  warning   missing-pdb  fulfilment/Deployment/shipping',
        '            silenced until 2026-11-13 18:00 UTC: replaced next sprint',
        '',
        'RECOMMENDATIONS',
        '  #  WORKLOAD             CONTAINER  CPU REQUEST  CPU LIMIT  MEMORY REQUEST  MEMORY LIMIT  CONFIDENCE',
        '  1  analytics/reporting  reporting  2 → 45m      none       4Gi → 956Mi     4Gi → 956Mi   90%',
        '',
        '  #  KIND  WORKLOAD             PROPOSAL',
        '  2  HPA   checkout/order       replicas 2–5 on http_requests_per_second, 39.1 per pod',
        '  3  PDB   fulfilment/shipping  maxUnavailable 1',
        '',
        'WARNINGS',
        '- Ignored 8 object(s) of kinds Headroom does not use: Namespace (8).',
        '',
        '1 rule check could not run for lack of data; --format json lists what each lacked.',
        '',
      ].join('\n'),
    );
  });

  it('says so when there is nothing', () => {
    const empty = { ...sampleReport(), services: [], findings: [], recommendations: [], warnings: [], notEvaluated: [] };
    expect(reportTable(empty, { width: 80 })).toBe(
      [
        'Headroom report, 2026-11-05 18:00 UTC → 2026-11-12 18:00 UTC (7 days)',
        '0 services · findings: 0 critical, 0 warning, 0 info · 0 recommendations',
        '',
        'SERVICES',
        '  none found: no HTTP server metrics matched (see warnings below)',
        '',
        'FINDINGS',
        '  none',
        '',
        'RECOMMENDATIONS',
        '  none',
        '',
      ].join('\n'),
    );
  });

  it.each([
    ['page', { '5m': 90.1, '1h': 90.2 }, -0.37, 'PAGE: burn 5m 90× 1h 90×, budget -37%'],
    ['ticket', { '30m': 6.5, '6h': 7.1 }, 0.12, 'TICKET: burn 30m 6.5× 6h 7.1×, budget 12%'],
    ['none', {}, null, 'ok, budget n/a'],
  ] as const)('SLO cell when %s', (alert, burns, budget, text) => {
    const service = sampleReport().services[0] as ServiceReport;
    const slo = { ...service.slo, alert, errorBudgetRemaining: budget, burnRates: { ...service.slo.burnRates, ...burns } };
    expect(sloCell({ ...service, slo })).toBe(text);
  });

  it('orders findings critical first, then by rule and target, and counts only unsilenced ones', () => {
    const report = sampleReport();
    expect(sortFindings(report.findings).map((f) => f.rule)).toEqual(['slo-burn', 'missing-pdb', 'overprovisioned', 'hot-shard']);
    expect(severityCounts(report.findings)).toBe('1 critical, 1 warning, 1 info');
  });
});

describe('the report as Markdown for a pull request', () => {
  const markdown = reportMarkdown(sampleReport());

  it('leads with the counts and the findings table', () => {
    expect(markdown.split('\n').slice(0, 10)).toEqual([
      '## Headroom: 1 critical, 1 warning, 1 info',
      '',
      '2026-11-05 18:00 UTC → 2026-11-12 18:00 UTC (7 days) · 4 services · 3 recommendations · 1 silenced',
      '',
      '### Findings',
      '',
      '| severity | rule | target | summary |',
      '| --- | --- | --- | --- |',
      '| **critical** | `slo-burn` | checkout/Deployment/payment | checkout/payment pages on its 99.9 % availability SLO: burn 90.2× over 1h. |',
      '| **warning** | `overprovisioned` | analytics/Deployment/reporting | analytics/reporting requests far more than it uses. |',
    ]);
  });

  it.each([
    '<details><summary>1 silenced finding</summary>',
    '| warning | `missing-pdb` | fulfilment/Deployment/shipping | silenced until 2026-11-13 18:00 UTC: replaced next sprint |',
    '| checkout/payment | 27.9/s | 0.15% | 249 ms | 100–250 ms | PAGE: burn 5m 90× 1h 90×, budget -37% |',
    '| analytics/reporting (low traffic) | 0.025/s | 0.10% | 4.35 s | 2–5 s | ok, budget 80% |',
    '| 1 | resources | analytics/Deployment/reporting | reporting | cpu 2 → 45m (limit none), memory 4Gi → 956Mi (limit 4Gi → 956Mi) | 90% |',
    '| 2 | hpa | checkout/Deployment/order |  | replicas 2–5 on http_requests_per_second, 39.1 per pod | 100% |',
    '- Ignored 8 object(s) of kinds Headroom does not use: Namespace (8).',
  ])('has the line %s', (line) => {
    expect(markdown.split('\n')).toContain(line);
  });

  it('keeps every table row on one line, pipes in text escaped', () => {
    const report = sampleReport();
    report.findings = report.findings.map((f) => (f.rule === 'slo-burn' ? { ...f, summary: 'a | b\nc' } : f));
    const rows = reportMarkdown(report).split('\n').filter((line) => line.startsWith('| **critical**'));
    expect(rows).toEqual(['| **critical** | `slo-burn` | checkout/Deployment/payment | a \\| b c |']);
  });
});

describe('the backtest', () => {
  it('as a table: one row per strategy, then the containers that would have been killed', () => {
    expect(backtestTable(sampleBacktest())).toBe(
      [
        'Backtest, fitted on 2026-11-05 18:00 UTC → 2026-11-09 18:00 UTC (4 days), replayed on 2026-11-09 18:00 UTC → 2026-11-12 18:00 UTC (3 days)',
        '',
        'STRATEGY    MEMORY MIN ABOVE LIMIT  OOM-KILLED  CPU MIN ABOVE REQUEST  CPU MIN ABOVE LIMIT  CORES SAVED  GIB SAVED  SAVED / MONTH',
        'headroom                         0           0                  1,543                    0         4.88       9.44     141.93 USD',
        'krr-simple                      34           1                  2,838                    0         5.99       8.22   1,163.60 USD',
        '',
        'WOULD HAVE BEEN OOM-KILLED',
        '  krr-simple  media/Deployment/thumbnailer thumbnailer  memory limit 512Mi, 34 min above it',
        '',
        'Prices: 0.031611 USD per core-hour, 0.004237 USD per GiB-hour (set --price-cpu and --price-memory to yours)',
        'not replayed (seen in one span only): media/Deployment/thumbnailer/sidecar',
        '',
      ].join('\n'),
    );
  });

  it('as Markdown: the same numbers in a table', () => {
    const lines = backtestMarkdown(sampleBacktest()).split('\n');
    expect(lines[0]).toBe('## Headroom backtest');
    expect(lines).toContain('| krr-simple | 34 | 1 | 2,838 | 0 | 5.99 | 8.22 | 1,163.60 USD |');
    expect(lines).toContain('| krr-simple | media/Deployment/thumbnailer thumbnailer | memory limit 512Mi, 34 min above it |');
  });
});
