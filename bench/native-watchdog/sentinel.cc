// A measurement, not the product: what a native watchdog thread would cost next to a Worker one.
// The main thread bumps a beat counter in a SharedArrayBuffer (as the agent's heartbeat does); a plain
// thread (no isolate) polls it every `pollMs`; when it has not moved for `thresholdMs` it asks V8 for an
// interrupt and, on the blocked thread, takes the JavaScript stack (no JavaScript runs there), then asks
// again every `sampleMs` while the block lasts. JS reads the samples when its loop turns.
#include <node.h>
#include "frames.h"
#include <v8.h>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>
#include <pthread.h>
#include <time.h>

namespace {

using namespace v8;

struct Sample {
  double requestedAt;  // monotonic ms when the interrupt was asked for
  double takenAt;      // monotonic ms when the stack was taken
  std::string stack;   // "fn file:line:col" per frame, newline-separated
};

double nowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct Sentinel {
  Isolate* isolate = nullptr;
  std::shared_ptr<BackingStore> store;
  std::atomic<int32_t>* beat = nullptr;
  int pollMs = 10, thresholdMs = 100, sampleMs = 20;
  std::atomic<bool> stop{false};
  std::thread thread;
  std::mutex mu;
  std::condition_variable wake;  // so that stop() does not wait out a poll interval
  std::vector<Sample> samples;
  std::atomic<uint64_t> wakes{0};
  std::atomic<int> pending{0};
  double pendingAt = 0;
};

Sentinel* current = nullptr;

void TakeStack(Isolate* isolate, void* data) {
  auto* s = static_cast<Sentinel*>(data);
  std::string out;
  for (const Frame& f : CurrentFrames(isolate, 16)) {
    out += f.fn.empty() ? "(anonymous)" : f.fn;
    out += " " + (f.file.empty() ? std::string("?") : f.file);
    out += ":" + std::to_string(f.line) + ":" + std::to_string(f.column) + "\n";
  }
  std::lock_guard<std::mutex> lock(s->mu);
  if (s->samples.size() < 1000) s->samples.push_back({s->pendingAt, nowMs(), std::move(out)});
  s->pending.store(0);
}

void Poll(Sentinel* s) {
  pthread_setname_np(pthread_self(), "sentinel");  // its own line in /proc/self/task
  int32_t last = s->beat->load();
  double movedAt = nowMs(), lastAsk = 0;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(s->mu);
      if (s->wake.wait_for(lock, std::chrono::milliseconds(s->pollMs), [s] { return s->stop.load(); })) return;
    }
    s->wakes++;
    int32_t b = s->beat->load();
    double t = nowMs();
    if (b != last) { last = b; movedAt = t; continue; }
    if (t - movedAt >= s->thresholdMs && t - lastAsk >= s->sampleMs && s->pending.load() == 0) {
      lastAsk = t;
      s->pendingAt = t;
      s->pending.store(1);
      s->isolate->RequestInterrupt(TakeStack, s);
    }
  }
}

// start(int32ArrayOverSAB, pollMs, thresholdMs, sampleMs)
void Start(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  if (current || !args[0]->IsInt32Array()) return;
  Local<Int32Array> view = args[0].As<Int32Array>();
  auto* s = new Sentinel();
  s->isolate = isolate;
  s->store = view->Buffer()->GetBackingStore();
  s->beat = reinterpret_cast<std::atomic<int32_t>*>(static_cast<char*>(s->store->Data()) + view->ByteOffset());
  Local<Context> ctx = isolate->GetCurrentContext();
  s->pollMs = args[1]->Int32Value(ctx).FromMaybe(10);
  s->thresholdMs = args[2]->Int32Value(ctx).FromMaybe(100);
  s->sampleMs = args[3]->Int32Value(ctx).FromMaybe(20);
  s->thread = std::thread(Poll, s);
  current = s;
  // Stopped and joined when the environment goes away, so the process never waits on it.
  node::AddEnvironmentCleanupHook(isolate, [](void* p) {
    auto* s = static_cast<Sentinel*>(p);
    { std::lock_guard<std::mutex> lock(s->mu); s->stop.store(true); }
    s->wake.notify_one();
    s->thread.join();
    current = nullptr;
  }, s);
}

// take(): [{requestedAt, takenAt, stack}], and clears them
void Take(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  Local<Context> ctx = isolate->GetCurrentContext();
  Local<Array> out = Array::New(isolate);
  if (!current) { args.GetReturnValue().Set(out); return; }
  std::vector<Sample> got;
  { std::lock_guard<std::mutex> lock(current->mu); got.swap(current->samples); }
  for (size_t i = 0; i < got.size(); i++) {
    Local<Object> o = Object::New(isolate);
    o->Set(ctx, String::NewFromUtf8Literal(isolate, "requestedAt"), Number::New(isolate, got[i].requestedAt)).Check();
    o->Set(ctx, String::NewFromUtf8Literal(isolate, "takenAt"), Number::New(isolate, got[i].takenAt)).Check();
    o->Set(ctx, String::NewFromUtf8Literal(isolate, "stack"), String::NewFromUtf8(isolate, got[i].stack.c_str()).ToLocalChecked()).Check();
    out->Set(ctx, i, o).Check();
  }
  args.GetReturnValue().Set(out);
}

void Wakes(const FunctionCallbackInfo<Value>& args) {
  args.GetReturnValue().Set(Number::New(args.GetIsolate(), current ? double(current->wakes.load()) : 0));
}

void MonotonicMs(const FunctionCallbackInfo<Value>& args) {
  args.GetReturnValue().Set(Number::New(args.GetIsolate(), nowMs()));
}

}  // namespace

NODE_MODULE_INIT(/* exports, module, context */) {
  Isolate* isolate = Isolate::GetCurrent();  // Context::GetIsolate is gone in V8 14
  auto set = [&](const char* name, FunctionCallback fn) {
    exports->Set(context, String::NewFromUtf8(isolate, name).ToLocalChecked(),
                 FunctionTemplate::New(isolate, fn)->GetFunction(context).ToLocalChecked()).Check();
  };
  set("start", Start);
  set("take", Take);
  set("wakes", Wakes);
  set("monotonicMs", MonotonicMs);
}
