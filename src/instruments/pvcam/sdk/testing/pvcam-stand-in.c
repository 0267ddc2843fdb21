/*
 * A stand-in for libpvcam, for tests only: the subset of the PVCAM C API the SDK backend calls,
 * with a simulated 256x256 sensor whose frames a thread writes into the caller's circular buffer
 * at the exposure period (CIRC_NO_OVERWRITE: a frame that finds every slot locked is lost, and
 * FrameNr still counts it). Parameter ids, attributes and structures are PVCAM's.
 * Built by the test set-up: cc -shared -fPIC -o libpvcam-stand-in.so pvcam-stand-in.c -lpthread
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef unsigned short rs_bool;
typedef int16_t int16;
typedef uint16_t uns16;
typedef int32_t int32;
typedef uint32_t uns32;
typedef int64_t long64;
typedef uint64_t uns64;

typedef struct { uns16 s1, s2, sbin, p1, p2, pbin; } rgn_type;
typedef struct { uns32 f1; uns16 f2; uns16 f3; uint8_t f4[8]; } PVCAM_FRAME_INFO_GUID;
typedef struct {
  PVCAM_FRAME_INFO_GUID FrameInfoGUID;
  int16 hCam;
  int32 FrameNr;
  long64 TimeStamp;
  int32 ReadoutTime;
  long64 TimeStampBOF;
} FRAME_INFO;

#define CLASS2 2
#define CLASS3 3
#define TYPE_INT16 1
#define TYPE_FLT64 4
#define TYPE_UNS16 6
#define TYPE_UNS64 8
#define TYPE_ENUM 9
#define TYPE_CHAR_PTR 13
#define P(c, t, n) (((c) << 16) + ((t) << 24) + (n))
#define PARAM_CHIP_NAME P(CLASS2, TYPE_CHAR_PTR, 129)
#define PARAM_PRODUCT_NAME P(CLASS2, TYPE_CHAR_PTR, 132)
#define PARAM_HEAD_SER_NUM_ALPHA P(CLASS2, TYPE_CHAR_PTR, 533)
#define PARAM_PAR_SIZE P(CLASS2, TYPE_UNS16, 57)
#define PARAM_SER_SIZE P(CLASS2, TYPE_UNS16, 58)
#define PARAM_READOUT_TIME P(CLASS2, TYPE_FLT64, 179)
#define PARAM_CLEAR_MODE P(CLASS2, TYPE_ENUM, 523)
#define PARAM_TEMP P(CLASS2, TYPE_INT16, 525)
#define PARAM_TEMP_SETPOINT P(CLASS2, TYPE_INT16, 526)
#define PARAM_BIT_DEPTH P(CLASS2, TYPE_INT16, 511)
#define PARAM_GAIN_INDEX P(CLASS2, TYPE_INT16, 512)
#define PARAM_SPDTAB_INDEX P(CLASS2, TYPE_INT16, 513)
#define PARAM_READOUT_PORT P(CLASS2, TYPE_ENUM, 247)
#define PARAM_PIX_TIME P(CLASS2, TYPE_UNS16, 516)
#define PARAM_EXP_RES P(CLASS3, TYPE_ENUM, 2)
#define PARAM_EXPOSURE_TIME P(CLASS3, TYPE_UNS64, 8)
enum { ATTR_CURRENT, ATTR_COUNT, ATTR_TYPE, ATTR_MIN, ATTR_MAX, ATTR_DEFAULT, ATTR_INCREMENT, ATTR_ACCESS, ATTR_AVAIL };
enum { READOUT_NOT_ACTIVE, EXPOSURE_IN_PROGRESS, READOUT_IN_PROGRESS, READOUT_COMPLETE, READOUT_FAILED };

#define WIDTH 256
#define HEIGHT 256
#define ERR_NOT_INIT 1
#define ERR_NO_CAMERA 2
#define ERR_PARAM 3
#define ERR_RANGE 4
#define ERR_NO_FRAME 5
#define ERR_STATE 6
#define ERR_UNPLUGGED 7

static int16 last_error;
static int initialised, opened, unplugged;
static int16 port, speed = 0, gain = 1, clear_mode = 1, setpoint = -2000, exp_res = 0;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t sensor;
static int running;
/* Extended exposure mode from pl_exp_setup_cont: software-triggered modes wait for pl_exp_trigger. */
#define EXT_TRIG_SOFTWARE_FIRST (11 << 8)
#define EXT_TRIG_SOFTWARE_EDGE (12 << 8)
static int exposure_mode, triggers_pending, first_triggered;
static uint16_t *ring;
static uns32 slots, frame_pixels, frame_w, frame_h, exposure_us;
static uns32 head, count; /* oldest slot and slots holding frames */
static int32 frame_nr, slot_nr[1024];
static long64 slot_ts[1024];

static rs_bool fail(int16 code) { last_error = code; return 0; }
static rs_bool ok(void) { last_error = 0; return 1; }
static int16 bit_depth(void) { return speed == 0 ? 16 : 11; }
static int16 max_gain(void) { return speed == 0 ? 1 : 3; }

int16 pl_error_code(void) { return last_error; }
rs_bool pl_error_message(int16 code, char *msg) {
  static const char *messages[] = {"no error", "PVCAM not initialised", "no such camera",
                                   "parameter not available", "value out of range", "no frame available",
                                   "wrong acquisition state", "camera not responding (unplugged)"};
  snprintf(msg, 255, "%s", code >= 0 && code <= 7 ? messages[code] : "unknown error");
  return 1;
}

/* Test hook: the camera stops answering, as if its cable were pulled. */
void stand_in_unplug(void) { unplugged = 1; }

/*
 * Test hook: with 1, a sensor that finds every slot locked waits for one instead of losing the
 * frame, so a test of ordering and copying does not depend on keeping up with the exposure
 * rate on a busy machine (the drop test leaves it at 0).
 */
static volatile int wait_for_slots = 0;
void stand_in_wait_for_slots(int on) { wait_for_slots = on; }

rs_bool pl_pvcam_init(void) { initialised = 1; unplugged = 0; return ok(); }
rs_bool pl_pvcam_uninit(void) { initialised = 0; return ok(); }
rs_bool pl_cam_get_total(int16 *total) {
  if (!initialised) return fail(ERR_NOT_INIT);
  *total = 1;
  return ok();
}
rs_bool pl_cam_get_name(int16 n, char *name) {
  if (!initialised) return fail(ERR_NOT_INIT);
  if (n != 0) return fail(ERR_NO_CAMERA);
  strcpy(name, "StandInCam");
  return ok();
}
rs_bool pl_cam_open(char *name, int16 *h, int16 mode) {
  (void)mode;
  if (!initialised) return fail(ERR_NOT_INIT);
  if (strcmp(name, "StandInCam") != 0) return fail(ERR_NO_CAMERA);
  opened = 1;
  *h = 7;
  return ok();
}
rs_bool pl_exp_stop_cont(int16 h, int16 state);
rs_bool pl_cam_close(int16 h) {
  if (running) pl_exp_stop_cont(h, 1);
  opened = 0;
  return ok();
}

static rs_bool checked(int16 h) {
  if (!initialised) return fail(ERR_NOT_INIT);
  if (!opened || h != 7) return fail(ERR_NO_CAMERA);
  if (unplugged) return fail(ERR_UNPLUGGED);
  return 1;
}

rs_bool pl_get_param(int16 h, uns32 id, int16 attr, void *value) {
  if (!checked(h)) return 0;
  if (attr == ATTR_AVAIL) {
    *(rs_bool *)value = 1;
    return ok();
  }
  switch (id) {
  case PARAM_CHIP_NAME: strcpy(value, "StandIn-CMOS"); return ok();
  case PARAM_PRODUCT_NAME: strcpy(value, "Stand-in Prime"); return ok();
  case PARAM_HEAD_SER_NUM_ALPHA: strcpy(value, "SI-0001"); return ok();
  case PARAM_SER_SIZE: *(uns16 *)value = WIDTH; return ok();
  case PARAM_PAR_SIZE: *(uns16 *)value = HEIGHT; return ok();
  case PARAM_READOUT_PORT:
    if (attr == ATTR_COUNT) *(uns32 *)value = 1; else *(int32 *)value = port;
    return ok();
  case PARAM_SPDTAB_INDEX:
    *(int16 *)value = attr == ATTR_MAX ? 1 : attr == ATTR_MIN ? 0 : speed;
    return ok();
  case PARAM_GAIN_INDEX:
    *(int16 *)value = attr == ATTR_MAX ? max_gain() : attr == ATTR_MIN ? 1 : gain;
    return ok();
  case PARAM_BIT_DEPTH: *(int16 *)value = bit_depth(); return ok();
  case PARAM_PIX_TIME: *(uns16 *)value = speed == 0 ? 10 : 5; return ok();
  case PARAM_CLEAR_MODE:
    if (attr == ATTR_COUNT) *(uns32 *)value = 6; else *(int32 *)value = clear_mode;
    return ok();
  case PARAM_TEMP: *(int16 *)value = setpoint; return ok();
  case PARAM_TEMP_SETPOINT:
    *(int16 *)value = attr == ATTR_MIN ? -2500 : attr == ATTR_MAX ? 2500 : setpoint;
    return ok();
  case PARAM_READOUT_TIME: *(double *)value = (speed == 0 ? 11.35 : 5.14) * HEIGHT / 1000.0; return ok();
  case PARAM_EXP_RES: *(int32 *)value = exp_res; return ok();
  case PARAM_EXPOSURE_TIME:
    *(uns64 *)value = attr == ATTR_MIN ? 1 : attr == ATTR_MAX ? 10000000 : exposure_us;
    return ok();
  }
  return fail(ERR_PARAM);
}

rs_bool pl_set_param(int16 h, uns32 id, void *value) {
  if (!checked(h)) return 0;
  if (running) return fail(ERR_STATE);
  switch (id) {
  case PARAM_READOUT_PORT:
    if (*(int32 *)value != 0) return fail(ERR_RANGE);
    return ok();
  case PARAM_SPDTAB_INDEX:
    if (*(int16 *)value < 0 || *(int16 *)value > 1) return fail(ERR_RANGE);
    speed = *(int16 *)value;
    if (gain > max_gain()) gain = 1;
    return ok();
  case PARAM_GAIN_INDEX:
    if (*(int16 *)value < 1 || *(int16 *)value > max_gain()) return fail(ERR_RANGE);
    gain = *(int16 *)value;
    return ok();
  case PARAM_CLEAR_MODE: clear_mode = (int16)*(int32 *)value; return ok();
  case PARAM_TEMP_SETPOINT: setpoint = *(int16 *)value; return ok();
  case PARAM_EXP_RES: exp_res = (int16)*(int32 *)value; return ok();
  }
  return fail(ERR_PARAM);
}

rs_bool pl_exp_setup_cont(int16 h, uns16 total, const rgn_type *rgn, int16 mode, uns32 exposure, uns32 *bytes,
                          int16 buffer_mode) {
  (void)buffer_mode;
  exposure_mode = mode & 0xff00;
  if (!checked(h)) return 0;
  if (total != 1 || rgn->s2 >= WIDTH || rgn->p2 >= HEIGHT || rgn->sbin == 0 || rgn->pbin == 0) return fail(ERR_RANGE);
  frame_w = (rgn->s2 - rgn->s1 + 1) / rgn->sbin;
  frame_h = (rgn->p2 - rgn->p1 + 1) / rgn->pbin;
  frame_pixels = frame_w * frame_h;
  /* EXP_RES_ONE_MILLISEC 0, EXP_RES_ONE_MICROSEC 1 */
  exposure_us = exp_res == 1 ? exposure : exposure * 1000;
  *bytes = frame_pixels * 2;
  return ok();
}

static long64 now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long64)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static void *expose(void *arg) {
  (void)arg;
  long64 next = now_us();
  for (;;) {
    next += exposure_us < 1000 ? 1000 : exposure_us;
    long64 wait = next - now_us();
    if (wait > 0) usleep((useconds_t)wait);
    pthread_mutex_lock(&lock);
    if (!running || unplugged) {
      pthread_mutex_unlock(&lock);
      if (!running) return NULL;
      continue;
    }
    /* Software modes: no exposure until triggered (edge: one per trigger; first: free-run after). */
    int waiting = (exposure_mode == EXT_TRIG_SOFTWARE_EDGE && triggers_pending == 0) ||
                  (exposure_mode == EXT_TRIG_SOFTWARE_FIRST && !first_triggered);
    if (waiting) {
      pthread_mutex_unlock(&lock);
      continue;
    }
    if (wait_for_slots && count >= slots) {
      pthread_mutex_unlock(&lock);
      continue;
    }
    if (exposure_mode == EXT_TRIG_SOFTWARE_EDGE) triggers_pending--;
    int32 nr = ++frame_nr;
    if (count < slots) {
      uns32 slot = (head + count) % slots;
      uint16_t *px = ring + (size_t)slot * frame_pixels;
      uint16_t mask = (uint16_t)((1u << bit_depth()) - 1);
      for (uns32 y = 0; y < frame_h; y++)
        for (uns32 x = 0; x < frame_w; x++) px[y * frame_w + x] = (uint16_t)((x + y + (uns32)nr) & mask);
      slot_nr[slot] = nr;
      slot_ts[slot] = now_us();
      count++;
    }
    pthread_mutex_unlock(&lock);
  }
}

rs_bool pl_exp_start_cont(int16 h, void *buffer, uns32 size) {
  if (!checked(h)) return 0;
  if (running || frame_pixels == 0) return fail(ERR_STATE);
  slots = size / (frame_pixels * 2);
  if (slots < 1 || slots > 1024) return fail(ERR_RANGE);
  ring = buffer;
  head = count = 0;
  frame_nr = 0;
  triggers_pending = first_triggered = 0;
  running = 1;
  pthread_create(&sensor, NULL, expose, NULL);
  return ok();
}

rs_bool pl_exp_check_cont_status(int16 h, int16 *status, uns32 *bytes, uns32 *buffer_cnt) {
  if (!checked(h)) return 0;
  pthread_mutex_lock(&lock);
  *status = !running ? READOUT_NOT_ACTIVE : count > 0 ? READOUT_COMPLETE : EXPOSURE_IN_PROGRESS;
  *bytes = count > 0 ? frame_pixels * 2 : 0;
  *buffer_cnt = count;
  pthread_mutex_unlock(&lock);
  return ok();
}

rs_bool pl_exp_get_oldest_frame_ex(int16 h, void **frame, FRAME_INFO *info) {
  if (!checked(h)) return 0;
  pthread_mutex_lock(&lock);
  if (!running || count == 0) {
    pthread_mutex_unlock(&lock);
    return fail(ERR_NO_FRAME);
  }
  *frame = ring + (size_t)head * frame_pixels;
  if (info) {
    memset(info, 0, sizeof *info);
    info->hCam = h;
    info->FrameNr = slot_nr[head];
    info->TimeStamp = slot_ts[head];
  }
  pthread_mutex_unlock(&lock);
  return ok();
}

rs_bool pl_exp_get_oldest_frame(int16 h, void **frame) { return pl_exp_get_oldest_frame_ex(h, frame, NULL); }

rs_bool pl_exp_unlock_oldest_frame(int16 h) {
  if (!checked(h)) return 0;
  pthread_mutex_lock(&lock);
  if (count == 0) {
    pthread_mutex_unlock(&lock);
    return fail(ERR_NO_FRAME);
  }
  head = (head + 1) % slots;
  count--;
  pthread_mutex_unlock(&lock);
  return ok();
}

rs_bool pl_exp_stop_cont(int16 h, int16 state) {
  (void)state;
  if (!opened || h != 7) return fail(ERR_NO_CAMERA);
  pthread_mutex_lock(&lock);
  int was = running;
  running = 0;
  pthread_mutex_unlock(&lock);
  if (was) pthread_join(sensor, NULL);
  ring = NULL;
  return ok();
}

/* flags: PL_SW_TRIG_STATUS_TRIGGERED 0, PL_SW_TRIG_STATUS_IGNORED 1. */
rs_bool pl_exp_trigger(int16 h, uns32 *flags, uns32 value) {
  (void)value;
  if (!checked(h)) return 0;
  pthread_mutex_lock(&lock);
  int software = exposure_mode == EXT_TRIG_SOFTWARE_EDGE || exposure_mode == EXT_TRIG_SOFTWARE_FIRST;
  if (!running || !software || (exposure_mode == EXT_TRIG_SOFTWARE_FIRST && first_triggered)) *flags = 1;
  else {
    if (exposure_mode == EXT_TRIG_SOFTWARE_EDGE) triggers_pending++;
    else first_triggered = 1;
    *flags = 0;
  }
  pthread_mutex_unlock(&lock);
  return ok();
}
