import { createRequire } from 'node:module';
import type { LibraryHandle } from 'koffi';
import { BenchtopError } from '../../../core/errors.ts';

/** The PVCAM runtime as Teledyne Photometrics installs it (PVCAM SDK for Linux). */
export const PVCAM_LIBRARY = 'libpvcam.so.2';

type Koffi = typeof import('koffi');
let koffiModule: Koffi | undefined;

/** koffi and its native addon only when a PVCAM SDK camera is opened. */
export function koffi(): Koffi {
  koffiModule ??= createRequire(import.meta.url)('koffi') as Koffi;
  return koffiModule;
}

const CLASS2 = 2;
const CLASS3 = 3;
const TYPE_INT16 = 1;
const TYPE_FLT64 = 4;
const TYPE_UNS16 = 6;
const TYPE_UNS64 = 8;
const TYPE_ENUM = 9;
const TYPE_CHAR_PTR = 13;
const param = (cls: number, type: number, n: number) => (cls << 16) + (type << 24) + n;

/** PVCAM parameter ids (pvcam.h: class, type and number packed in one uns32) with their value types. */
export const Params = {
  CHIP_NAME: { id: param(CLASS2, TYPE_CHAR_PTR, 129), type: 'string' },
  PRODUCT_NAME: { id: param(CLASS2, TYPE_CHAR_PTR, 132), type: 'string' },
  HEAD_SER_NUM_ALPHA: { id: param(CLASS2, TYPE_CHAR_PTR, 533), type: 'string' },
  PAR_SIZE: { id: param(CLASS2, TYPE_UNS16, 57), type: 'uint16_t' },
  SER_SIZE: { id: param(CLASS2, TYPE_UNS16, 58), type: 'uint16_t' },
  READOUT_TIME: { id: param(CLASS2, TYPE_FLT64, 179), type: 'double' },
  CLEAR_MODE: { id: param(CLASS2, TYPE_ENUM, 523), type: 'int32_t' },
  TEMP: { id: param(CLASS2, TYPE_INT16, 525), type: 'int16_t' },
  TEMP_SETPOINT: { id: param(CLASS2, TYPE_INT16, 526), type: 'int16_t' },
  BIT_DEPTH: { id: param(CLASS2, TYPE_INT16, 511), type: 'int16_t' },
  GAIN_INDEX: { id: param(CLASS2, TYPE_INT16, 512), type: 'int16_t' },
  SPDTAB_INDEX: { id: param(CLASS2, TYPE_INT16, 513), type: 'int16_t' },
  READOUT_PORT: { id: param(CLASS2, TYPE_ENUM, 247), type: 'int32_t' },
  PIX_TIME: { id: param(CLASS2, TYPE_UNS16, 516), type: 'uint16_t' },
  EXP_RES: { id: param(CLASS3, TYPE_ENUM, 2), type: 'int32_t' },
  EXPOSURE_TIME: { id: param(CLASS3, TYPE_UNS64, 8), type: 'uint64_t' },
} as const;
export type ParamName = keyof typeof Params;

/** PL_PARAM_ATTRIBUTES. */
export const Attr = { CURRENT: 0, COUNT: 1, MIN: 3, MAX: 4, AVAIL: 8 } as const;
export const CIRC_NO_OVERWRITE = 1;
export const CCS_HALT = 1;
export const EXP_RES_ONE_MICROSEC = 1;
/** pl_exp_trigger's flags: PL_SW_TRIG_STATUS_TRIGGERED. */
export const SW_TRIG_STATUS_TRIGGERED = 0;
/** PL_IMAGE_STATUSES from pl_exp_check_cont_status. */
export const ReadoutStatus = { NOT_ACTIVE: 0, COMPLETE: 3, FAILED: 4 } as const;
/** pvcam.h's CAM_NAME_LEN, ERROR_MSG_LEN and MAX_ALPHA_SER_NUM_LEN-sized string buffers. */
const CAM_NAME_LEN = 32;
const ERROR_MSG_LEN = 255;
const STRING_PARAM_LEN = 256;

let structs: { rgn: unknown; frameInfo: unknown } | undefined;

/** koffi type names are global: the structures are declared once for every library loaded. */
function declareStructs(): { rgn: unknown; frameInfo: unknown } {
  if (structs) return structs;
  const k = koffi();
  const rgn = k.struct('rgn_type', {
    s1: 'uint16_t',
    s2: 'uint16_t',
    sbin: 'uint16_t',
    p1: 'uint16_t',
    p2: 'uint16_t',
    pbin: 'uint16_t',
  });
  const guid = k.struct('PVCAM_FRAME_INFO_GUID', {
    f1: 'uint32_t',
    f2: 'uint16_t',
    f3: 'uint16_t',
    f4: k.array('uint8_t', 8),
  });
  const frameInfo = k.struct('FRAME_INFO', {
    FrameInfoGUID: guid,
    hCam: 'int16_t',
    FrameNr: 'int32_t',
    TimeStamp: 'int64_t',
    ReadoutTime: 'int32_t',
    TimeStampBOF: 'int64_t',
  });
  structs = { rgn, frameInfo };
  return structs;
}

function declare(lib: LibraryHandle) {
  const types = declareStructs();
  const f = (signature: string) => lib.func(signature);
  return {
    types,
    pl_pvcam_init: f('uint16_t pl_pvcam_init()'),
    pl_pvcam_uninit: f('uint16_t pl_pvcam_uninit()'),
    pl_cam_get_total: f('uint16_t pl_cam_get_total(_Out_ int16_t *total)'),
    pl_cam_get_name: f('uint16_t pl_cam_get_name(int16_t n, _Out_ uint8_t *name)'),
    pl_cam_open: f('uint16_t pl_cam_open(const char *name, _Out_ int16_t *hcam, int16_t mode)'),
    pl_cam_close: f('uint16_t pl_cam_close(int16_t hcam)'),
    pl_get_param: f('uint16_t pl_get_param(int16_t hcam, uint32_t id, int16_t attr, _Out_ uint8_t *value)'),
    pl_set_param: f('uint16_t pl_set_param(int16_t hcam, uint32_t id, const uint8_t *value)'),
    pl_exp_setup_cont: f(
      'uint16_t pl_exp_setup_cont(int16_t hcam, uint16_t total, const rgn_type *rgn, int16_t mode, uint32_t exposure, _Out_ uint32_t *bytes, int16_t buffer_mode)',
    ),
    pl_exp_start_cont: f('uint16_t pl_exp_start_cont(int16_t hcam, void *buffer, uint32_t size)'),
    pl_exp_check_cont_status: f(
      'uint16_t pl_exp_check_cont_status(int16_t hcam, _Out_ int16_t *status, _Out_ uint32_t *bytes, _Out_ uint32_t *count)',
    ),
    pl_exp_get_oldest_frame_ex: f(
      'uint16_t pl_exp_get_oldest_frame_ex(int16_t hcam, _Out_ void **frame, _Out_ FRAME_INFO *info)',
    ),
    pl_exp_unlock_oldest_frame: f('uint16_t pl_exp_unlock_oldest_frame(int16_t hcam)'),
    pl_exp_trigger: f('uint16_t pl_exp_trigger(int16_t hcam, _Out_ uint32_t *flags, uint32_t value)'),
    pl_exp_stop_cont: f('uint16_t pl_exp_stop_cont(int16_t hcam, int16_t state)'),
    pl_error_code: f('int16_t pl_error_code()'),
    pl_error_message: f('uint16_t pl_error_message(int16_t code, _Out_ uint8_t *message)'),
  };
}

export type PvcamFunctions = ReturnType<typeof declare>;

const loaded = new Map<string, PvcamFunctions>();

/** libpvcam (or a library with its API, in tests) loaded once per path. */
export function pvcam(library: string): PvcamFunctions {
  const known = loaded.get(library);
  if (known) return known;
  let lib: LibraryHandle;
  try {
    lib = koffi().load(library);
  } catch (error) {
    throw new BenchtopError(
      'LIBRARY_MISSING',
      `backend = "pvcam" needs the PVCAM runtime (${library}), which is not installed: install the PVCAM SDK from Teledyne Photometrics, or use backend = "simulated"`,
      { library, cause: String((error as Error).message ?? error) },
    );
  }
  const functions = declare(lib);
  loaded.set(library, functions);
  return functions;
}

/** A NUL-terminated string from a byte buffer the library filled. */
export function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return Buffer.from(bytes.buffer, bytes.byteOffset, end < 0 ? bytes.length : end).toString('latin1');
}

export const buffers = {
  cameraName: () => new Uint8Array(CAM_NAME_LEN),
  errorMessage: () => new Uint8Array(ERROR_MSG_LEN + 1),
  param: () => new Uint8Array(STRING_PARAM_LEN),
};
