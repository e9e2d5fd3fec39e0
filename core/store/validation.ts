/**
 * Input checks shared by the store's modules. Inputs arrive over IPC and HTTP from the renderer, so they are
 * parsed, not trusted; a failure becomes one line naming every field that is wrong.
 */
import type { z } from 'zod';
import { StoreError } from './errors';

export function parseInput<Schema extends z.ZodType>(schema: Schema, value: unknown, action: string): z.output<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    // A bad record key is reported as "Invalid key in record", with the reason one level down.
    const message = issue.code === 'invalid_key' ? issue.issues.map((inner) => inner.message).join(', ') : issue.message;
    return issue.path.length === 0 ? message : `${issue.path.join('.')}: ${message}`;
  });
  throw new StoreError('invalid', `${action}: ${problems.join('; ')}.`);
}

/** Ids come from URLs, command lines and IPC; anything but a positive safe integer cannot name a row. */
export function parseRowId(id: unknown, what: string): number {
  if (typeof id === 'number' && Number.isSafeInteger(id) && id > 0) return id;
  throw new StoreError('invalid', `${what} ids are positive whole numbers, not ${JSON.stringify(id) ?? String(id)}.`);
}

/** A unix time for messages, in the ISO form people read in logs. */
export function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}
