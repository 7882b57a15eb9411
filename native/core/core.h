// Entry points of the core module (addon info, threads, throughput measurement).
#pragma once
#include <napi.h>

namespace camu {

// The process-wide settings, applied once per process when the addon loads: libtorch's thread
// pools from CAMU_NUM_THREADS / CAMU_NUM_INTEROP_THREADS (throws on a bad value) and glibc
// malloc's thresholds (see info.cc).
void ConfigureProcessOnce();

void RegisterInfo(Napi::Env env, Napi::Object exports);
void RegisterThroughput(Napi::Env env, Napi::Object exports);

}  // namespace camu
