/** One zod error as a line that names the field: `extra.leak.method: Invalid option ...`. */
import type { z } from 'zod';

export function fieldPath(path: readonly PropertyKey[], root = ''): string {
  let out = root;
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out || '(the whole value)';
}

export function issueText(error: z.ZodError, root = ''): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${fieldPath(i.path, root)}: ${i.message}`)
    .join('; ');
}
