/**
 * gmembench dashboards [--out dashboards/]: write the Grafana dashboards, the regression alert rules
 * and the provisioning files (datasource, dashboard provider) generated from src/dashboards/.
 */
import type { Command } from 'commander';
import { checkDatasourceUid, DEFAULTS, writeDashboards } from '../../dashboards/generate.js';
import { EXIT } from '../exit.js';

export function registerDashboards(program: Command): void {
  program
    .command('dashboards')
    .description(
      'generate the Grafana dashboards (JSON), regression alert rules and provisioning files (datasource, dashboards) for the InfluxDB schema',
    )
    .option('--out <dir>', 'output folder', 'dashboards')
    .option(
      '--datasource-uid <uid>',
      'uid of the InfluxDB datasource: provisioned with it, the dashboards default to it, the alert rules read it',
      DEFAULTS.datasourceUid,
    )
    .option('--influx <url>', 'the InfluxDB the provisioned datasource reads', DEFAULTS.influxUrl)
    .option('--db <name>', 'its database', DEFAULTS.db)
    .option(
      '--dashboards-path <dir>',
      "where Grafana reads the dashboards' JSON (the dashboard provider's path)",
      DEFAULTS.dashboardsPath,
    )
    .action(async (o) => {
      try {
        checkDatasourceUid(o.datasourceUid);
        if (!/^https?:\/\/[^/\s]+/.test(o.influx)) throw new Error(`--influx: "${o.influx}" is not an http(s) URL`);
        const files = await writeDashboards(o.out, {
          datasourceUid: o.datasourceUid,
          influxUrl: o.influx,
          db: o.db,
          dashboardsPath: o.dashboardsPath,
        });
        for (const f of files) process.stdout.write(`wrote ${f}\n`);
        process.exitCode = EXIT.ok;
      } catch (err) {
        process.stderr.write(`gmembench dashboards: ${(err as Error).message}\n`);
        process.exitCode = /^--/.test((err as Error).message) ? EXIT.usage : EXIT.error;
      }
    });
}
