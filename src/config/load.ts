/**
 * Load a YAML file and validate it with a zod schema; every error names the file, the line and
 * column, and the field (suites, host inventories and any later config share this).
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, isNode, visit, type Document } from 'yaml';
import type { z } from 'zod';

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: { line: number; col: number; field: string; message: string }[],
  ) {
    super(problems.map((p) => `${file}:${p.line}:${p.col}: ${p.field ? `${p.field}: ` : ''}${p.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

export async function loadYaml<S extends z.ZodType>(file: string, schema: S): Promise<z.output<S>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ line: 0, col: 0, field: '', message: `cannot read: ${(err as Error).message}` }]);
  }
  return parseYaml(file, text, schema);
}

export function parseYaml<S extends z.ZodType>(file: string, text: string, schema: S): z.output<S> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { line: pos.line, col: pos.col, field: '', message: `YAML syntax: ${e.message.split('\n')[0]}` };
      }),
    );
  }
  let data: unknown;
  try {
    // an alias bomb (aliases of aliases, "billion laughs") would expand to gigabytes: yaml stops it
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const { line, col } = firstAlias(doc, lineCounter);
    throw new ConfigError(file, [
      {
        line,
        col,
        field: '',
        message: `YAML aliases expand too much (more than ${MAX_ALIAS_COUNT} nodes from aliases): ${(err as Error).message}`,
      },
    ]);
  }
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  throw new ConfigError(
    file,
    result.error.issues.map((issue) => {
      const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
      // point at the misspelt key itself, not at the object holding it
      if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) path.push(issue.keys[0]);
      const { line, col } = position(doc, path, lineCounter);
      return { line, col, field: formatPath(path), message: issue.message };
    }),
  );
}

/** yaml's default: generous for hand-written anchors, far below what an alias bomb needs */
export const MAX_ALIAS_COUNT = 100;

function firstAlias(doc: Document, lc: LineCounter): { line: number; col: number } {
  let at = 0;
  visit(doc, {
    Alias(_key, node) {
      at = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return lc.linePos(at);
}

/** The position of the deepest node of `path` that exists (a missing key points at its parent). */
function position(doc: Document, path: (string | number)[], lc: LineCounter): { line: number; col: number } {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return lc.linePos(node.range[0]);
  }
  return { line: 1, col: 1 };
}

function formatPath(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}
