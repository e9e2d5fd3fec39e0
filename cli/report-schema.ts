/**
 * The JSON Schema of the report that `analyze --format json` prints, generated from the zod schema the CLI
 * validates its output with, and published as docs/report.schema.json (`headroom schema` prints it; a test
 * fails when the file is stale). Objects accept properties they do not list: the contract lets fields be
 * added without a new schemaVersion, and a consumer validating with this file must keep working then.
 */
import { z } from 'zod';
import { REPORT_SCHEMA_VERSION, reportSchema } from '../core/api/report';

export function reportJsonSchema(): Record<string, unknown> {
  // `input` describes what a reader may accept: objects stay open to added fields (`output` would close them).
  const generated = z.toJSONSchema(reportSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    title: `Headroom report, schemaVersion ${REPORT_SCHEMA_VERSION}`,
    description:
      'What `headroom analyze --format json` prints (PRODUCT.md, "Report contract"). Units: seconds, cores, bytes, ' +
      'requests per second, ratios in [0, 1], unix seconds. Numbers that cannot be computed are null. Fields may be ' +
      'added; none changes meaning without a new schemaVersion.',
    ...rest,
  };
}

/** The file's text: two-space JSON and a final newline, as committed. */
export function reportJsonSchemaText(): string {
  return `${JSON.stringify(reportJsonSchema(), null, 2)}\n`;
}
