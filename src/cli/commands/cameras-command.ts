import type { Invocation } from '../command-spec.ts';

/**
 * `benchtop cameras list`: the GenICam cameras (GigE Vision, USB3 Vision) this machine can see,
 * through libaravis, with the `device_id` a GenicamCamera config takes. Runs locally: discovery
 * is a broadcast on this machine's networks, not a server request.
 */
export async function camerasListAction(
  inv: Invocation<{ json?: boolean }, Record<string, never>>,
): Promise<number> {
  const { discoverGenicamCameras } = await import('../../instruments/genicam/discover-cameras.ts');
  const cameras = discoverGenicamCameras();
  if (inv.options.json) {
    inv.out.write(`${JSON.stringify(cameras, null, 2)}\n`);
    return 0;
  }
  if (cameras.length === 0) {
    inv.out.write('no GenICam cameras found\n');
    return 0;
  }
  const rows = [
    ['DEVICE_ID', 'VENDOR', 'MODEL', 'SERIAL', 'ADDRESS', 'PROTOCOL'],
    ...cameras.map((c) => [c.deviceId, c.vendor, c.model, c.serial, c.address, c.protocol]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows)
    inv.out.write(
      `${row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd()}\n`,
    );
  return 0;
}
