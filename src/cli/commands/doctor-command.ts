import { runDoctor } from '../../app/doctor.ts';
import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import { silentLogger } from '../../core/logger.ts';
import type { Invocation } from '../command-spec.ts';
import { resolveConfigFile } from '../config-source.ts';

/** `benchtop doctor [--config FILE]`: every check with what to do about a failed one; exit 1 when any failed. */
export async function doctorAction(
  inv: Invocation<{ config?: string; timeout: string }, unknown>,
): Promise<number> {
  const file = resolveConfigFile(inv.options.config, inv.env);
  const loaded = loadBenchtopConfig({ file, env: inv.env });
  inv.out.write(`benchtop doctor: ${file}\n`);
  const checks = await runDoctor(loaded, silentLogger(), Number(inv.options.timeout) * 1000);
  for (const c of checks) {
    inv.out.write(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}: ${c.message}\n`);
    if (!c.ok && c.fix) inv.out.write(`      fix: ${c.fix}\n`);
  }
  const failed = checks.filter((c) => !c.ok).length;
  inv.out.write(failed === 0 ? 'everything is fine\n' : `${failed} problem${failed > 1 ? 's' : ''}\n`);
  return failed === 0 ? 0 : 1;
}
