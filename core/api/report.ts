/**
 * The report contract (PRODUCT.md, "Report contract"): what `analyze --format json` prints and what the
 * app shows. Units: seconds, cores, bytes, requests per second, ratios in [0, 1], unix seconds.
 * Fields may be added; none may change meaning without bumping `schemaVersion`.
 *
 * Numbers that cannot be computed are `null`, never NaN or Infinity; the reason goes into `notes`.
 */
import { z } from 'zod';

export const REPORT_SCHEMA_VERSION = 1;

const finiteNumber = z.number().finite();
const nullableNumber = finiteNumber.nullable();
const ratio = finiteNumber.min(0).max(1);

export const targetRefSchema = z.object({
  namespace: z.string(),
  kind: z.string(),
  name: z.string(),
});
export type TargetRef = z.infer<typeof targetRefSchema>;

export const burnWindowIds = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;
export type BurnWindowId = (typeof burnWindowIds)[number];

export const alertStateSchema = z.enum(['page', 'ticket', 'none']);
export type AlertState = z.infer<typeof alertStateSchema>;

export const sloStatusSchema = z.object({
  objective: ratio,
  /** 1 = untouched, 0 = spent, negative = overspent; null without traffic in the period. */
  errorBudgetRemaining: nullableNumber,
  burnRates: z.object({
    '5m': nullableNumber,
    '30m': nullableNumber,
    '1h': nullableNumber,
    '2h': nullableNumber,
    '6h': nullableNumber,
    '1d': nullableNumber,
    '3d': nullableNumber,
  }),
  alert: alertStateSchema,
  /** Seconds until the remaining budget is gone at the current (1h) burn; null when not burning. */
  timeToExhaustion: nullableNumber.optional(),
  /** Length of the SLO period in seconds (default 30 days). */
  period: finiteNumber.optional(),
});
export type SloStatus = z.infer<typeof sloStatusSchema>;

export const latencySchema = z.object({
  p50: nullableNumber,
  p95: nullableNumber,
  p99: nullableNumber,
  /** Bounds of the histogram bucket the p99 falls in: [lower, upper]; upper is null for +Inf. */
  p99Bucket: z.tuple([nullableNumber, nullableNumber]).nullable(),
});
export type Latency = z.infer<typeof latencySchema>;

export const serviceReportSchema = z.object({
  namespace: z.string(),
  name: z.string(),
  kind: z.string(),
  rps: nullableNumber,
  errorRatio: ratio.nullable(),
  latency: latencySchema,
  slo: sloStatusSchema,
  /** Which HTTP instrumentation the numbers come from (e.g. `opentelemetry`, `spring`, `promhttp`). */
  instrumentation: z.string().optional(),
  /** Requests counted in the window. */
  requests: nullableNumber.optional(),
  lowTraffic: z.boolean().optional(),
  /** Why a number is null or should be read with care. */
  notes: z.array(z.string()).optional(),
});
export type ServiceReport = z.infer<typeof serviceReportSchema>;

export const severitySchema = z.enum(['critical', 'warning', 'info']);
export type Severity = z.infer<typeof severitySchema>;

export const evidenceSchema = z.object({
  label: z.string(),
  query: z.string(),
  value: nullableNumber,
  unit: z.string().optional(),
  /** A range query to chart this evidence over the window. */
  series: z
    .object({ query: z.string(), start: finiteNumber, end: finiteNumber, step: finiteNumber })
    .optional(),
});
export type Evidence = z.infer<typeof evidenceSchema>;

export const silenceRefSchema = z.object({
  reason: z.string(),
  expiresAt: finiteNumber,
  createdAt: finiteNumber,
});

export const findingSchema = z.object({
  rule: z.string(),
  severity: severitySchema,
  target: targetRefSchema,
  summary: z.string(),
  evidence: z.array(evidenceSchema),
  remediation: z.string(),
  /** Index into `recommendations` of the fix this finding points to, when there is one. */
  recommendation: z.number().int().min(0).nullable().optional(),
  /** Present when a silence covers this finding; silenced findings stay in the report. */
  silenced: silenceRefSchema.nullable().optional(),
  docs: z.string().optional(),
});
export type Finding = z.infer<typeof findingSchema>;

const resourcePairSchema = z.object({ request: nullableNumber, limit: nullableNumber });
const resourcesSchema = z.object({ cpu: resourcePairSchema, memory: resourcePairSchema });
export type Resources = z.infer<typeof resourcesSchema>;

export const recommendationSchema = z.object({
  kind: z.enum(['resources', 'hpa', 'pdb']),
  target: targetRefSchema,
  container: z.string(),
  current: resourcesSchema,
  proposed: resourcesSchema,
  manifest: z.string(),
  /** How far to trust the numbers, in [0, 1], with the reasons. */
  confidence: ratio.optional(),
  rationale: z.array(z.string()).optional(),
});
export type Recommendation = z.infer<typeof recommendationSchema>;

export const notEvaluatedSchema = z.object({
  rule: z.string(),
  target: targetRefSchema.nullable(),
  missing: z.array(z.string()),
});
export type NotEvaluated = z.infer<typeof notEvaluatedSchema>;

export const reportSchema = z.object({
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  window: z.object({ start: finiteNumber, end: finiteNumber }),
  services: z.array(serviceReportSchema),
  findings: z.array(findingSchema),
  recommendations: z.array(recommendationSchema),
  /** Rules that could not run (or not for some targets) and what they lacked. */
  notEvaluated: z.array(notEvaluatedSchema).optional(),
  /** Warnings from the data source and the analysis (e.g. a query that had to be coarsened). */
  warnings: z.array(z.string()).optional(),
});
export type Report = z.infer<typeof reportSchema>;
