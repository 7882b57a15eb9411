// Entry points of the core module (addon info, threads, throughput measurement).
#pragma once
#include <napi.h>

namespace camu {

// Applies CAMU_NUM_THREADS / CAMU_NUM_INTEROP_THREADS once per process; throws on a bad value.
void ConfigureThreadsOnce();

void RegisterInfo(Napi::Env env, Napi::Object exports);
void RegisterThroughput(Napi::Env env, Napi::Object exports);

}  // namespace camu
