/**
 * Numbers as Kubernetes quantities, the inverse of `core/kubernetes/quantity.ts`: cores as "250m" or "2",
 * bytes as "512Mi", "1Gi" or "1536Mi", plain values (requests per second, lag) as "50" or "12500m".
 *
 * Values are rounded up to what the API server can store, never down: a request a hair below the
 * recommendation could tip a container into throttling or OOM, while a millicore or a byte more costs
 * nothing. A difference below floating-point noise (0.1 + 0.2 cores) is not a real fraction and is not
 * rounded up.
 */
import { ManifestError } from './errors';

const BINARY_UNITS: ReadonlyArray<[suffix: string, bytes: number]> = [
  ['Ei', 1024 ** 6],
  ['Pi', 1024 ** 5],
  ['Ti', 1024 ** 4],
  ['Gi', 1024 ** 3],
  ['Mi', 1024 ** 2],
  ['Ki', 1024],
];

/** Relative tolerance for "is this already a whole number of units": far above double rounding error. */
const NOISE = 1e-12;

/**
 * Cores as the API server writes them: whole cores bare ("2"), anything else in millicores ("250m"). The
 * API server keeps CPU to the millicore and rounds finer values up; so does this.
 */
export function formatCpu(cores: number, field = 'cpu'): string {
  const millicores = wholeUnitsUp(cores * 1000, field, cores);
  return millicores % 1000 === 0 ? String(millicores / 1000) : `${millicores}m`;
}

/**
 * Bytes in the largest binary unit that keeps the number whole: 536870912 is "512Mi", 1610612736 is "1536Mi"
 * (not "1.5Gi", which is a valid quantity but not the canonical form kubectl shows), 1000 is "1000". A
 * fraction of a byte is rounded up.
 */
export function formatMemory(bytes: number, field = 'memory'): string {
  const whole = wholeUnitsUp(bytes, field, bytes);
  if (whole === 0) return '0';
  for (const [suffix, size] of BINARY_UNITS) {
    if (whole % size === 0) return `${whole / size}${suffix}`;
  }
  return String(whole);
}

const DECIMAL_SCALES: ReadonlyArray<[suffix: string, perUnit: number]> = [
  ['', 1],
  ['m', 1e3],
  ['u', 1e6],
  ['n', 1e9],
];

/**
 * A plain value (requests per second, messages of lag) in the coarsest of units, milli, micro and nano that
 * keeps it whole: 50 is "50", 12.5 is "12500m", 0.0005 is "500u". Finer than a nano-unit is rounded up.
 */
export function formatDecimal(value: number, field = 'value'): string {
  checkAmount(value, field, value);
  for (const [suffix, perUnit] of DECIMAL_SCALES) {
    const scaled = value * perUnit;
    const rounded = Math.round(scaled);
    if (isWholeButForNoise(scaled, rounded) && Number.isSafeInteger(rounded)) {
      return `${rounded}${suffix}`;
    }
  }
  return `${wholeUnitsUp(value * 1e9, field, value)}n`;
}

/** `amount` as a whole number of units, rounded up unless it is a whole number but for noise. */
function wholeUnitsUp(amount: number, field: string, original: number): number {
  checkAmount(amount, field, original);
  const nearest = Math.round(amount);
  const whole = isWholeButForNoise(amount, nearest) ? nearest : Math.ceil(amount);
  if (!Number.isSafeInteger(whole)) {
    throw new ManifestError('Quantity', [{ field, value: original, message: 'is too large to write exactly' }]);
  }
  return whole;
}

function isWholeButForNoise(amount: number, nearest: number): boolean {
  return Math.abs(amount - nearest) <= NOISE * amount;
}

function checkAmount(amount: number, field: string, original: number): void {
  if (!Number.isFinite(amount) || amount < 0) {
    throw new ManifestError('Quantity', [
      { field, value: original, message: 'must be a finite number of zero or more' },
    ]);
  }
}
