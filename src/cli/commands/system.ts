/** gmembench system show [--hosts FILE]: the machine state that makes runs noisy, and what to fix. */
import type { Command } from 'commander';
import { loadInventory, LOCAL_INVENTORY } from '../../config/hosts.js';
import { fingerprintHosts } from '../../benchmark/inspect.js';
import { checkSystem, formatSystemState, noisy } from '../../system/check.js';
import { hostFailureText } from '../../output/host-failure.js';
import { EXIT } from '../exit.js';

export function registerSystem(program: Command): void {
  const system = program
    .command('system')
    .description('the machine state behind run-to-run noise (as pyperf system show)');
  system
    .command('show')
    .description('governor, THP, load, swap, busy processes, virtualization; warns when noisy')
    .option('--hosts <file>', 'host inventory (hosts/*.yaml); default: this machine')
    .option('--json', 'print the state and findings as JSON')
    .option('--check', 'exit 3 when a host looks noisy')
    .action(async (o) => {
      const inventory = o.hosts ? await loadInventory(o.hosts) : LOCAL_INVENTORY;
      const entries = await fingerprintHosts(inventory, { progress: 'silent' });
      const out = entries.map((e) => ({
        host: e.name,
        system: e.fingerprint?.system ?? null,
        thp: e.fingerprint?.thp ?? null,
        findings: e.fingerprint ? checkSystem(e.fingerprint) : [],
        error: e.status === 'ok' ? undefined : hostFailureText(e),
      }));
      if (o.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      else {
        const text = entries.map((e) =>
          e.fingerprint ? formatSystemState(e.name, e.fingerprint) : `${e.name}: ${hostFailureText(e)}`,
        );
        process.stdout.write(`${text.join('\n\n')}\n`);
      }
      const bad = entries.some((e) => e.status !== 'ok') || (o.check && out.some((x) => noisy(x.findings)));
      process.exitCode = bad ? EXIT.hostFailed : EXIT.ok;
    });
}
