/**
 * Numbers and layout for people: the units of the report (seconds, cores, bytes, requests per second,
 * ratios, unix seconds) as an on-call engineer reads them, aligned columns for a terminal, and cells that
 * survive a Markdown table. `null` is shown as "n/a", never as 0.
 */
import { formatCpu, formatMemory } from '../../core/export/quantity';

export const NOT_AVAILABLE = 'n/a';

/** Three significant digits, trailing zeros dropped: 1.45, 14.5, 145, 0.0253. */
function significant(value: number, digits = 3): string {
  if (value === 0) return '0';
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  return String(Number(value.toFixed(Math.min(decimals, 6))));
}

/** Latency: "249 ms", "1.45 s", "0.9 ms". */
export function formatLatency(seconds: number | null): string {
  if (seconds === null) return NOT_AVAILABLE;
  if (seconds < 1) return `${significant(seconds * 1000)} ms`;
  return `${significant(seconds)} s`;
}

/** The histogram bucket a quantile falls in: "1–2 s", "100–250 ms", "750 ms–1 s", "> 5 s". */
export function formatBucket(bucket: readonly [number | null, number | null] | null): string {
  if (bucket === null) return NOT_AVAILABLE;
  const [lower, upper] = bucket;
  if (upper === null) return lower === null ? NOT_AVAILABLE : `> ${formatLatency(lower)}`;
  if (lower === null) return `≤ ${formatLatency(upper)}`;
  const low = formatLatency(lower);
  const high = formatLatency(upper);
  const unit = (text: string): string => text.replace(/^[\d.]+ /, '');
  return unit(low) === unit(high) ? `${low.replace(/ \S+$/, '')}–${high}` : `${low}–${high}`;
}

/** Requests per second: "217/s", "49.1/s", "0.025/s". */
export function formatRate(rps: number | null): string {
  if (rps === null) return NOT_AVAILABLE;
  return `${rps >= 100 ? Math.round(rps) : significant(rps)}/s`;
}

/** A ratio in [0, 1] as a percentage: "0%", "0.30%", "1.5%", "37%", "<0.01%". */
export function formatPercent(ratio: number | null): string {
  if (ratio === null) return NOT_AVAILABLE;
  const percent = ratio * 100;
  const size = Math.abs(percent);
  if (size === 0) return '0%';
  if (size < 0.01) return percent < 0 ? '>-0.01%' : '<0.01%';
  return `${percent.toFixed(size < 1 ? 2 : size < 10 ? 1 : 0)}%`;
}

/** A burn rate: "90×", "1.2×", "0×". */
export function formatBurn(rate: number | null): string {
  if (rate === null) return NOT_AVAILABLE;
  return `${rate >= 100 ? Math.round(rate) : significant(rate, 2)}×`;
}

/** Cores as Kubernetes writes them ("150m", "2"); null is "none" when it is a limit, else "n/a". */
export function formatCores(cores: number | null, absent = NOT_AVAILABLE): string {
  return cores === null ? absent : formatCpu(cores);
}

/** Bytes as Kubernetes writes them ("512Mi", "1536Mi"); an odd byte count as approximate MiB ("~691.2Mi"). */
export function formatBytes(bytes: number | null, absent = NOT_AVAILABLE): string {
  if (bytes === null) return absent;
  const quantity = formatMemory(bytes);
  return /^\d+$/.test(quantity) && bytes >= 1024 ** 2 ? `~${Number((bytes / 1024 ** 2).toFixed(1))}Mi` : quantity;
}

/** A plain amount with up to `decimals` decimals and thousands separators: "1,234.5". */
export function formatAmount(value: number, decimals = 1): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: decimals, minimumFractionDigits: 0 });
}

/** Money: "1,234.56 USD". */
export function formatMoney(value: number, currency: string): string {
  return `${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency}`;
}

/** Unix seconds as "2026-11-12 18:00 UTC" (seconds shown only when they are not zero). */
export function formatTime(unixSeconds: number): string {
  const iso = new Date(unixSeconds * 1000).toISOString();
  const seconds = iso.slice(17, 19);
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}${seconds === '00' ? '' : `:${seconds}`} UTC`;
}

export type Align = 'left' | 'right';

/** Rows as aligned columns separated by two spaces; trailing spaces trimmed. */
export function columns(rows: ReadonlyArray<readonly string[]>, align: readonly Align[] = []): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, displayWidth(cell))));
  return rows.map((row) =>
    row
      .map((cell, i) => {
        const pad = ' '.repeat((widths[i] ?? 0) - displayWidth(cell));
        return align[i] === 'right' ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd(),
  );
}

/** Characters as a terminal shows them; every character the CLI prints is one column wide. */
function displayWidth(text: string): number {
  return [...text].length;
}

/** Text broken into lines of at most `width` columns (long words stay whole), each prefixed by `indent`. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const room = Math.max(20, width - displayWidth(indent));
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && displayWidth(line) + 1 + displayWidth(word) > room) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(indent + line);
  return lines;
}

/** A Markdown table cell: one line, pipes escaped, HTML-ish brackets neutralised. */
export function markdownCell(text: string): string {
  return text.replace(/\s+/g, ' ').trim().replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A Markdown table from a header and rows. */
export function markdownTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>, align: readonly Align[] = []): string[] {
  const rule = header.map((_, i) => (align[i] === 'right' ? '---:' : '---'));
  return [header, rule, ...rows].map((row) => `| ${row.join(' | ')} |`);
}

/** Code in Markdown text: backticks that the content cannot break out of. */
export function markdownCode(text: string): string {
  const fence = '`'.repeat(Math.max(1, ...[...text.matchAll(/`+/g)].map((m) => m[0].length + 1)));
  return fence.length > 1 ? `${fence} ${text} ${fence}` : `\`${text}\``;
}

export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
