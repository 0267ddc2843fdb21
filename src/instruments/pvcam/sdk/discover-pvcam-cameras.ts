import { BenchtopError } from '../../../core/errors.ts';
import { buffers, cString, PVCAM_LIBRARY, type PvcamFunctions, pvcam } from './pvcam-library.ts';

/**
 * The camera names PVCAM reports (pl_cam_get_total, pl_cam_get_name): what a PVCAMInstrument's
 * `camera_name` takes with `backend = "pvcam"`. Initialises and uninitialises the library, which
 * is process-wide: call it from a process that has no PVCAM camera open (the CLI), never from
 * the server.
 */
export function discoverPvcamCameras(library: string = PVCAM_LIBRARY): string[] {
  const sdk = pvcam(library);
  const check = (what: string, ok: unknown) => {
    if (!ok) throw pvcamError(sdk, what);
  };
  check('pl_pvcam_init', sdk.pl_pvcam_init());
  try {
    const total = [0];
    check('pl_cam_get_total', sdk.pl_cam_get_total(total));
    const names: string[] = [];
    for (let i = 0; i < total[0]!; i++) {
      const name = buffers.cameraName();
      check(`pl_cam_get_name(${i})`, sdk.pl_cam_get_name(i, name));
      names.push(cString(name));
    }
    return names;
  } finally {
    sdk.pl_pvcam_uninit();
  }
}

function pvcamError(sdk: PvcamFunctions, what: string): BenchtopError {
  const code = sdk.pl_error_code() as number;
  const message = buffers.errorMessage();
  sdk.pl_error_message(code, message);
  return new BenchtopError('INSTRUMENT_ERROR', `PVCAM ${what}: ${cString(message)}`, {
    instrumentCode: code,
  });
}
