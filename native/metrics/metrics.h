// Entry points of the metrics module (accuracy, membership attacks, output distances, ZRF).
#pragma once
#include <napi.h>

namespace camu::metrics {

void RegisterMetrics(Napi::Env env, Napi::Object exports);

}  // namespace camu::metrics
