/**
 * Plain-text columns for terminals and e-mail: right-aligned numbers, left-aligned words.
 * Hand-written: the table libraries draw box borders that do not survive a mailing list.
 * A table can fit a width: columns with a lower `priority` are left out first, and one `wrap`
 * column (a note, a reason) takes what is left and continues on indented lines.
 */
export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** left out first when the table is too wide (default: never left out) */
  priority?: number;
  /** the column whose text wraps to the width that is left (the last column) */
  wrap?: boolean;
  /** a heading over a run of adjacent columns with the same group, e.g. the path */
  group?: string;
}

export interface ColumnOptions {
  gap?: number;
  rule?: boolean;
  /** the width to fit (Infinity: no limit) */
  width?: number;
}

/** The width a table printed on stdout should fit: COLUMNS, the terminal's, or 100 for a pipe. */
export function outputWidth(
  stream: { isTTY?: boolean; columns?: number } = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): number {
  const fromEnv = Number(env.COLUMNS);
  if (Number.isInteger(fromEnv) && fromEnv >= 40) return fromEnv;
  if (stream.isTTY && stream.columns && stream.columns >= 40) return stream.columns;
  return 100;
}

/** Words wrapped to `width` characters; a word longer than the width is cut. */
export function wrapText(text: string, width: number): string[] {
  if (width <= 0 || text.length <= width) return [text];
  const lines: string[] = [];
  let cur = '';
  for (let word of text.split(/\s+/).filter(Boolean)) {
    while (word.length > width) {
      if (cur) {
        lines.push(cur);
        cur = '';
      }
      lines.push(word.slice(0, width));
      word = word.slice(width);
    }
    if (!cur) cur = word;
    else if (cur.length + 1 + word.length <= width) cur += ` ${word}`;
    else {
      lines.push(cur);
      cur = word;
    }
  }
  if (cur) lines.push(cur);
  return lines.length ? lines : [''];
}

export interface FittedColumns {
  text: string;
  /** headers of the columns left out to fit the width */
  hidden: string[];
}

export function fitColumns(columns: Column[], rows: string[][], opts: ColumnOptions = {}): FittedColumns {
  const gapN = opts.gap ?? 2;
  const width = opts.width ?? Infinity;
  const natural = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  let keep = columns.map((_, i) => i);
  const total = (idx: number[], wrapMin: boolean) =>
    idx.reduce((s, i) => s + (wrapMin && columns[i].wrap ? Math.min(natural[i], 24) : natural[i]), 0) +
    gapN * Math.max(0, idx.length - 1);
  // leave out the lowest-priority columns until the table fits (a wrap column counts as 24 wide)
  const droppable = columns
    .map((c, i) => ({ i, p: c.priority }))
    .filter((x) => x.p !== undefined)
    .sort((a, b) => a.p! - b.p! || b.i - a.i);
  for (const d of droppable) {
    if (total(keep, true) <= width) break;
    keep = keep.filter((i) => i !== d.i);
  }
  const widths = natural.slice();
  const wrapIdx = keep.find((i) => columns[i].wrap);
  if (wrapIdx !== undefined && Number.isFinite(width)) {
    const others =
      total(
        keep.filter((i) => i !== wrapIdx),
        false,
      ) + gapN;
    widths[wrapIdx] = Math.max(
      Math.min(natural[wrapIdx], width - others),
      Math.min(natural[wrapIdx], 16),
      columns[wrapIdx].header.length,
    );
  }
  const gap = ' '.repeat(gapN);
  const indentOf = (i: number) => keep.slice(0, keep.indexOf(i)).reduce((s, j) => s + widths[j] + gapN, 0);
  const line = (cells: string[]) =>
    keep
      .map((i) =>
        columns[i].align === 'right' ? (cells[i] ?? '').padStart(widths[i]) : (cells[i] ?? '').padEnd(widths[i]),
      )
      .join(gap)
      .trimEnd();
  const out: string[] = [];
  // group headings: one line above the headers, each heading over its run of columns
  if (keep.some((i) => columns[i].group)) {
    let g = '';
    for (const i of keep) {
      const name = columns[i].group;
      const start = indentOf(i);
      const prev = keep[keep.indexOf(i) - 1];
      if (name && (prev === undefined || columns[prev].group !== name)) {
        g = g.padEnd(start) + name;
      }
    }
    out.push(g.trimEnd());
  }
  out.push(line(columns.map((c) => c.header)));
  if (opts.rule ?? true) out.push(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) {
    if (wrapIdx === undefined) {
      out.push(line(r));
      continue;
    }
    const parts = wrapText(r[wrapIdx] ?? '', widths[wrapIdx]);
    out.push(line(r.map((c, i) => (i === wrapIdx ? parts[0] : c))));
    const pad = ' '.repeat(indentOf(wrapIdx));
    for (const p of parts.slice(1)) out.push(`${pad}${p}`.trimEnd());
  }
  const hidden = columns
    .filter((_, i) => !keep.includes(i))
    .map((c) => (c.group ? `${c.group} ${c.header}` : c.header));
  return { text: out.join('\n'), hidden };
}

export function formatColumns(columns: Column[], rows: string[][], opts: ColumnOptions = {}): string {
  return fitColumns(columns, rows, opts).text;
}
