#include "node/dataset_args.h"

#include "node/args.h"
#include "node/errors.h"
#include "node/tensor.h"

namespace camu::data {

namespace {

std::vector<double> NumberList(const Napi::Value& value, const std::string& name) {
  if (!value.IsArray()) ThrowTypeError(name + " must be an array of numbers, got " + DescribeJsValue(value));
  auto array = value.As<Napi::Array>();
  std::vector<double> numbers;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    numbers.push_back(NumberArg(array.Get(i), name + "[" + std::to_string(i) + "]"));
  }
  return numbers;
}

const at::Tensor& IndexTensor(const Napi::Object& object, const char* key, const std::string& name) {
  const at::Tensor& tensor = Tensor::FromValue(object.Get(key), name + "." + key);
  if (tensor.scalar_type() != at::kLong || tensor.dim() != 1) {
    ThrowTypeError(name + "." + key + " must be a 1-D int64 Tensor");
  }
  return tensor;
}

}  // namespace

DatasetView DatasetFromValue(const Napi::Value& value, const std::string& name) {
  Napi::Object object = ObjectArg(value, name);
  DatasetView view;
  view.name = StringArg(object.Get("name"), name + ".name");
  view.images = Tensor::FromValue(object.Get("images"), name + ".images");
  view.labels = Tensor::FromValue(object.Get("labels"), name + ".labels");
  view.numClasses = IntegerArg(object.Get("numClasses"), name + ".numClasses", 1, 1 << 24);
  if (view.images.dim() != 4 || (view.images.scalar_type() != at::kByte && view.images.scalar_type() != at::kFloat)) {
    ThrowTypeError(name + ".images must be a uint8 or float32 Tensor of shape [N, C, H, W]");
  }
  if (!view.images.device().is_cpu() || !view.images.is_contiguous()) {
    ThrowTypeError(name + ".images must be a contiguous CPU Tensor");
  }
  if (view.labels.dim() != 1 || view.labels.scalar_type() != at::kLong) {
    ThrowTypeError(name + ".labels must be a 1-D int64 Tensor");
  }
  if (view.labels.size(0) != view.images.size(0)) {
    ThrowRangeError(name + " has " + std::to_string(view.images.size(0)) + " images but " +
                    std::to_string(view.labels.size(0)) + " labels");
  }
  if (view.images.size(0) == 0) ThrowRangeError(name + " has no samples");
  int64_t minLabel = view.labels.min().item<int64_t>();
  int64_t maxLabel = view.labels.max().item<int64_t>();
  if (minLabel < 0 || maxLabel >= view.numClasses) {
    ThrowRangeError(name + ".labels must lie in [0, " + std::to_string(view.numClasses - 1) + "], found " +
                    std::to_string(minLabel < 0 ? minLabel : maxLabel));
  }

  Napi::Object spec = ObjectArg(object.Get("inputSpec"), name + ".inputSpec");
  view.transform.input.mean = NumberList(spec.Get("mean"), name + ".inputSpec.mean");
  view.transform.input.std = NumberList(spec.Get("std"), name + ".inputSpec.std");
  size_t channels = static_cast<size_t>(view.images.size(1));
  if (view.transform.input.mean.size() != view.transform.input.std.size() ||
      (!view.transform.input.mean.empty() && view.transform.input.mean.size() != channels)) {
    ThrowRangeError(name + ".inputSpec needs no mean/std or one mean and one std per channel (" +
                    std::to_string(channels) + ")");
  }
  for (double s : view.transform.input.std) {
    if (!(s > 0)) ThrowRangeError(name + ".inputSpec.std values must be positive");
  }
  view.transform.geometry = GeometryFromName(StringArg(object.Get("geometry"), name + ".geometry"), name + ".geometry");
  return view;
}

SplitView SplitFromValue(const Napi::Value& value, const std::string& name) {
  Napi::Object object = ObjectArg(value, name);
  SplitView view;
  view.forget = IndexTensor(object, "forgetIndices", name);
  view.retain = IndexTensor(object, "retainIndices", name);
  view.sample = IndexTensor(object, "sampleIndices", name);
  view.forgetRepeat = IntegerArg(object.Get("forgetRepeat"), name + ".forgetRepeat", 1, 1000);
  Napi::Object dataset = ObjectArg(object.Get("dataset"), name + ".dataset");
  view.datasetName = StringArg(dataset.Get("name"), name + ".dataset.name");
  view.trainSize = IntegerArg(dataset.Get("trainSize"), name + ".dataset.trainSize", 1, INT64_C(1) << 40);
  if (view.forget.size(0) == 0 || view.forget.size(0) + view.retain.size(0) != view.trainSize ||
      view.sample.size(0) != view.forget.size(0) * view.forgetRepeat) {
    ThrowRangeError(name + " is inconsistent: forget, retain and sample sizes do not fit its train size");
  }
  // The indices themselves are checked once, by CheckSplitMatches, which every entry point that
  // takes a split calls with its train set.
  return view;
}

}  // namespace camu::data
