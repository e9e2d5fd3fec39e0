/**
 * Kubernetes resource quantities ("100m", "1.5", "512Mi", "1G", "1e3") as plain numbers: cores for CPU, bytes
 * for memory. The grammar is apimachinery's `resource.ParseQuantity`:
 *
 *   <quantity> ::= <sign><number><suffix>
 *   <number>   ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
 *   <suffix>   ::= Ki | Mi | Gi | Ti | Pi | Ei          (powers of 1024)
 *                | n | u | m | "" | k | M | G | T | P | E (powers of 1000)
 *                | e<sign><digits> | E<sign><digits>     (decimal exponent)
 *
 * "1E" is one exa but "1E3" is a thousand: an exponent wins when digits follow the E. "1mi", "1KB", "1 Mi"
 * and "" are not quantities, and the API server rejects them; so do we (null), rather than guess.
 */
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([numkMGTPE]?)|[eE]([+-]?\d+))$/;

const BINARY_POWERS: Readonly<Record<string, number>> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL_EXPONENTS: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

/**
 * The value of a quantity, or null when it is not one. YAML hands us numbers for `cpu: 2` and strings for
 * `cpu: "2"`; both are accepted.
 */
export function parseQuantity(quantity: string | number): number | null {
  if (typeof quantity === 'number') return Number.isFinite(quantity) ? quantity : null;
  const match = QUANTITY.exec(quantity);
  if (!match) return null;
  const [, sign = '', digits = '', binarySuffix, decimalSuffix, exponent] = match;
  let value: number;
  if (binarySuffix !== undefined) {
    value = Number(sign + digits) * 1024 ** (BINARY_POWERS[binarySuffix] ?? 0);
  } else {
    // Scaling through the number's text ("100e-3") rather than multiplying (100 * 0.001) keeps 100m at
    // exactly the double nearest 0.1.
    const power = exponent !== undefined ? Number(exponent) : (DECIMAL_EXPONENTS[decimalSuffix ?? ''] ?? 0);
    value = Number(`${sign}${digits}e${power}`);
  }
  return Number.isFinite(value) ? value : null;
}
