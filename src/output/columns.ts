/**
 * Plain-text columns for terminals and e-mail: right-aligned numbers, left-aligned words.
 * Hand-written: the table libraries draw box borders that do not survive a mailing list.
 */
export interface Column {
  header: string;
  align?: 'left' | 'right';
}

export function formatColumns(columns: Column[], rows: string[][], opts: { gap?: number; rule?: boolean } = {}): string {
  const gap = ' '.repeat(opts.gap ?? 2);
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (columns[i].align === 'right' ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join(gap)
      .trimEnd();
  const out = [line(columns.map((c) => c.header))];
  if (opts.rule ?? true) out.push(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) out.push(line(r));
  return out.join('\n');
}
