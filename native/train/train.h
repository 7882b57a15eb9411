// Entry points of the train module: train (original models, retraining on D_r, fine-tuning) and
// evaluate (batched inference).
#pragma once
#include <napi.h>

namespace camu::train {

void RegisterTrain(Napi::Env env, Napi::Object exports);

}  // namespace camu::train
