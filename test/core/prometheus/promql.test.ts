import { describe, expect, it } from 'vitest';
import { anyOf, duration, escapeLabelValue, parseDuration, selector } from '../../../core/prometheus/promql';
import { leRegex } from '../../../core/analysis/red';

describe('duration', () => {
  it.each([
    [300, '5m'],
    [604800, '7d'],
    [90, '90s'],
    [7200, '2h'],
    [86400 * 30, '30d'],
    [0, '1s'],
    [59.6, '1m'],
  ])('%s s → %s', (s, text) => expect(duration(s)).toBe(text));
});

describe('parseDuration', () => {
  it.each([
    ['7d', 604800],
    ['36h', 129600],
    ['1d12h', 129600],
    ['90m', 5400],
    ['300', 300],
    ['2w', 1209600],
    ['1.5h', 5400],
    ['', null],
    ['7 days', null],
    ['d7', null],
    ['7x', null],
  ])('%j → %s', (text, s) => expect(parseDuration(text)).toBe(s));
});

describe('selectors', () => {
  it('quotes values and appends the global matchers', () => {
    expect(selector('up', [{ label: 'job', op: '=', value: 'a"b\\c' }], [{ label: 'cluster', op: '=', value: 'eu' }])).toBe('up{job="a\\"b\\\\c", cluster="eu"}');
    expect(selector('up', [])).toBe('up');
    expect(escapeLabelValue('line\nbreak')).toBe('line\\nbreak');
  });

  it('matches literal values exactly in a regex', () => {
    expect(new RegExp(`^(?:${anyOf(['a.b', 'c+'])})$`).test('a.b')).toBe(true);
    expect(new RegExp(`^(?:${anyOf(['a.b', 'c+'])})$`).test('axb')).toBe(false);
  });
});

describe('leRegex matches every way clients write a bucket bound', () => {
  it.each([
    [1, ['1', '1.0', '1.00'], ['10', '1.5', '0.1']],
    [0.5, ['0.5', '0.50'], ['0.05', '5', '0.51']],
    [2.5, ['2.5'], ['25', '2.55']],
  ])('%s', (bound, yes, no) => {
    // PromQL anchors label regexes at both ends.
    const re = new RegExp(`^(?:${leRegex(bound)})$`);
    for (const text of yes) expect(re.test(text), text).toBe(true);
    for (const text of no) expect(re.test(text), text).toBe(false);
  });
});
