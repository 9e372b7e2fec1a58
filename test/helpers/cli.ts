/** Run the gmembench CLI from source, as a user would, and capture what it prints. */
import { execa } from 'execa';
import { resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');

export async function cli(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
) {
  const r = await execa('node', ['--import', 'tsx', resolve(ROOT, 'src/cli/index.ts'), ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...opts.env, FORCE_COLOR: '0' },
    reject: false,
    timeout: opts.timeoutMs ?? 300_000,
    stdin: 'ignore',
  });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}
