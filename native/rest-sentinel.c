// The rest sentinel: a plain native thread, started by the watchdog worker, that watches the CPU time of
// the app's resting threads (detectors/block/heartbeat.ts: an idle loop stops beating) and calls the
// watchdog back as soon as one of them runs. The watchdog then looks at that thread as it always did.
// Why native: on this kind of VM a JavaScript timer's wake-up costs ~0.2 ms of CPU and a native thread's
// ~0.05 ms, so the watchdog polling resting threads every 50 ms was most of an idle process's CPU, and
// its 50 ms were most of the detection latency of a block that starts while the thread rests.
// Node-API only (ABI-stable: one binary for every Node line); threads and locks from libuv, which Node
// exports, so the binary needs nothing from the C library but clock_gettime. Linux only: a thread's CPU
// clock is read by its kernel thread id.
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_WATCHED 1024

typedef struct {
  int32_t tid;
  int armed;
  uint64_t baseline_ns;
  uint64_t slack_ns;
} watched_t;

typedef struct {
  uv_mutex_t lock;
  uv_cond_t cond;
  uv_thread_t thread;
  napi_threadsafe_function tsfn;
  watched_t watched[MAX_WATCHED];
  int count;       /* entries in use (armed or not) */
  int armed;       /* entries armed */
  int running;     /* the thread was started and not joined */
  int stopping;
  int call_pending;/* a callback is queued and not yet run */
  uint64_t period_ns;
} sentinel_t;

/* The kernel's per-thread CPU clock (CPUCLOCK_SCHED | CPUCLOCK_PERTHREAD_MASK), as glibc builds it. */
static clockid_t thread_clock(int32_t tid) { return (clockid_t)(((unsigned int)~tid) << 3) | 6; }

static int cpu_ns(int32_t tid, uint64_t* out) {
  struct timespec ts;
  if (clock_gettime(thread_clock(tid), &ts) != 0) return 0;
  *out = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
  return 1;
}

static void poll_thread(void* arg) {
  sentinel_t* s = (sentinel_t*)arg;
  uv_mutex_lock(&s->lock);
  while (!s->stopping) {
    if (s->armed == 0) {
      /* Nothing rests: no wake-ups at all until something is armed (or stop). */
      uv_cond_wait(&s->cond, &s->lock);
      continue;
    }
    uv_cond_timedwait(&s->cond, &s->lock, s->period_ns);
    if (s->stopping) break;
    int fired = 0;
    for (int i = 0; i < s->count; i++) {
      watched_t* w = &s->watched[i];
      if (!w->armed) continue;
      uint64_t now;
      /* A thread that is gone: disarmed quietly (the watchdog sees it exited). */
      if (!cpu_ns(w->tid, &now)) { w->armed = 0; s->armed--; continue; }
      if (now > w->baseline_ns + w->slack_ns) { w->armed = 0; s->armed--; fired = 1; }
    }
    if (fired && !s->call_pending) {
      if (napi_call_threadsafe_function(s->tsfn, NULL, napi_tsfn_nonblocking) == napi_ok) s->call_pending = 1;
    }
  }
  uv_mutex_unlock(&s->lock);
}

static void call_js(napi_env env, napi_value fn, void* context, void* data) {
  (void)data;
  sentinel_t* s = (sentinel_t*)context;
  uv_mutex_lock(&s->lock);
  s->call_pending = 0;
  uv_mutex_unlock(&s->lock);
  if (env == NULL || fn == NULL) return;
  napi_value undefined;
  if (napi_get_undefined(env, &undefined) != napi_ok) return;
  napi_value ignored;
  /* The callback never throws (it catches); if it did, the exception is cleared, not thrown into the loop. */
  if (napi_call_function(env, undefined, fn, 0, NULL, &ignored) != napi_ok) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
  }
}

static void stop_thread(sentinel_t* s) {
  uv_mutex_lock(&s->lock);
  int running = s->running;
  s->stopping = 1;
  uv_cond_signal(&s->cond);
  uv_mutex_unlock(&s->lock);
  if (running) uv_thread_join(&s->thread);
  s->running = 0;
}

/* Registered after the callback's threadsafe function, so it runs before Node's own clean-up of it. */
static void cleanup_hook(void* arg) { stop_thread((sentinel_t*)arg); }

static sentinel_t* instance(napi_env env) {
  void* data = NULL;
  if (napi_get_instance_data(env, &data) != napi_ok) return NULL;
  return (sentinel_t*)data;
}

static napi_value throw_error(napi_env env, const char* message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

/* start(callback, periodMs): the callback runs on this thread's loop when a watched thread ran. */
static napi_value start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return throw_error(env, "start(callback, periodMs)");
  sentinel_t* s = instance(env);
  if (s == NULL) return throw_error(env, "no sentinel");
  if (s->running) return throw_error(env, "already started");
  /* Started again after stop(): from nothing. */
  s->stopping = 0;
  s->count = 0;
  s->armed = 0;
  s->call_pending = 0;
  double period_ms;
  if (napi_get_value_double(env, argv[1], &period_ms) != napi_ok || !(period_ms >= 1 && period_ms <= 1000)) return throw_error(env, "periodMs: 1..1000");
  s->period_ns = (uint64_t)(period_ms * 1e6);
  napi_value name;
  napi_create_string_utf8(env, "asyncdebugRestSentinel", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[0], NULL, name, 0, 1, NULL, NULL, s, call_js, &s->tsfn) != napi_ok) return throw_error(env, "no threadsafe function");
  /* Never keeps the watchdog's loop alive. */
  napi_unref_threadsafe_function(env, s->tsfn);
  if (uv_thread_create(&s->thread, poll_thread, s) != 0) {
    napi_release_threadsafe_function(s->tsfn, napi_tsfn_abort);
    return throw_error(env, "no thread");
  }
  s->running = 1;
  napi_add_env_cleanup_hook(env, cleanup_hook, s);
  return NULL;
}

static int32_t arg_tid(napi_env env, napi_value v) {
  int32_t tid = 0;
  if (napi_get_value_int32(env, v, &tid) != napi_ok) return 0;
  return tid;
}

/* watch(tid, slackUs): armed from the thread's CPU time now; true if its clock could be read. */
static napi_value watch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_value result;
  sentinel_t* s = instance(env);
  int ok = 0;
  if (s != NULL && napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 2) {
    int32_t tid = arg_tid(env, argv[0]);
    double slack_us = 0;
    napi_get_value_double(env, argv[1], &slack_us);
    uint64_t now;
    if (tid > 0 && cpu_ns(tid, &now)) {
      uv_mutex_lock(&s->lock);
      watched_t* w = NULL;
      for (int i = 0; i < s->count && w == NULL; i++) if (s->watched[i].tid == tid) w = &s->watched[i];
      if (w == NULL && s->count < MAX_WATCHED) {
        w = &s->watched[s->count++];
        w->tid = tid;
        w->armed = 0;
      }
      if (w != NULL) {
        if (!w->armed) s->armed++;
        w->armed = 1;
        w->baseline_ns = now;
        w->slack_ns = slack_us > 0 ? (uint64_t)(slack_us * 1000) : 0;
        ok = 1;
        if (s->armed == 1) uv_cond_signal(&s->cond);
      }
      uv_mutex_unlock(&s->lock);
    }
  }
  napi_get_boolean(env, ok, &result);
  return result;
}

/* unwatch(tid): forgotten. */
static napi_value unwatch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  sentinel_t* s = instance(env);
  if (s == NULL || napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return NULL;
  int32_t tid = arg_tid(env, argv[0]);
  uv_mutex_lock(&s->lock);
  for (int i = 0; i < s->count; i++) {
    if (s->watched[i].tid != tid) continue;
    if (s->watched[i].armed) s->armed--;
    s->watched[i] = s->watched[--s->count];
    break;
  }
  uv_mutex_unlock(&s->lock);
  return NULL;
}

/* stop(): the thread ends and is joined; the callback is released. */
static napi_value stop(napi_env env, napi_callback_info info) {
  (void)info;
  sentinel_t* s = instance(env);
  if (s == NULL || !s->running) return NULL;
  stop_thread(s);
  napi_remove_env_cleanup_hook(env, cleanup_hook, s);
  napi_release_threadsafe_function(s->tsfn, napi_tsfn_release);
  return NULL;
}

/* cpuNs(tid): the thread's CPU time (ns), or -1; for tests. */
static napi_value cpu_ns_js(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_value result;
  uint64_t now = 0;
  int ok = napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 1 && cpu_ns(arg_tid(env, argv[0]), &now);
  napi_create_double(env, ok ? (double)now : -1, &result);
  return result;
}

static void finalize_instance(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  sentinel_t* s = (sentinel_t*)data;
  stop_thread(s);
  uv_cond_destroy(&s->cond);
  uv_mutex_destroy(&s->lock);
  free(s);
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  sentinel_t* s = (sentinel_t*)calloc(1, sizeof(sentinel_t));
  if (s == NULL) return NULL;
  if (uv_mutex_init(&s->lock) != 0 || uv_cond_init(&s->cond) != 0) {
    free(s);
    return NULL;
  }
  if (napi_set_instance_data(env, s, finalize_instance, NULL) != napi_ok) return NULL;
  napi_property_descriptor props[] = {
    { "start", NULL, start, NULL, NULL, NULL, napi_enumerable, NULL },
    { "watch", NULL, watch, NULL, NULL, NULL, napi_enumerable, NULL },
    { "unwatch", NULL, unwatch, NULL, NULL, NULL, napi_enumerable, NULL },
    { "stop", NULL, stop, NULL, NULL, NULL, napi_enumerable, NULL },
    { "cpuNs", NULL, cpu_ns_js, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
