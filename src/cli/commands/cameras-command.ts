import { isBenchtopError } from '../../core/errors.ts';
import type { Invocation } from '../command-spec.ts';

/** One camera `cameras list` found, with the config key that selects it. */
export interface ListedCamera {
  type: 'GenicamCamera' | 'PVCAMInstrument';
  /** `device_id` for a GenicamCamera, `camera_name` (backend = "pvcam") for a PVCAMInstrument. */
  id: string;
  vendor: string;
  model: string;
  serial: string;
  address: string;
  /** GigEVision, USB3Vision (Aravis's names) or PVCAM. */
  protocol: string;
}

/** A camera family that could not be searched here, and why (a missing library, a failing SDK). */
export interface UnlistedFamily {
  type: ListedCamera['type'];
  reason: string;
}

/** Each family on its own: one missing library never hides the other's cameras. */
async function listFamily(
  type: ListedCamera['type'],
  find: () => Promise<Omit<ListedCamera, 'type'>[]>,
): Promise<{ cameras: ListedCamera[]; unlisted?: UnlistedFamily }> {
  try {
    return { cameras: (await find()).map((c) => ({ type, ...c })) };
  } catch (error) {
    if (!isBenchtopError(error)) throw error;
    return { cameras: [], unlisted: { type, reason: error.message } };
  }
}

/**
 * `benchtop cameras list`: the cameras this machine can see, with the id a config takes —
 * GenICam ones (GigE Vision, USB3 Vision) through libaravis, PVCAM ones through libpvcam. Runs
 * locally: discovery is a broadcast on this machine's networks and buses, and PVCAM's
 * initialisation is per process, so it never runs inside the server.
 */
export async function camerasListAction(
  inv: Invocation<{ json?: boolean; pvcamLibrary?: string }, Record<string, never>>,
): Promise<number> {
  const genicam = await listFamily('GenicamCamera', async () => {
    const { discoverGenicamCameras } = await import('../../instruments/genicam/discover-cameras.ts');
    return discoverGenicamCameras().map(({ deviceId, ...rest }) => ({ id: deviceId, ...rest }));
  });
  const pvcam = await listFamily('PVCAMInstrument', async () => {
    const { discoverPvcamCameras } = await import('../../instruments/pvcam/sdk/discover-pvcam-cameras.ts');
    return discoverPvcamCameras(inv.options.pvcamLibrary).map((name) => ({
      id: name,
      vendor: 'Teledyne Photometrics',
      model: '',
      serial: '',
      address: '',
      protocol: 'PVCAM',
    }));
  });
  const cameras = [...genicam.cameras, ...pvcam.cameras];
  const unlisted = [genicam.unlisted, pvcam.unlisted].filter((u) => u !== undefined);
  if (inv.options.json) {
    inv.out.write(`${JSON.stringify({ cameras, unlisted }, null, 2)}\n`);
    return 0;
  }
  if (cameras.length === 0) inv.out.write('no cameras found\n');
  else {
    const rows = [
      ['TYPE', 'ID', 'VENDOR', 'MODEL', 'SERIAL', 'ADDRESS', 'PROTOCOL'],
      ...cameras.map((c) => [c.type, c.id, c.vendor, c.model, c.serial, c.address, c.protocol]),
    ];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const row of rows) {
      inv.out.write(
        `${row
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd()}\n`,
      );
    }
  }
  for (const family of unlisted) inv.out.write(`${family.type} cameras not listed: ${family.reason}\n`);
  return 0;
}
