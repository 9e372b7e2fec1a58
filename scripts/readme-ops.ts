/** Rewrite the README's op table from src/workloads/*.ts (test/readme-ops.test.ts fails when they drift). */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { withOpTable } from '../src/workloads/readme.js';

const file = fileURLToPath(new URL('../README.md', import.meta.url));
const before = await readFile(file, 'utf8');
const after = withOpTable(before);
if (after !== before) await writeFile(file, after);
process.stdout.write(after === before ? 'README.md: op table up to date\n' : 'README.md: op table rewritten\n');
