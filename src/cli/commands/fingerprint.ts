/** gmembench fingerprint: what the probe sees on this machine. */
import type { Command } from 'commander';
import { buildProbe } from '../../probe/build.js';
import { ProbeClient } from '../../probe/client.js';
import { LocalTransport } from '../../transport/local.js';

export function registerFingerprint(program: Command): void {
  program
    .command('fingerprint')
    .description("print this machine's fingerprint (kernel, CPU, memory, KVM capabilities) as JSON")
    .action(async () => {
      const probe = await buildProbe();
      const fp = await new ProbeClient(new LocalTransport(), probe.path).fingerprint();
      process.stdout.write(`${JSON.stringify(fp, null, 2)}\n`);
    });
}
