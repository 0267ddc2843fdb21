import { createRequire } from 'node:module';

// Configuration validation (is `[backup] schedule` a cron expression?) and the backup scheduler
// both need it; it lives here so the config layer does not reach into storage.
/** The next time a cron expression fires after `afterMs` (epoch ms). Throws on a bad expression. */
export function nextCronTime(expression: string, afterMs: number): number {
  // Loaded on first use (with luxon, its date library): only a configuration with a schedule needs it.
  const { CronExpressionParser } = createRequire(import.meta.url)(
    'cron-parser',
  ) as typeof import('cron-parser');
  return CronExpressionParser.parse(expression, { currentDate: new Date(afterMs) })
    .next()
    .getTime();
}
