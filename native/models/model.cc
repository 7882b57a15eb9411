#include "models/model.h"

#include <torch/torch.h>

#include <chrono>
#include <map>
#include <sstream>

#include "core/errors.h"

namespace camu::models {

namespace {

std::string ShapeString(at::IntArrayRef shape) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << "]";
  return out.str();
}

// Lists at most `limit` names, then how many more: a wrong file can have hundreds of keys.
std::string NameList(const std::vector<std::string>& names, size_t limit = 12) {
  std::string list;
  for (size_t i = 0; i < names.size() && i < limit; ++i) list += (i ? ", " : "") + names[i];
  if (names.size() > limit) list += ", ... (" + std::to_string(names.size() - limit) + " more)";
  return list;
}

}  // namespace

void Model::LoadState(const NamedTensors& state, const std::string& source) {
  NamedTensors target = NamedState();
  std::map<std::string, const at::Tensor*> given;
  for (const auto& [name, tensor] : state) given[name] = &tensor;

  std::vector<std::string> missing, misshaped, mistyped;
  for (const auto& [name, tensor] : target) {
    auto found = given.find(name);
    if (found == given.end()) {
      missing.push_back(name);
      continue;
    }
    const at::Tensor& value = *found->second;
    if (value.sizes() != tensor.sizes()) {
      misshaped.push_back(name + " (model " + ShapeString(tensor.sizes()) + ", " + source + " " +
                          ShapeString(value.sizes()) + ")");
    } else if (at::isFloatingType(value.scalar_type()) != at::isFloatingType(tensor.scalar_type())) {
      // Float weights into an integer counter (or back) would be silently truncated.
      mistyped.push_back(name + " (model " + std::string(at::toString(tensor.scalar_type())) + ", " + source + " " +
                         at::toString(value.scalar_type()) + ")");
    }
    given.erase(found);
  }
  std::vector<std::string> unexpected;
  for (const auto& entry : given) unexpected.push_back(entry.first);

  if (!missing.empty() || !unexpected.empty() || !misshaped.empty() || !mistyped.empty()) {
    std::string message = source + " does not match the " + Architecture() + " model's state_dict:";
    if (!missing.empty()) message += "\n  missing keys: " + NameList(missing);
    if (!unexpected.empty()) message += "\n  unexpected keys: " + NameList(unexpected);
    if (!misshaped.empty()) message += "\n  mis-shaped: " + NameList(misshaped);
    if (!mistyped.empty()) message += "\n  incompatible dtypes: " + NameList(mistyped);
    throw Error(codes::kFormat, message);
  }

  torch::NoGradGuard noGrad;
  std::map<std::string, const at::Tensor*> byName;
  for (const auto& [name, tensor] : state) byName[name] = &tensor;
  for (auto& [name, tensor] : target) tensor.copy_(*byName.at(name));
}

void Model::CheckInput(const at::Tensor& input, const std::string& name) const {
  std::vector<int64_t> expected = InputShape();
  if (!at::isFloatingType(input.scalar_type())) {
    ThrowTypeError(name + ": network input must be floating point, got " +
                   std::string(at::toString(input.scalar_type())));
  }
  if (expected.empty()) return;
  bool fits = input.dim() == static_cast<int64_t>(expected.size()) + 1;
  if (!fits && expected.size() == 1 && expected[0] > 0 && input.dim() > 2) {
    int64_t perSample = 1;  // a flat-input model flattens [N, C, H, W] batches
    for (int64_t d = 1; d < input.dim(); ++d) perSample *= input.size(d);
    fits = perSample == expected[0];
  }
  for (size_t i = 0; fits && input.dim() == static_cast<int64_t>(expected.size()) + 1 && i < expected.size(); ++i) {
    fits = expected[i] < 0 || input.size(static_cast<int64_t>(i) + 1) == expected[i];
  }
  if (!fits) {
    std::string want = "[N";
    for (int64_t dim : expected) want += ", " + (dim < 0 ? std::string("*") : std::to_string(dim));
    want += "]";
    ThrowRangeError(name + ": the " + Architecture() + " model takes input " + want + ", got " +
                    ShapeString(input.sizes()));
  }
}

namespace {
[[noreturn]] void ThrowStuck(const std::string& fn) {
  throw Error(codes::kStuck, fn + ": the model is held by a call into its code that never returned (given up after "
                                  "its forwardTimeout); load the model again to use it");
}
}  // namespace

void CheckFiniteWeights(const Model& model, const std::string& job, int64_t step, int64_t epoch) {
  for (const auto& [name, tensor] : model.NamedState()) {
    if (!at::isFloatingType(tensor.scalar_type()) || at::isfinite(tensor).all().item<bool>()) continue;
    throw Error(codes::kNonFinite, job + " stopped at step " + std::to_string(step) + " (epoch " + std::to_string(epoch) +
                                       "): weight '" + name + "' holds NaN or infinite values, so the weights have "
                                       "diverged; lower the learning rate, or check the input data for NaN or infinite values");
  }
}

std::unique_lock<std::timed_mutex> LockForSync(const Model& model, const std::string& fn) {
  std::unique_lock<std::timed_mutex> lock(model.Mutex(), std::try_to_lock);
  if (!lock.owns_lock()) {
    if (model.Stuck()) ThrowStuck(fn);
    throw Error(codes::kState, fn + ": the model is in use by a running job; await it first");
  }
  return lock;
}

std::unique_lock<std::timed_mutex> LockFor(const Model& model, const std::string& fn, const JobContext& context) {
  if (!context.Blocking()) return LockForSync(model, fn);
  std::unique_lock<std::timed_mutex> lock(model.Mutex(), std::defer_lock);
  // Waits in slices, so that a holder given up as stuck, or an abort, ends the wait.
  while (!lock.try_lock_for(std::chrono::milliseconds(50))) {
    if (model.Stuck()) ThrowStuck(fn);
    context.CheckAborted();
  }
  return lock;
}

}  // namespace camu::models
