import { describe, expect, it } from 'vitest';
import { ManifestError } from '../../../core/export/errors';
import { formatCpu, formatDecimal, formatMemory } from '../../../core/export/quantity';
import { parseQuantity } from '../../../core/kubernetes/quantity';

const Ki = 1024;
const Mi = 1024 ** 2;
const Gi = 1024 ** 3;
const Ti = 1024 ** 4;
const Pi = 1024 ** 5;
const Ei = 1024 ** 6;

describe('formatCpu', () => {
  const cases: Array<[cores: number, text: string]> = [
    [0, '0'],
    [1, '1'],
    [2, '2'],
    [16, '16'],
    [0.25, '250m'],
    [0.1, '100m'],
    [0.001, '1m'],
    [0.005, '5m'],
    [1.5, '1500m'],
    [2.25, '2250m'],
    [0.999, '999m'],
    [1000, '1000'],
    // Floating-point noise is not a fraction of a millicore: no rounding up.
    [0.1 + 0.2, '300m'],
    [0.7 * 3, '2100m'],
    [1 - 0.9, '100m'],
    // Real fractions of a millicore round up, as the API server does.
    [0.0001, '1m'],
    [0.2501, '251m'],
    [1.0000001, '1001m'],
    [0.9999, '1'],
  ];
  it.each(cases)('%d cores is "%s"', (cores, text) => {
    expect(formatCpu(cores)).toBe(text);
  });

  it.each(cases)('%d cores survives parseQuantity within a millicore, never below', (cores, text) => {
    const parsed = parseQuantity(text);
    expect(parsed).not.toBeNull();
    expect(parsed as number).toBeGreaterThanOrEqual(cores - 1e-12);
    expect((parsed as number) - cores).toBeLessThan(0.001);
  });

  it.each([0, 1, 7, 100, 250, 999, 1000, 1500, 64000])('%d millicores round-trips exactly', (millicores) => {
    expect(parseQuantity(formatCpu(millicores / 1000))).toBe(millicores / 1000);
  });
});

describe('formatMemory', () => {
  const cases: Array<[bytes: number, text: string]> = [
    [0, '0'],
    [1, '1'],
    [1000, '1000'],
    [1023, '1023'],
    [Ki, '1Ki'],
    [3 * Ki, '3Ki'],
    [1.5 * Ki, '1536'],
    [Mi, '1Mi'],
    [64 * Mi, '64Mi'],
    [512 * Mi, '512Mi'],
    [768 * Mi, '768Mi'],
    [1.5 * Gi, '1536Mi'],
    [Gi, '1Gi'],
    [2 * Gi, '2Gi'],
    [3 * Gi, '3Gi'],
    [1024 * Gi, '1Ti'],
    [1025 * Mi, '1025Mi'],
    [Gi + Ki, '1048577Ki'],
    [Gi + 1, '1073741825'],
    [Ti, '1Ti'],
    [1.5 * Ti, '1536Gi'],
    [Pi, '1Pi'],
    [4 * Pi, '4Pi'],
    // Decimal sizes stay in bytes (or Ki) rather than turn into a rounded binary unit.
    [1e9, '1000000000'],
    [128e6, '125000Ki'],
    // A fraction of a byte rounds up; noise does not.
    [0.5, '1'],
    [Mi + 0.25, '1048577'],
    [(0.1 + 0.2) * 10 * Gi, '3Gi'],
  ];
  it.each(cases)('%d bytes is "%s"', (bytes, text) => {
    expect(formatMemory(bytes)).toBe(text);
  });

  it.each(cases)('%d bytes survives parseQuantity within a byte, never below', (bytes, text) => {
    const parsed = parseQuantity(text);
    expect(parsed).not.toBeNull();
    expect(parsed as number).toBeGreaterThanOrEqual(bytes - 1e-6);
    expect((parsed as number) - bytes).toBeLessThan(1);
  });

  it('refuses byte counts beyond 2^53 rather than write them inexactly', () => {
    // 1 Ei is 2^60 bytes, above Number.MAX_SAFE_INTEGER.
    expect(() => formatMemory(Ei)).toThrow(ManifestError);
  });
});

describe('formatDecimal', () => {
  const cases: Array<[value: number, text: string]> = [
    [0, '0'],
    [1, '1'],
    [50, '50'],
    [1000, '1000'],
    [12.5, '12500m'],
    [0.5, '500m'],
    [0.1 + 0.2, '300m'],
    [0.0005, '500u'],
    [0.000001, '1u'],
    [1.5e-9, '2n'],
    [3.3333333333, '3333333334n'],
  ];
  it.each(cases)('%d is "%s"', (value, text) => {
    expect(formatDecimal(value)).toBe(text);
  });

  it.each(cases)('%d survives parseQuantity within a nano-unit', (value, text) => {
    const parsed = parseQuantity(text);
    expect(parsed).not.toBeNull();
    expect(Math.abs((parsed as number) - value)).toBeLessThanOrEqual(1e-9);
  });
});

describe('values that are not quantities', () => {
  const formatters = [
    ['formatCpu', formatCpu],
    ['formatMemory', formatMemory],
    ['formatDecimal', formatDecimal],
  ] as const;
  const invalid = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1, -0.001];

  for (const [name, format] of formatters) {
    it.each(invalid)(`${name} refuses %d with a ManifestError naming the field and value`, (value) => {
      let error: unknown;
      try {
        format(value, 'containers[0].requests.cpu');
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ManifestError);
      expect((error as ManifestError).field).toBe('containers[0].requests.cpu');
      expect((error as ManifestError).value).toBe(value);
      expect((error as ManifestError).message).toContain(String(value));
    });
  }

  it('refuses amounts too large to write exactly', () => {
    expect(() => formatCpu(1e13)).toThrow(/too large/);
    expect(() => formatDecimal(1e20)).toThrow(/too large/);
  });
});
