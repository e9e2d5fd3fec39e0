/**
 * What the analysis needs from a PromQL store. `PrometheusClient` implements it over HTTP; tests and
 * offline snapshots can implement it too. Values that the API returns as NaN or ±Inf arrive as null.
 */
export type LabelSet = Readonly<Record<string, string>>;

export interface InstantSample {
  labels: LabelSet;
  value: number | null;
}

export interface RangePoint {
  time: number;
  value: number | null;
}

export interface RangeSeries {
  labels: LabelSet;
  points: RangePoint[];
}

export interface QueryResult<T> {
  data: T;
  /** Warnings from the store and notes from the client (e.g. a range split into chunks). */
  warnings: string[];
}

export interface QueryApi {
  instant(query: string, time: number, signal?: AbortSignal): Promise<QueryResult<InstantSample[]>>;
  range(query: string, start: number, end: number, step: number, signal?: AbortSignal): Promise<QueryResult<RangeSeries[]>>;
  labelNames(match: readonly string[], start: number, end: number, signal?: AbortSignal): Promise<QueryResult<string[]>>;
  labelValues(label: string, match: readonly string[], start: number, end: number, signal?: AbortSignal): Promise<QueryResult<string[]>>;
}
