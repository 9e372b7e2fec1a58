/**
 * The regress webhook: one POST with a JSON body when there are new regressions. The body has a
 * Slack/Mattermost-style `text` line plus the structured changes, so a chat hook or a custom
 * receiver both work:
 *   {"text": "...", "source": ..., "lastRunId": ..., "regressions": [Change...], "improvements": [Change...],
 *    "shifts": [HostShift...]}
 * A host-wide shift that made the host slower is told as a regression is.
 */
import type { Change, HostShift, RegressReport } from '../analysis/regress.js';
import { newRegressions, newSlowerShifts } from '../analysis/regress.js';
import { seriesLabel } from '../export/regress-text.js';
import { formatChange } from '../analysis/change.js';
import { postJson } from './http-post.js';

export interface WebhookBody {
  text: string;
  source: string;
  lastRunId: string | null;
  regressions: Change[];
  improvements: Change[];
  /** new host-wide shifts that made a host slower */
  shifts: HostShift[];
}

export function webhookBody(r: RegressReport): WebhookBody {
  const fresh = newRegressions(r);
  const shifts = newSlowerShifts(r);
  const lines = [
    ...shifts.map(
      (sh) =>
        `• host-wide on ${sh.host}: ${sh.series} series, median ${formatChange(sh.medianChangePct)} since run ${sh.firstRunId} (fingerprint: ${sh.fingerprint})`,
    ),
    ...fresh.map((c) => `• ${seriesLabel(c)} ${c.metric}: ${formatChange(c.changePct)} since run ${c.firstRunId}`),
  ];
  return {
    text:
      `gmembench: ${fresh.length} new regression(s)${shifts.length ? `, ${shifts.length} host-wide shift(s)` : ''} as of run ${r.lastRunId ?? '-'}\n` +
      lines.join('\n'),
    source: r.source,
    lastRunId: r.lastRunId,
    regressions: fresh,
    improvements: r.improvements.filter((c) => !c.known),
    shifts,
  };
}

/** POST when there is something new to tell; returns whether it posted. */
export async function postRegressWebhook(
  url: string,
  r: RegressReport,
  opts: { always?: boolean; timeoutMs?: number } = {},
): Promise<boolean> {
  if (!opts.always && newRegressions(r).length + newSlowerShifts(r).length === 0) return false;
  await postJson(url, webhookBody(r), { what: 'webhook', timeoutMs: opts.timeoutMs });
  return true;
}
