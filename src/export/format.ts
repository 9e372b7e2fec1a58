/**
 * One interface for every exported output (compare's and regress's tables, JSON, CSV, JUnit):
 * a named renderer of a model T, and a registry that finds one by the name given to --format.
 */
export interface Format<T> {
  /** what --format calls it */
  name: string;
  render(value: T): string;
}

export interface FormatRegistry<T> {
  /** the formats by name, in registration order */
  readonly byName: Readonly<Record<string, Format<T>>>;
  readonly names: readonly string[];
  /** the format called `name`; an unknown name is an error naming --format and the choices */
  get(name: string): Format<T>;
}

export function formatRegistry<T>(formats: readonly Format<T>[]): FormatRegistry<T> {
  const byName: Record<string, Format<T>> = {};
  for (const f of formats) {
    if (byName[f.name]) throw new Error(`format "${f.name}" registered twice`);
    byName[f.name] = f;
  }
  const names = formats.map((f) => f.name);
  return {
    byName,
    names,
    get(name: string): Format<T> {
      const f = Object.hasOwn(byName, name) ? byName[name] : undefined;
      if (!f) throw new Error(`--format: unknown format "${name}" (one of ${names.join(', ')})`);
      return f;
    },
  };
}
