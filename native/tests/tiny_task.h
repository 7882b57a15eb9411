// The tiny task the core's method tests run on: 64 random 4x4 images of 4 classes, class 0
// (16 samples) forgotten, and an MLP over them.
#pragma once
#include <ATen/CPUGeneratorImpl.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/errors.h"
#include "core/job_context.h"
#include "data/splits.h"
#include "models/model.h"
#include "unlearn/method.h"

namespace camu::unlearn::test {

// The code of what `body` throws ("" when it returns); its message in `message` when given.
inline std::string CodeOf(const std::function<void()>& body, std::string* message = nullptr) {
  try {
    body();
  } catch (...) {
    ErrorInfo info = CaptureCurrentException();
    if (message) *message = info.message;
    return info.code;
  }
  return "";
}

// A copy of every state tensor of `model`, and whether two such copies are bitwise equal.
inline std::vector<at::Tensor> State(const models::Model& model) {
  std::vector<at::Tensor> state;
  for (const auto& entry : model.NamedState()) state.push_back(entry.second.clone());
  return state;
}

inline bool SameState(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!at::equal(a[i], b[i])) return false;
  }
  return true;
}

struct TinyTask {
  data::DatasetView train;
  data::SplitView split;
  std::shared_ptr<models::Model> model;

  TinyTask() {
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(7);
    train.name = "tiny";
    train.images = at::randint(0, 256, {64, 1, 4, 4}, generator, at::kByte);
    train.labels = at::arange(64, at::kLong).remainder(4);
    train.numClasses = 4;
    data::SplitIndices indices = data::ClassRemovalSplit(train.labels, 4, {0}, {1.0}, 1, generator, "split");
    split.forget = indices.forget;
    split.retain = indices.retain;
    split.sample = indices.sample;
    split.datasetName = train.name;
    split.trainSize = train.size();
    models::BuiltinConfig config;
    config.architecture = "mlp";
    config.numClasses = 4;
    config.inFeatures = 16;
    config.hiddenSize = 8;
    model = models::CreateBuiltin(config);
  }

  // `method` on the task, seed 3 unless `values` says otherwise, synchronously.
  MethodResult Run(const std::string& method, const std::map<std::string, MethodOptions::Value>& values) const {
    MethodOptions options;
    options.Set("seed", 3.0);
    for (const auto& [name, value] : values) options.Set(name, value);
    return RunMethod(method, *model, train, split, options, JobContext::Synchronous());
  }
};

}  // namespace camu::unlearn::test
