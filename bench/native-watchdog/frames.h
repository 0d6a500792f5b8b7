// The JavaScript stack of the isolate's own thread, read inside an interrupt (no JavaScript runs): what
// sentinel.cc and writer.cc both take from a blocked thread.
#pragma once
#include <v8.h>
#include <string>
#include <vector>

struct Frame {
  std::string fn, file;
  int line, column;
};

inline std::vector<Frame> CurrentFrames(v8::Isolate* isolate, int max) {
  v8::HandleScope scope(isolate);
  v8::Local<v8::StackTrace> trace = v8::StackTrace::CurrentStackTrace(isolate, max);
  std::vector<Frame> out;
  for (int i = 0; i < trace->GetFrameCount(); i++) {
    v8::Local<v8::StackFrame> f = trace->GetFrame(isolate, i);
    v8::String::Utf8Value fn(isolate, f->GetFunctionName());
    v8::String::Utf8Value file(isolate, f->GetScriptNameOrSourceURL());
    out.push_back({(*fn && **fn) ? *fn : "", *file ? *file : "", f->GetLineNumber(), f->GetColumn()});
  }
  return out;
}
