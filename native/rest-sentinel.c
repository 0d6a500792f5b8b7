// The rest sentinel: a plain native thread, started by the watchdog worker, that calls the watchdog back
// as soon as one of the app's resting threads (detectors/block/heartbeat.ts: an idle loop stops beating)
// runs. Two ways, because neither sees everything:
// - each watched thread gets a POSIX timer on its own CPU clock, armed to expire once the thread has used
//   `slack` more CPU; the kernel checks it at the scheduler tick while the thread runs and sends a
//   real-time signal to this thread alone, which waits for it with the signal blocked (so it is never
//   delivered anywhere else, and never runs a handler). A CPU-bound block is seen within a tick or two.
// - while any thread is watched, this thread also reads the watched clocks every `pollMs` (the wait for
//   the signal times out): a thread that ran a little and then sleeps (Atomics.wait, a sync call that
//   waits) used too little CPU to meet a tick, and is seen there.
// Why native: on this kind of VM a JavaScript timer's wake-up costs ~0.2-0.3 ms of CPU, so the watchdog
// polling resting threads every 50 ms was most of an idle process's CPU, and those 50 ms were most of the
// detection latency of a block that starts while its thread rests.
// It also reads one thread's CPU clock on request (cpuMs): up to date for a running thread, where
// /proc's schedstat lags by up to a scheduler tick, so the watchdog can tell sooner that a block is one.
// Node-API only (ABI-stable: one binary for every Node line); threads and locks from libuv, which Node
// exports; the kernel's calls through syscall(), so the binary needs nothing from the C library newer than
// glibc 2.17. Linux only: a thread's CPU clock is named by its kernel thread id.
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_WATCHED 1024
/* A real-time signal glibc and Node leave alone (glibc reserves the first two; Node and libuv use none). */
#define SENTINEL_SIGNAL 58
/* The kernel's signal set is 64 bits. */
#define KERNEL_SIGSET_BYTES 8

typedef struct {
  int32_t tid;
  int timer; /* the kernel's timer id; -1 before it is made */
  int armed;
  uint64_t baseline_ns; /* its CPU clock when armed */
  uint64_t slack_ns;
} watched_t;

typedef struct {
  uv_mutex_t lock;
  uv_sem_t ready;
  uv_thread_t thread;
  napi_threadsafe_function tsfn;
  watched_t watched[MAX_WATCHED];
  int count;
  int armed;        /* entries armed */
  uint64_t poll_ns;
  int running;      /* the thread was started and not joined */
  int stopping;
  int call_pending; /* a callback is queued and not yet run */
  pid_t tid;        /* the sentinel thread's kernel id (the timers' signal goes to it alone) */
} sentinel_t;

/* The kernel's per-thread CPU clock (CPUCLOCK_SCHED | CPUCLOCK_PERTHREAD_MASK), as glibc builds it. */
static clockid_t thread_clock(int32_t tid) { return (clockid_t)(((unsigned int)~tid) << 3) | 6; }

static void signal_set(uint64_t* set) { *set = 1ull << (SENTINEL_SIGNAL - 1); }

static int cpu_ns(int32_t tid, uint64_t* out) {
  struct timespec ts;
  if (syscall(SYS_clock_gettime, thread_clock(tid), &ts) != 0) return 0;
  *out = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
  return 1;
}

static void disarm(sentinel_t* s, watched_t* w) {
  if (!w->armed) return;
  w->armed = 0;
  s->armed--;
}

static void sentinel_thread(void* arg) {
  sentinel_t* s = (sentinel_t*)arg;
  uint64_t set;
  signal_set(&set);
  /* Blocked before anything can target this thread: the signal stays pending here until taken. */
  syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, KERNEL_SIGSET_BYTES);
  s->tid = (pid_t)syscall(SYS_gettid);
  uv_sem_post(&s->ready);
  for (;;) {
    siginfo_t info;
    uv_mutex_lock(&s->lock);
    /* Nothing watched: no wake-up at all until watch() (which signals this thread) or stop(). */
    int polling = s->armed > 0;
    struct timespec poll = { (time_t)(s->poll_ns / 1000000000ull), (long)(s->poll_ns % 1000000000ull) };
    uv_mutex_unlock(&s->lock);
    long got = syscall(SYS_rt_sigtimedwait, &set, &info, polling ? &poll : NULL, KERNEL_SIGSET_BYTES);
    uv_mutex_lock(&s->lock);
    if (s->stopping) {
      uv_mutex_unlock(&s->lock);
      break;
    }
    int fire = 0;
    int32_t expired = got == SENTINEL_SIGNAL && info.si_code == SI_TIMER ? info.si_value.sival_int : 0;
    for (int i = 0; i < s->count; i++) {
      watched_t* w = &s->watched[i];
      if (!w->armed) continue;
      uint64_t now;
      /* A thread that is gone: disarmed quietly (the watchdog sees it exited). */
      if (!cpu_ns(w->tid, &now)) {
        disarm(s, w);
        continue;
      }
      if (w->tid == expired || now > w->baseline_ns + w->slack_ns) {
        disarm(s, w);
        fire = 1;
      }
    }
    if (fire && !s->call_pending && napi_call_threadsafe_function(s->tsfn, NULL, napi_tsfn_nonblocking) == napi_ok) s->call_pending = 1;
    uv_mutex_unlock(&s->lock);
  }
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

/* Every timer deleted first (no signal can come after), then the thread woken, told to end, and joined. */
static void stop_thread(sentinel_t* s) {
  uv_mutex_lock(&s->lock);
  int running = s->running;
  s->stopping = 1;
  for (int i = 0; i < s->count; i++) {
    if (s->watched[i].timer >= 0) syscall(SYS_timer_delete, s->watched[i].timer);
  }
  s->count = 0;
  s->armed = 0;
  uv_mutex_unlock(&s->lock);
  if (!running) return;
  syscall(SYS_tgkill, getpid(), s->tid, SENTINEL_SIGNAL);
  uv_thread_join(&s->thread);
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

/* start(callback, pollMs): the callback runs on this thread's loop after a watched thread ran. */
static napi_value start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return throw_error(env, "start(callback, pollMs)");
  sentinel_t* s = instance(env);
  if (s == NULL) return throw_error(env, "no sentinel");
  if (s->running) return throw_error(env, "already started");
  double poll_ms;
  if (napi_get_value_double(env, argv[1], &poll_ms) != napi_ok || !(poll_ms >= 1 && poll_ms <= 60000)) return throw_error(env, "pollMs: 1..60000");
  s->poll_ns = (uint64_t)(poll_ms * 1e6);
  /* Started again after stop(): from nothing. */
  s->stopping = 0;
  s->count = 0;
  s->armed = 0;
  s->call_pending = 0;
  napi_value name;
  napi_create_string_utf8(env, "asyncdebugRestSentinel", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[0], NULL, name, 0, 1, NULL, NULL, s, call_js, &s->tsfn) != napi_ok) return throw_error(env, "no threadsafe function");
  /* Never keeps the watchdog's loop alive. */
  napi_unref_threadsafe_function(env, s->tsfn);
  if (uv_thread_create(&s->thread, sentinel_thread, s) != 0) {
    napi_release_threadsafe_function(s->tsfn, napi_tsfn_abort);
    return throw_error(env, "no thread");
  }
  uv_sem_wait(&s->ready);
  s->running = 1;
  napi_add_env_cleanup_hook(env, cleanup_hook, s);
  return NULL;
}

static int32_t arg_tid(napi_env env, napi_value v) {
  int32_t tid = 0;
  if (napi_get_value_int32(env, v, &tid) != napi_ok) return 0;
  return tid;
}

/* Arms the thread's timer to expire after `slack_ns` more of its CPU time; 0 on failure. */
static int arm_timer(sentinel_t* s, watched_t* w, uint64_t slack_ns) {
  if (w->timer < 0) {
    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = SENTINEL_SIGNAL;
    ev.sigev_value.sival_int = w->tid;
    ev._sigev_un._tid = s->tid;
    int timer = -1;
    if (syscall(SYS_timer_create, thread_clock(w->tid), &ev, &timer) != 0) return 0;
    w->timer = timer;
  }
  if (slack_ns < 1000) slack_ns = 1000; /* a zero expiry would disarm it */
  struct itimerspec when;
  memset(&when, 0, sizeof(when));
  when.it_value.tv_sec = (time_t)(slack_ns / 1000000000ull);
  when.it_value.tv_nsec = (long)(slack_ns % 1000000000ull);
  return syscall(SYS_timer_settime, w->timer, 0, &when, NULL) == 0;
}

/* watch(tid, slackUs): a callback once the thread has used slackUs more CPU; true if it is watched. */
static napi_value watch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_value result;
  sentinel_t* s = instance(env);
  int ok = 0;
  if (s != NULL && s->running && napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 2) {
    int32_t tid = arg_tid(env, argv[0]);
    double slack_us = 0;
    napi_get_value_double(env, argv[1], &slack_us);
    if (tid > 0) {
      uv_mutex_lock(&s->lock);
      watched_t* w = NULL;
      for (int i = 0; i < s->count && w == NULL; i++) if (s->watched[i].tid == tid) w = &s->watched[i];
      if (w == NULL && s->count < MAX_WATCHED) {
        w = &s->watched[s->count++];
        w->tid = tid;
        w->timer = -1;
        w->armed = 0;
      }
      if (w != NULL) {
        uint64_t slack_ns = slack_us > 0 ? (uint64_t)(slack_us * 1000) : 0;
        /* Without its timer (the kernel refused one) the thread is still read at each poll. */
        ok = cpu_ns(tid, &w->baseline_ns);
        if (ok) arm_timer(s, w, slack_ns);
        w->slack_ns = slack_ns;
        if (ok && !w->armed) {
          w->armed = 1;
          /* The first armed thread: the sentinel's wait begins to time out (it polls). */
          if (++s->armed == 1) syscall(SYS_tgkill, getpid(), s->tid, SENTINEL_SIGNAL);
        }
        /* A thread whose clock cannot be read (gone): forgotten. */
        if (!ok) {
          disarm(s, w);
          if (w->timer >= 0) syscall(SYS_timer_delete, w->timer);
          *w = s->watched[--s->count];
        }
      }
      uv_mutex_unlock(&s->lock);
    }
  }
  napi_get_boolean(env, ok, &result);
  return result;
}

/* unwatch(tid): its timer deleted. */
static napi_value unwatch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  sentinel_t* s = instance(env);
  if (s == NULL || napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return NULL;
  int32_t tid = arg_tid(env, argv[0]);
  uv_mutex_lock(&s->lock);
  for (int i = 0; i < s->count; i++) {
    if (s->watched[i].tid != tid) continue;
    if (s->watched[i].timer >= 0) syscall(SYS_timer_delete, s->watched[i].timer);
    disarm(s, &s->watched[i]);
    s->watched[i] = s->watched[--s->count];
    break;
  }
  uv_mutex_unlock(&s->lock);
  return NULL;
}

/*
 * cpuMs(tid): the thread's CPU time now, ms, or -1 (no such thread of this process). Read from its CPU
 * clock, which the kernel brings up to date for a thread that is running: its schedstat and getrusage
 * add a running thread's time only at each scheduler tick. Needs no start().
 */
static napi_value cpu_ms(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_value result;
  uint64_t ns = 0;
  int ok = napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 1;
  int32_t tid = ok ? arg_tid(env, argv[0]) : 0;
  ok = tid > 0 && cpu_ns(tid, &ns);
  napi_create_double(env, ok ? (double)ns / 1e6 : -1, &result);
  return result;
}

/* stop(): the timers deleted, the thread ended and joined, the callback released. */
static napi_value stop(napi_env env, napi_callback_info info) {
  (void)info;
  sentinel_t* s = instance(env);
  if (s == NULL || !s->running) return NULL;
  stop_thread(s);
  napi_remove_env_cleanup_hook(env, cleanup_hook, s);
  napi_release_threadsafe_function(s->tsfn, napi_tsfn_release);
  return NULL;
}

static void finalize_instance(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  sentinel_t* s = (sentinel_t*)data;
  stop_thread(s);
  uv_sem_destroy(&s->ready);
  uv_mutex_destroy(&s->lock);
  free(s);
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  sentinel_t* s = (sentinel_t*)calloc(1, sizeof(sentinel_t));
  if (s == NULL) return NULL;
  if (uv_mutex_init(&s->lock) != 0 || uv_sem_init(&s->ready, 0) != 0) {
    free(s);
    return NULL;
  }
  if (napi_set_instance_data(env, s, finalize_instance, NULL) != napi_ok) return NULL;
  napi_property_descriptor props[] = {
    { "start", NULL, start, NULL, NULL, NULL, napi_enumerable, NULL },
    { "watch", NULL, watch, NULL, NULL, NULL, napi_enumerable, NULL },
    { "unwatch", NULL, unwatch, NULL, NULL, NULL, napi_enumerable, NULL },
    { "stop", NULL, stop, NULL, NULL, NULL, napi_enumerable, NULL },
    { "cpuMs", NULL, cpu_ms, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
