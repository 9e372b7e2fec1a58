/** gmembench hosts [inventory]: every host's fingerprint as a capability table. */
import type { Command } from 'commander';
import { loadInventory, LOCAL_INVENTORY } from '../../config/hosts.js';
import { fingerprintHosts } from '../../benchmark/inspect.js';
import { formatHostsTable } from '../../output/hosts-table.js';
import { EXIT } from '../exit.js';
import { oneOf, positiveInteger, PROGRESS_MODES } from '../options.js';

export function registerHosts(program: Command): void {
  program
    .command('hosts')
    .description(
      'reach every host of an inventory and print what it can measure (kernel, KVM, VM types, guest_memfd flags, NUMA, hugetlb, secretmem)',
    )
    .argument('[inventory]', 'host inventory (hosts/*.yaml); default: this machine')
    .option('--concurrency <n>', 'hosts reached at once', positiveInteger, 8)
    .option(
      '--accept-new-host-keys',
      'ssh: add unknown host keys to known_hosts (like OpenSSH accept-new); changed keys are still refused',
    )
    .option('--progress <mode>', 'auto | tty | plain | silent', oneOf(PROGRESS_MODES), 'auto')
    .option('--json', 'print the host entries (with full fingerprints) as JSON')
    .action(async (file: string | undefined, o) => {
      const inventory = file ? await loadInventory(file) : LOCAL_INVENTORY;
      const ac = new AbortController();
      const onSignal = () => ac.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const entries = await fingerprintHosts(inventory, {
          concurrency: o.concurrency,
          progress: o.progress,
          acceptNewHostKeys: !!o.acceptNewHostKeys,
          signal: ac.signal,
        });
        if (o.json) process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
        else process.stdout.write(`${formatHostsTable(entries)}\n`);
        process.exitCode = entries.some((e) => e.status !== 'ok') ? EXIT.hostFailed : EXIT.ok;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
