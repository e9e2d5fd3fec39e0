import { describe, expect, it } from 'vitest';
import { alertState, computeSlo, objectivesFor, parseSloFile, SloFileError, type EventCounts } from '../../../core/analysis/slo';
import type { BurnWindowId } from '../../../core/api/report';

type Burns = Record<BurnWindowId, number | null>;
const burns = (values: Partial<Burns>): Burns => ({ '5m': 0, '30m': 0, '1h': 0, '2h': 0, '6h': 0, '1d': 0, '3d': 0, ...values });

describe('alertState: the SRE workbook multi-window, multi-burn-rate alert', () => {
  it.each([
    ['fast burn on both 1h and 5m pages', burns({ '1h': 14.4, '5m': 20 }), 'page'],
    ['1h alone does not page', burns({ '1h': 50, '5m': 10 }), 'none'],
    ['5m alone does not page', burns({ '5m': 500 }), 'none'],
    ['6h and 30m at 6× page', burns({ '6h': 6, '30m': 7 }), 'page'],
    ['6h at 6× with a quiet 30m does not', burns({ '6h': 6, '30m': 5.9 }), 'none'],
    ['1d and 2h at 3× open a ticket', burns({ '1d': 3, '2h': 3 }), 'ticket'],
    ['3d and 6h at 1× open a ticket', burns({ '3d': 1, '6h': 1.2 }), 'ticket'],
    ['3d at 1× with 6h below does not', burns({ '3d': 2, '6h': 0.9 }), 'none'],
    ['a page wins over a ticket', burns({ '1h': 15, '5m': 15, '1d': 4, '2h': 4 }), 'page'],
    ['no traffic windows never alert', burns({ '1h': null, '5m': null, '6h': null, '30m': null }), 'none'],
  ] as const)('%s', (_name, values, state) => expect(alertState(values)).toBe(state));
});

const w = (total: number, bad: number): EventCounts => ({ total, bad });
const windows = (all: EventCounts | null): Record<BurnWindowId, EventCounts | null> => ({ '5m': all, '30m': all, '1h': all, '2h': all, '6h': all, '1d': all, '3d': all });

describe('computeSlo', () => {
  it('weights by events: burn = bad/total ÷ budget', () => {
    const out = computeSlo(0.999, 30 * 86400, windows(w(10_000, 20)), w(1_000_000, 500), 30 * 86400);
    expect(out.status.burnRates['1h']).toBeCloseTo(2, 9);
    expect(out.status.errorBudgetRemaining).toBeCloseTo(0.5, 9);
    expect(out.status.alert).toBe('ticket');
    // Half the budget left at 2× burn: 0.5 × 30 d ÷ 2 = 7.5 days.
    expect(out.status.timeToExhaustion).toBeCloseTo(7.5 * 86400, 3);
    expect(out.notes).toEqual([]);
  });

  it('turns quiet windows into null with a note, never NaN', () => {
    const ws = windows(w(1000, 0));
    ws['5m'] = w(0, 0);
    ws['30m'] = null;
    const out = computeSlo(0.999, 30 * 86400, ws, w(5000, 1), null);
    expect(out.status.burnRates['5m']).toBeNull();
    expect(out.status.burnRates['30m']).toBeNull();
    expect(out.notes[0]).toContain('no traffic in the 5m, 30m windows');
    expect(JSON.stringify(out.status)).not.toMatch(/NaN|Infinity/);
  });

  it('goes negative when the budget is overspent, and says time to exhaustion is now', () => {
    const out = computeSlo(0.99, 30 * 86400, windows(w(100, 5)), w(1000, 30), null);
    expect(out.status.errorBudgetRemaining).toBeCloseTo(-2, 9);
    expect(out.status.timeToExhaustion).toBe(0);
  });

  it('is null without traffic in the period', () => {
    const out = computeSlo(0.999, 30 * 86400, windows(null), null, null);
    expect(out.status.errorBudgetRemaining).toBeNull();
    expect(out.status.timeToExhaustion).toBeNull();
    expect(out.status.alert).toBe('none');
  });

  it('warns when one error would page', () => {
    const out = computeSlo(0.999, 30 * 86400, windows(w(50, 0)), w(50_000, 0), 30 * 86400);
    expect(out.notes.some((n) => n.includes('a single error pages'))).toBe(true);
  });

  it('says when history is shorter than the period', () => {
    const out = computeSlo(0.999, 30 * 86400, windows(w(1000, 0)), w(1000, 0), 8 * 86400);
    expect(out.notes.some((n) => n.includes('8.0 of the 30 days'))).toBe(true);
  });
});

describe('SLO files', () => {
  const text = `
defaults:
  availability: 0.995
  period: 28d
services:
  - namespace: checkout
    name: order
    availability: 0.999
    latency: { threshold: 0.5, objective: 0.99 }
    period: 30d
`;
  it('reads objectives per service, falling back to the defaults, then to 99.9 % over 30 days', () => {
    const file = parseSloFile(text);
    expect(objectivesFor(file, 'checkout', 'order')).toEqual({ availability: 0.999, periodSeconds: 30 * 86400, latency: { threshold: 0.5, objective: 0.99 }, source: 'service' });
    expect(objectivesFor(file, 'checkout', 'payment')).toEqual({ availability: 0.995, periodSeconds: 28 * 86400, latency: null, source: 'defaults' });
    expect(objectivesFor(null, 'a', 'b')).toEqual({ availability: 0.999, periodSeconds: 30 * 86400, latency: null, source: 'built-in' });
  });

  it.each([
    ['services:\n  - namespace: a\n    name: b\n   availability: 0.9', /line 4: invalid YAML/],
    ['services:\n  - namespace: a\n    name: b\n    availability: 99.9', /services\.0\.availability/],
    ['services:\n  - namespace: a\n    name: b\n    period: a month', /services\.0\.period: not a duration/],
    ['services:\n  - name: b', /services\.0\.namespace/],
    ['defaults:\n  latency: { threshold: -1, objective: 0.99 }', /defaults\.latency\.threshold/],
  ])('rejects %j with a message that says where', (yaml, message) => {
    expect(() => parseSloFile(yaml, 'slo.yaml')).toThrow(SloFileError);
    expect(() => parseSloFile(yaml, 'slo.yaml')).toThrow(message);
  });

  it('accepts an empty file', () => expect(parseSloFile('')).toEqual({ services: [] }));
});
