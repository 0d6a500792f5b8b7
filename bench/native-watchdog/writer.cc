// A measurement, not the product: can a native thread, with no Worker in the process, write a block's
// first line while the block lasts, and what does that cost? (issue 22; README.md "The first line,
// written natively".)
// - The main thread bumps a beat counter in a SharedArrayBuffer while its loop turns (load-writer.cjs).
// - A plain thread sleeps until the main thread has used `cpuTickMs` more CPU: a POSIX timer on the main
//   thread's own CPU clock, whose signal goes to this thread alone (as native/rest-sentinel.c does). An
//   idle main thread uses no CPU, so this thread does not wake at all.
// - At each wake it reads the beat. A beat that has not moved while the main thread used `slowMs` of CPU
//   is certainly a block (its own time, not a machine that starved it). It then asks V8 for an interrupt
//   and, on the blocked thread, takes the JavaScript stack (no JavaScript runs); back on its own thread it
//   writes a JSON line shaped as the report format's block line (`ongoing: true`) to the report's fd.
// - When the beat moves again it writes the final line (`ongoing: false`).
// - A block spent asleep (sync I/O, Atomics.wait) moves no CPU clock: with `lookMs`, the thread also
//   looks every lookMs of wall time, and counts the gap's sleep (wall minus CPU minus the kernel's wait
//   for a CPU) once the thread is asleep outside its loop's poll (so the wait is up to date).
// - WRITER_RULES=1 (load-writer.cjs): the start-up rule. No line before the first loop turn, with Node's
//   module loader in the stack, or after `exit`; an asleep line says the system call it sleeps in. And
//   the siblings rule: a sleep counts less the longest wait for a CPU of another thread of the process.
// Not here (the product would need them): source maps, the other rules of gap-verdict.ts and
// cpu-split.ts (the siblings' waits for a CPU above all), the console line, the budget.
#include <node.h>
#include "frames.h"
#include <v8.h>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>
#include <dirent.h>
#include <map>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

namespace {

using namespace v8;

// Another real-time signal than the rest sentinel's (58), so both can load in one process.
constexpr int kSignal = 59;
constexpr int kSigsetBytes = 8;

double monoMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
double wallMs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
clockid_t threadClock(pid_t tid) { return (clockid_t)(((unsigned int)~tid) << 3) | 6; }
double threadCpuMs(pid_t tid) {
  timespec ts;
  if (syscall(SYS_clock_gettime, threadClock(tid), &ts) != 0) return 0;
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// The kernel's view of a thread: its state (R running or runnable; S, D asleep), its time waiting for a
// CPU (schedstat's second field), and whether it sleeps in its loop's poll (epoll_wait, epoll_pwait,
// epoll_pwait2 on x86-64).
struct Kernel {
  char state = '?';
  double waitMs = 0;
  bool inPoll = false;
  long call = -1;  // the system call it is in (x86-64 numbers), -1: running or unknown
};
bool readSmall(const std::string& path, char* buf, size_t size) {
  FILE* f = fopen(path.c_str(), "r");
  if (!f) return false;
  size_t n = fread(buf, 1, size - 1, f);
  fclose(f);
  buf[n] = 0;
  return n > 0;
}
// `full`: also the state and the system call, read only once a gap is as long as the threshold
// (reading another thread's system call makes the kernel wait until that thread is off its CPU).
Kernel readKernel(pid_t tid, bool full = true) {
  Kernel k;
  char buf[512];
  std::string base = "/proc/self/task/" + std::to_string(tid);
  if (readSmall(base + "/schedstat", buf, sizeof buf)) {
    unsigned long long run = 0, wait = 0;
    if (sscanf(buf, "%llu %llu", &run, &wait) == 2) k.waitMs = wait / 1e6;
  }
  if (!full) return k;
  if (readSmall(base + "/stat", buf, sizeof buf)) {
    const char* close = strrchr(buf, ')');
    if (close && close[1] == ' ') k.state = close[2];
  }
  if (readSmall(base + "/syscall", buf, sizeof buf)) {
    long nr = (buf[0] >= '0' && buf[0] <= '9') ? atol(buf) : -1;
    k.call = nr;
    k.inPoll = nr == 232 || nr == 281 || nr == 441;
  }
  return k;
}

// Every other thread's total wait for a CPU (ms), by kernel thread id: but `a` and `b` (the blocked
// thread and this one).
std::map<pid_t, double> siblingWaits(pid_t a, pid_t b) {
  std::map<pid_t, double> out;
  DIR* dir = opendir("/proc/self/task");
  if (!dir) return out;
  while (dirent* e = readdir(dir)) {
    pid_t tid = (pid_t)atol(e->d_name);
    if (tid <= 0 || tid == a || tid == b) continue;
    out[tid] = readKernel(tid, false).waitMs;
  }
  closedir(dir);
  return out;
}

void jsonString(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') { out += '\\'; out += (char)c; }
    else if (c < 0x20) { char b[8]; snprintf(b, sizeof b, "\\u%04x", c); out += b; }
    else out += (char)c;
  }
  out += '"';
}

struct Writer {
  Isolate* isolate = nullptr;
  std::shared_ptr<BackingStore> store;
  std::atomic<int32_t>* beat = nullptr;
  int fd = -1, slowMs = 100, cpuTickMs = 10, lookMs = 0, pid = 0, threadId = 0;
  long lastCall = -1;  // the blocked thread's system call when its asleep gap was judged (the line says it)
  bool startupRule = false;  // no line before the first loop turn, with Node's module loader in the stack, or at exit
  pid_t mainTid = 0, ownTid = 0;
  std::thread thread;
  std::mutex mu;
  std::condition_variable answered;
  std::vector<Frame> frames;
  bool captured = false;
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> wakes{0};
  int blocks = 0;
};

Writer* current = nullptr;

void TakeStack(Isolate* isolate, void* data) {
  auto* w = static_cast<Writer*>(data);
  // Deep enough to see the module loader under a top level (the start-up rule); the line keeps 12.
  std::vector<Frame> got = CurrentFrames(isolate, 64);
  for (Frame& f : got) if (f.fn.empty()) f.fn = "<anonymous>";
  std::lock_guard<std::mutex> lock(w->mu);
  w->frames.swap(got);
  w->captured = true;
  w->answered.notify_one();
}

void appendFrame(std::string& out, const Frame& f) {
  out += "{\"file\":";
  jsonString(out, f.file);
  out += ",\"line\":" + std::to_string(f.line) + ",\"column\":" + std::to_string(f.column) + ",\"function\":";
  jsonString(out, f.fn);
  out += '}';
}

// One line, shaped as docs/report-format.md's block line. The site: the first frame not in Node's own
// files (the product's rules are richer: agent frames, node_modules, a library-only stack).
void writeLine(Writer* w, const std::vector<Frame>& frames, double startWall, double durationMs, double cpuMs,
               double sleepMs, bool ongoing, double writtenAfterMs) {
  const Frame* site = nullptr;
  for (const Frame& f : frames) if (!f.file.empty() && f.file.rfind("node:", 0) != 0) { site = &f; break; }
  std::string line = "{\"v\":1,\"id\":\"block-" + std::to_string(w->threadId) + "-" + std::to_string(w->blocks) +
                     "\",\"kind\":\"block\",\"time\":" + std::to_string((long long)startWall) +
                     ",\"pid\":" + std::to_string(w->pid) + ",\"threadId\":" + std::to_string(w->threadId) +
                     ",\"message\":";
  std::string message = "The event loop of the main thread was blocked for " + std::to_string((long)durationMs) +
                        " ms" + (ongoing ? " so far" : "") + (site ? " at " + site->fn + "." : ".");
  jsonString(line, message);
  if (site) { line += ",\"site\":"; appendFrame(line, *site); }
  line += ",\"frames\":[";
  for (size_t i = 0; i < frames.size() && i < 12; i++) { if (i) line += ','; appendFrame(line, frames[i]); }
  line += "],\"durationMs\":" + std::to_string((long)durationMs) + ",\"ongoing\":" + (ongoing ? "true" : "false") +
          ",\"thresholdMs\":" + std::to_string(w->slowMs) + ",\"cpuMs\":" + std::to_string((long)cpuMs) + ",\"sleepMs\":" + std::to_string((long)sleepMs) +
          ",\"writtenAfterMs\":" + std::to_string((long)writtenAfterMs) +
          (sleepMs > 0 ? ",\"syscall\":" + std::to_string(w->lastCall) : std::string()) + "}\n";
  ssize_t ignored = write(w->fd, line.data(), line.size());  // O_APPEND: one write, one whole line
  (void)ignored;
}

void Run(Writer* w) {
  pthread_setname_np(pthread_self(), "native-watch");
  uint64_t set = 1ull << (kSignal - 1);
  syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, nullptr, kSigsetBytes);
  w->ownTid = (pid_t)syscall(SYS_gettid);
  // A periodic timer on the main thread's CPU clock: it expires each cpuTickMs of the main thread's
  // CPU, and only then, so this thread never wakes while the main thread is idle.
  sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD_ID;
  ev.sigev_signo = kSignal;
  ev._sigev_un._tid = w->ownTid;
  int timer = -1;
  if (syscall(SYS_timer_create, threadClock(w->mainTid), &ev, &timer) != 0) return;
  itimerspec every;
  memset(&every, 0, sizeof every);
  every.it_value.tv_nsec = every.it_interval.tv_nsec = (long)w->cpuTickMs * 1000000L;
  syscall(SYS_timer_settime, timer, 0, &every, nullptr);

  int32_t last = w->beat->load();
  double movedAt = monoMs(), cpuAtMove = threadCpuMs(w->mainTid), waitAtMove = 0, waitAt = 0;
  bool waitTaken = false;  // the gap's wait is read from its first look on, not at every beat (a file read)
  std::vector<Frame> openFrames;
  bool open = false, withheld = false;
  // The siblings' waits, taken at the first look that finds the beat still (a gap begun), for the
  // siblings rule: sleep as long as another thread of the process waited for a CPU may have been a wait
  // for that thread, so it is counted as the machine's (cpu-split.ts chargeSiblingWaits).
  std::map<pid_t, double> sibBase;
  double sibBaseAt = 0;
  bool sibTaken = false;
  // The gap's split now: on a CPU, waiting for one, and asleep (the rest). The wait is the kernel's
  // total, brought up to date only when the thread runs again: so a sleep is known only while the thread
  // is not runnable (state S or D), and not in its loop's poll.
  auto sleepNow = [&](double t, double cpu, bool& certain) {
    Kernel k = readKernel(w->mainTid);
    // The wait measured from the gap's first look, over the whole gap as over that part (cpu-split.ts does
    // the same); none measured yet: all of it taken as waiting, so nothing is called sleep.
    double waited = waitTaken && t - waitAt >= 1 ? (k.waitMs - waitAtMove) * (t - movedAt) / (t - waitAt) : t - movedAt;
    double sleep = (t - movedAt) - (cpu - cpuAtMove) - waited;
    if (w->startupRule && sibTaken && t - sibBaseAt >= 10) {
      double longest = 0;
      for (auto& [tid, waitMs] : siblingWaits(w->mainTid, w->ownTid)) {
        auto before = sibBase.find(tid);
        if (before != sibBase.end() && waitMs - before->second > longest) longest = waitMs - before->second;
      }
      sleep -= longest * (t - movedAt) / (t - sibBaseAt);  // over the whole gap, as measured over its part
    }
    certain = (k.state == 'S' || k.state == 'D') && !k.inPoll;
    w->lastCall = k.call;
    return sleep < 0 ? 0 : sleep;
  };
  while (!w->stopping.load()) {
    siginfo_t info;
    // The wall-clock look (lookMs): for a thread asleep in a sync call, which uses no CPU to fire its
    // timer. Without it, a second, only so that stop() is seen without a signal.
    long look = w->lookMs > 0 ? w->lookMs : 1000;
    timespec poll = {look / 1000, (look % 1000) * 1000000L};
    syscall(SYS_rt_sigtimedwait, &set, &info, &poll, kSigsetBytes);
    if (w->stopping.load()) break;
    w->wakes++;
    int32_t b = w->beat->load();
    double t = monoMs(), cpu = threadCpuMs(w->mainTid);
    if (b != last) {
      if (open && !withheld) {
        bool certain;
        double sleep = sleepNow(t, cpu, certain);
        writeLine(w, openFrames, wallMs() - (t - movedAt), t - movedAt, cpu - cpuAtMove, sleep, false, t - movedAt);
      }
      open = false;
      withheld = false;
      sibTaken = false;
      last = b;
      movedAt = t;
      cpuAtMove = cpu;
      waitTaken = false;
      continue;
    }
    if (!open && !waitTaken) {
      waitAtMove = readKernel(w->mainTid, false).waitMs;
      waitAt = t;
      waitTaken = true;
    }
    if (w->startupRule && !open && !sibTaken) {
      sibBase = siblingWaits(w->mainTid, w->ownTid);
      sibBaseAt = t;
      sibTaken = true;
    }
    if (open || t - movedAt < w->slowMs) continue;
    // Certain: the main thread's own time since its loop last turned reached slowMs, on a CPU alone, or
    // on a CPU and asleep outside its poll (never its waits for a CPU: a starved thread is no block).
    double sleep = 0;
    if (cpu - cpuAtMove < w->slowMs) {
      if (w->lookMs <= 0) continue;
      bool certain = false;
      sleep = sleepNow(t, cpu, certain);
      if (!certain || (cpu - cpuAtMove) + sleep < w->slowMs) continue;
    }
    {
      std::unique_lock<std::mutex> lock(w->mu);
      w->captured = false;
      w->isolate->RequestInterrupt(TakeStack, w);
      // A native call answers only when it returns to JavaScript; the line is written without a stack then.
      w->answered.wait_for(lock, std::chrono::milliseconds(50), [w] { return w->captured; });
      openFrames = w->captured ? w->frames : std::vector<Frame>{};
    }
    open = true;
    // The start-up rule: JavaScript sets the slot's second word at the thread's first loop turn; and a
    // gap with Node's module loader in its stack is loading modules (an ES module graph loads across
    // turns). Either way, start-up: no line, as the agent writes none. Nor once the process exits (the
    // word is 2): Node then waits for its threads and V8's tasks, with the loop done.
    if (w->startupRule) {
      bool loading = w->beat[1].load() != 1;  // 0: before the first turn; 2: exiting, the loop is done
      for (const Frame& f : openFrames) loading = loading || f.file.rfind("node:internal/modules/", 0) == 0;
      if (loading) {
        withheld = true;
        continue;
      }
    }
    double openedAt = monoMs();
    w->blocks++;
    writeLine(w, openFrames, wallMs() - (openedAt - movedAt), openedAt - movedAt, threadCpuMs(w->mainTid) - cpuAtMove, sleep,
              true, openedAt - movedAt);
  }
  // A block that ended as the process did (its final beat came with no more CPU to wake this thread).
  if (open && !withheld) {
    double t = monoMs();
    bool certain;
    double cpu = threadCpuMs(w->mainTid);
    double sleep = sleepNow(t, cpu, certain);
    writeLine(w, openFrames, wallMs() - (t - movedAt), t - movedAt, cpu - cpuAtMove, sleep, false, t - movedAt);
  }
  syscall(SYS_timer_delete, timer);
}

// start(int32ArrayOverSAB, fd, slowMs, cpuTickMs, pid, threadId, lookMs, startupRule): from the main
// thread. The array's first word is the beat; its second, set at the first loop turn, the start-up rule's.
void Start(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  if (current || !args[0]->IsInt32Array()) return;
  Local<Context> ctx = isolate->GetCurrentContext();
  Local<Int32Array> view = args[0].As<Int32Array>();
  auto* w = new Writer();
  w->isolate = isolate;
  w->store = view->Buffer()->GetBackingStore();
  w->beat = reinterpret_cast<std::atomic<int32_t>*>(static_cast<char*>(w->store->Data()) + view->ByteOffset());
  w->fd = args[1]->Int32Value(ctx).FromMaybe(-1);
  w->slowMs = args[2]->Int32Value(ctx).FromMaybe(100);
  w->cpuTickMs = args[3]->Int32Value(ctx).FromMaybe(10);
  w->pid = args[4]->Int32Value(ctx).FromMaybe(0);
  w->threadId = args[5]->Int32Value(ctx).FromMaybe(0);
  w->lookMs = args[6]->Int32Value(ctx).FromMaybe(0);
  w->startupRule = args[7]->BooleanValue(isolate);
  w->mainTid = (pid_t)syscall(SYS_gettid);
  w->thread = std::thread(Run, w);
  current = w;
  // Stopped and joined as the environment goes away: the process never waits on it beyond that.
  node::AddEnvironmentCleanupHook(isolate, [](void* p) {
    auto* w = static_cast<Writer*>(p);
    w->stopping.store(true);
    if (w->ownTid) syscall(SYS_tgkill, getpid(), w->ownTid, kSignal);
    w->thread.join();
    current = nullptr;
  }, w);
}

void Wakes(const FunctionCallbackInfo<Value>& args) {
  args.GetReturnValue().Set(Number::New(args.GetIsolate(), current ? double(current->wakes.load()) : 0));
}

}  // namespace

NODE_MODULE_INIT(/* exports, module, context */) {
  Isolate* isolate = Isolate::GetCurrent();
  auto set = [&](const char* name, FunctionCallback fn) {
    exports->Set(context, String::NewFromUtf8(isolate, name).ToLocalChecked(),
                 FunctionTemplate::New(isolate, fn)->GetFunction(context).ToLocalChecked()).Check();
  };
  set("start", Start);
  set("wakes", Wakes);
}
