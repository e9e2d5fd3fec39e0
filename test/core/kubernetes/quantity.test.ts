import { describe, expect, it } from 'vitest';
import { parseQuantity } from '../../../core/kubernetes/quantity';

describe('parseQuantity', () => {
  const valid: Array<[string | number, number]> = [
    // CPU as people write it.
    ['100m', 0.1],
    ['250m', 0.25],
    ['1500m', 1.5],
    ['1', 1],
    ['1.5', 1.5],
    ['0.5', 0.5],
    ['.5', 0.5],
    ['5.', 5],
    ['0', 0],
    ['+2', 2],
    ['-1', -1],
    // YAML numbers (`cpu: 2`, `cpu: 0.5`).
    [2, 2],
    [0.25, 0.25],
    // Decimal SI suffixes.
    ['1n', 1e-9],
    ['1500n', 1.5e-6],
    ['1u', 1e-6],
    ['1k', 1e3],
    ['1M', 1e6],
    ['1G', 1e9],
    ['1.5G', 1.5e9],
    ['1T', 1e12],
    ['1P', 1e15],
    ['1E', 1e18],
    // Binary SI suffixes: memory.
    ['1Ki', 1024],
    ['512Mi', 512 * 1024 ** 2],
    ['768Mi', 805306368],
    ['1.5Gi', 1.5 * 1024 ** 3],
    ['1Gi', 1073741824],
    ['1Ti', 1024 ** 4],
    ['1Pi', 1024 ** 5],
    ['1Ei', 1024 ** 6],
    ['15052388Ki', 15052388 * 1024],
    // Decimal exponents: "E" followed by digits is an exponent, not exa.
    ['1e3', 1000],
    ['1E3', 1000],
    ['1e-3', 0.001],
    ['1.5e+2', 150],
    ['2e0', 2],
    ['12E-1', 1.2],
  ];
  it.each(valid)('%s is %d', (text, expected) => {
    expect(parseQuantity(text)).toBe(expected);
  });

  it('keeps milli-quantities exact to the nearest double', () => {
    expect(parseQuantity('100m')).toBe(0.1);
    expect(parseQuantity('300m')).toBe(0.3);
    expect(parseQuantity('1100m')).toBe(1.1);
  });

  const invalid: Array<string | number> = [
    '',
    ' ',
    'm',
    'Mi',
    '1mi',
    '1KB',
    '1kb',
    '1K',
    '1 Mi',
    ' 1',
    '1 ',
    '1h',
    '1da',
    '0x10',
    '1.5.5',
    '1e',
    '1e1.5',
    '1Mi1',
    '++1',
    '1,5',
    '1e400',
    '1e999',
    'Infinity',
    'NaN',
    Number.NaN,
    Number.POSITIVE_INFINITY,
  ];
  it.each(invalid)('%j is not a quantity', (text) => {
    expect(parseQuantity(text)).toBeNull();
  });
});
