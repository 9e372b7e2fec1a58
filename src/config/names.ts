/**
 * Names and labels from suites and inventories end up in run directory names, InfluxDB tags and
 * the terminal: refuse at load what none of them can hold, so nothing fails (or is mangled) later.
 */
import { z } from 'zod';
import { CONTROL_CHAR, tagValueProblem } from '../influx/schema.js';

/** UTF-8 bytes: a run directory is <time>-<suite name>-<suffix>, and a file name holds 255 */
export const MAX_NAME_BYTES = 100;

/** Why `v` cannot be a suite or workload name, or null. */
export function nameProblem(v: string): string | null {
  const bytes = Buffer.byteLength(v, 'utf8');
  if (bytes > MAX_NAME_BYTES)
    return `is ${bytes} bytes long; at most ${MAX_NAME_BYTES} (it becomes part of a file name)`;
  return tagValueProblem(v);
}

/** A label's key: printable, not empty */
export function labelKeyProblem(v: string): string | null {
  if (v.length === 0) return 'is empty';
  if (CONTROL_CHAR.test(v)) return 'contains a control character';
  return null;
}

const refined = (problem: (v: string) => string | null) =>
  z.string().superRefine((v, ctx) => {
    const p = problem(v);
    if (p)
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}...` : v)} ${p}` });
  });

export const nameSchema = refined(nameProblem);
/** a label's value is an InfluxDB tag (platform) or may become one */
export const labelsSchema = z.record(refined(labelKeyProblem), refined(tagValueProblem));
