/** gmembench dashboards [--out dashboards/]: write the Grafana dashboards and alert rules generated from src/dashboards/ */
import type { Command } from 'commander';
import { writeDashboards } from '../../dashboards/generate.js';

export function registerDashboards(program: Command): void {
  program
    .command('dashboards')
    .description('generate the Grafana dashboards (JSON) and regression alert rules (provisioning YAML) for the InfluxDB schema')
    .option('--out <dir>', 'output folder', 'dashboards')
    .action(async (o) => {
      for (const f of await writeDashboards(o.out)) process.stdout.write(`wrote ${f}\n`);
    });
}
