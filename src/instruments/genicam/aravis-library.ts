import { createRequire } from 'node:module';
import type { LibraryHandle } from 'koffi';
import { BenchtopError } from '../../core/errors.ts';

/** The Debian package that ships libaravis 0.8; named in every "not installed" error. */
export const ARAVIS_PACKAGE = 'libaravis-0.8-0';
const ARAVIS_SONAME = 'libaravis-0.8.so.0';
const GOBJECT_SONAME = 'libgobject-2.0.so.0';

/** ArvGvStreamSocketBuffer AUTO: the receive socket's buffer sized to hold a whole frame. */
export const ARV_GV_STREAM_SOCKET_BUFFER_AUTO = 1;

/** ARV_BUFFER_STATUS_SUCCESS; every other status is a frame the stream failed to complete. */
export const ARV_BUFFER_STATUS_SUCCESS = 0;

type Koffi = typeof import('koffi');
let koffiModule: Koffi | undefined;
let gErrorType: ReturnType<Koffi['struct']> | undefined;

/** koffi (and its native addon) only once a camera is used: the catalog imports this folder. */
function koffi(): Koffi {
  koffiModule ??= createRequire(import.meta.url)('koffi') as Koffi;
  return koffiModule;
}

/** Opaque GObject pointers (ArvCamera, ArvStream, ArvBuffer, ArvDevice, ArvGcNode). */
export type Handle = object;

function declare(lib: LibraryHandle) {
  const f = (signature: string) => lib.func(signature);
  return {
    arv_update_device_list: f('void arv_update_device_list()'),
    arv_get_n_devices: f('unsigned int arv_get_n_devices()'),
    arv_get_device_id: f('const char *arv_get_device_id(unsigned int index)'),
    arv_get_device_vendor: f('const char *arv_get_device_vendor(unsigned int index)'),
    arv_get_device_model: f('const char *arv_get_device_model(unsigned int index)'),
    arv_get_device_serial_nbr: f('const char *arv_get_device_serial_nbr(unsigned int index)'),
    arv_get_device_address: f('const char *arv_get_device_address(unsigned int index)'),
    arv_get_device_protocol: f('const char *arv_get_device_protocol(unsigned int index)'),
    arv_camera_new: f('void *arv_camera_new(const char *name, _Out_ void **error)'),
    arv_camera_get_model_name: f('const char *arv_camera_get_model_name(void *camera, _Out_ void **error)'),
    arv_camera_get_vendor_name: f('const char *arv_camera_get_vendor_name(void *camera, _Out_ void **error)'),
    arv_camera_get_device_serial_number: f(
      'const char *arv_camera_get_device_serial_number(void *camera, _Out_ void **error)',
    ),
    arv_camera_get_device_id: f('const char *arv_camera_get_device_id(void *camera, _Out_ void **error)'),
    arv_camera_get_sensor_size: f(
      'void arv_camera_get_sensor_size(void *camera, _Out_ int *width, _Out_ int *height, _Out_ void **error)',
    ),
    arv_camera_set_exposure_time: f(
      'void arv_camera_set_exposure_time(void *camera, double us, _Out_ void **error)',
    ),
    arv_camera_get_exposure_time: f('double arv_camera_get_exposure_time(void *camera, _Out_ void **error)'),
    arv_camera_get_exposure_time_bounds: f(
      'void arv_camera_get_exposure_time_bounds(void *camera, _Out_ double *min, _Out_ double *max, _Out_ void **error)',
    ),
    arv_camera_set_frame_rate: f(
      'void arv_camera_set_frame_rate(void *camera, double hz, _Out_ void **error)',
    ),
    arv_camera_get_frame_rate: f('double arv_camera_get_frame_rate(void *camera, _Out_ void **error)'),
    arv_camera_set_gain: f('void arv_camera_set_gain(void *camera, double gain, _Out_ void **error)'),
    arv_camera_get_gain: f('double arv_camera_get_gain(void *camera, _Out_ void **error)'),
    arv_camera_set_region: f(
      'void arv_camera_set_region(void *camera, int x, int y, int width, int height, _Out_ void **error)',
    ),
    arv_camera_get_region: f(
      'void arv_camera_get_region(void *camera, _Out_ int *x, _Out_ int *y, _Out_ int *width, _Out_ int *height, _Out_ void **error)',
    ),
    arv_camera_is_binning_available: f(
      'bool arv_camera_is_binning_available(void *camera, _Out_ void **error)',
    ),
    arv_camera_set_binning: f(
      'void arv_camera_set_binning(void *camera, int dx, int dy, _Out_ void **error)',
    ),
    arv_camera_get_binning: f(
      'void arv_camera_get_binning(void *camera, _Out_ int *dx, _Out_ int *dy, _Out_ void **error)',
    ),
    arv_camera_set_pixel_format_from_string: f(
      'void arv_camera_set_pixel_format_from_string(void *camera, const char *format, _Out_ void **error)',
    ),
    arv_camera_get_pixel_format_as_string: f(
      'const char *arv_camera_get_pixel_format_as_string(void *camera, _Out_ void **error)',
    ),
    arv_camera_set_trigger: f(
      'void arv_camera_set_trigger(void *camera, const char *source, _Out_ void **error)',
    ),
    arv_camera_set_string: f(
      'void arv_camera_set_string(void *camera, const char *feature, const char *value, _Out_ void **error)',
    ),
    arv_camera_get_string: f(
      'const char *arv_camera_get_string(void *camera, const char *feature, _Out_ void **error)',
    ),
    arv_camera_execute_command: f(
      'void arv_camera_execute_command(void *camera, const char *feature, _Out_ void **error)',
    ),
    arv_camera_is_feature_available: f(
      'bool arv_camera_is_feature_available(void *camera, const char *feature, _Out_ void **error)',
    ),
    arv_camera_get_payload: f('unsigned int arv_camera_get_payload(void *camera, _Out_ void **error)'),
    arv_camera_is_gv_device: f('bool arv_camera_is_gv_device(void *camera)'),
    arv_camera_is_uv_device: f('bool arv_camera_is_uv_device(void *camera)'),
    arv_camera_gv_set_packet_size: f(
      'void arv_camera_gv_set_packet_size(void *camera, int size, _Out_ void **error)',
    ),
    arv_camera_get_device: f('void *arv_camera_get_device(void *camera)'),
    arv_device_get_feature: f('void *arv_device_get_feature(void *device, const char *feature)'),
    arv_gc_feature_node_get_value_as_string: f(
      'const char *arv_gc_feature_node_get_value_as_string(void *node, _Out_ void **error)',
    ),
    arv_gc_feature_node_set_value_from_string: f(
      'void arv_gc_feature_node_set_value_from_string(void *node, const char *value, _Out_ void **error)',
    ),
    arv_camera_create_stream: f(
      'void *arv_camera_create_stream(void *camera, void *callback, void *user_data, _Out_ void **error)',
    ),
    arv_camera_start_acquisition: f('void arv_camera_start_acquisition(void *camera, _Out_ void **error)'),
    arv_camera_stop_acquisition: f('void arv_camera_stop_acquisition(void *camera, _Out_ void **error)'),
    arv_buffer_new: f('void *arv_buffer_new(size_t size, void *preallocated)'),
    arv_stream_push_buffer: f('void arv_stream_push_buffer(void *stream, void *buffer)'),
    arv_stream_timeout_pop_buffer: f(
      'void *arv_stream_timeout_pop_buffer(void *stream, uint64_t timeout_us)',
    ),
    arv_stream_try_pop_buffer: f('void *arv_stream_try_pop_buffer(void *stream)'),
    arv_stream_get_info_uint64_by_name: f(
      'uint64_t arv_stream_get_info_uint64_by_name(void *stream, const char *name)',
    ),
    arv_buffer_get_status: f('int arv_buffer_get_status(void *buffer)'),
    arv_buffer_get_data: f('void *arv_buffer_get_data(void *buffer, _Out_ size_t *size)'),
    arv_buffer_get_frame_id: f('uint64_t arv_buffer_get_frame_id(void *buffer)'),
    arv_buffer_get_system_timestamp: f('uint64_t arv_buffer_get_system_timestamp(void *buffer)'),
    arv_buffer_get_image_width: f('int arv_buffer_get_image_width(void *buffer)'),
    arv_buffer_get_image_height: f('int arv_buffer_get_image_height(void *buffer)'),
    arv_buffer_get_image_pixel_format: f('uint32_t arv_buffer_get_image_pixel_format(void *buffer)'),
  };
}

export type AravisFunctions = ReturnType<typeof declare> & {
  g_object_unref: ReturnType<LibraryHandle['func']>;
  g_object_set: ReturnType<LibraryHandle['func']>;
  g_error_free: ReturnType<LibraryHandle['func']>;
};

let loaded: AravisFunctions | undefined;

/**
 * libaravis 0.8 and GObject, loaded once per thread. A machine without the library gets an
 * error naming the Debian package rather than a dlopen message.
 */
export function aravis(): AravisFunctions {
  loaded ??= openAravis(ARAVIS_SONAME);
  return loaded;
}

/** Loads `soname` as libaravis (tests name a missing one). */
export function openAravis(soname: string): AravisFunctions {
  let lib: LibraryHandle;
  let gobject: LibraryHandle;
  try {
    lib = koffi().load(soname);
    gobject = koffi().load(GOBJECT_SONAME);
  } catch (error) {
    throw new BenchtopError(
      'LIBRARY_MISSING',
      `GenicamCamera needs libaravis 0.8 (${soname}), which is not installed: apt-get install ${ARAVIS_PACKAGE}`,
      { library: soname, package: ARAVIS_PACKAGE, cause: String((error as Error).message ?? error) },
    );
  }
  return {
    ...declare(lib),
    g_object_unref: gobject.func('void g_object_unref(void *object)'),
    g_object_set: gobject.func('void g_object_set(void *object, const char *property, ...)'),
    g_error_free: lib.func('void g_error_free(void *error)'),
  };
}

/** A GError out-parameter: pass `.slot`, then `.check(what)` throws the error's message, freeing it. */
export function gerror(): { slot: [unknown]; check(what: string): void } {
  const slot: [unknown] = [null];
  return {
    slot,
    check(what) {
      const error = slot[0];
      if (!error) return;
      slot[0] = null;
      gErrorType ??= koffi().struct('GError', { domain: 'uint32_t', code: 'int', message: 'const char *' });
      const { code, message } = koffi().decode(error, gErrorType) as { code: number; message: string };
      aravis().g_error_free(error);
      throw new BenchtopError('INSTRUMENT_ERROR', `${what}: ${message}`, { instrumentCode: code });
    },
  };
}

/** The `size` bytes at `pointer`, without copying: valid only until the buffer is queued again. */
export function viewBytes(pointer: unknown, size: number): Uint8Array {
  return new Uint8Array(koffi().view(pointer, size));
}
