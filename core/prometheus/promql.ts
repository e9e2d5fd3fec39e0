/**
 * Small builders for PromQL text. Everything Headroom sends is built here or from these pieces, so
 * quoting is right once and global matchers (e.g. `cluster="prod-eu"` on a Thanos or Mimir that
 * holds many clusters) reach every selector.
 */

/** One label matcher, e.g. `{ label: 'code', op: '=~', value: '5..' }`. */
export interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function formatMatchers(matchers: readonly Matcher[]): string {
  return matchers.map((m) => `${m.label}${m.op}"${escapeLabelValue(m.value)}"`).join(', ');
}

/** `metric{a="b", …}` with the global matchers appended. */
export function selector(metric: string, matchers: readonly Matcher[], global: readonly Matcher[] = []): string {
  const all = [...matchers, ...global];
  return all.length === 0 ? metric : `${metric}{${formatMatchers(all)}}`;
}

export const eq = (label: string, value: string): Matcher => ({ label, op: '=', value });
export const ne = (label: string, value: string): Matcher => ({ label, op: '!=', value });
export const re = (label: string, value: string): Matcher => ({ label, op: '=~', value });
export const nre = (label: string, value: string): Matcher => ({ label, op: '!~', value });

/** Regex that matches exactly one of the given literal values. */
export function anyOf(values: readonly string[]): string {
  return values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
}

/** PromQL duration text for a number of seconds: 300 → "5m", 604800 → "7d", 90 → "90s". */
export function duration(seconds: number): string {
  const s = Math.max(1, Math.round(seconds));
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (s % size === 0) return `${s / size}${unit}`;
  }
  return `${s}s`;
}

/** Parses the durations Headroom accepts from users: "7d", "36h", "90m", "1d12h", "300s", "300". */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed) return null;
  const unit: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
  return parts.reduce((sum, p) => sum + Number(p[1]) * (unit[p[2] as string] as number), 0);
}

/**
 * Sets label `label` to a constant on every series of `expr`: `label_replace(expr, "window", "5m", "", "")`
 * (the empty source label matches the empty regex). Used to answer several windows in one request.
 */
export function withConstantLabel(expr: string, label: string, value: string): string {
  return `label_replace(${expr}, "${label}", "${escapeLabelValue(value)}", "", "")`;
}

/** Copies label `from` into `to` where `from` is set (label_replace leaves non-matching series alone). */
export function copyLabel(expr: string, to: string, from: string): string {
  return `label_replace(${expr}, "${to}", "$1", "${from}", "(.+)")`;
}

/** Answers several queries in one request; each part must carry a label that tells them apart. */
export function union(parts: readonly string[]): string {
  return parts.map((p) => `(${p})`).join(' or ');
}
