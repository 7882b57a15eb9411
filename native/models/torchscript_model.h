// User models: a TorchScript module (torch.jit.save) trained and unlearned like a built-in.
// Its forward must return (logits, embedding), or return logits with `features` and `head`
// naming submodules such that logits = head(features(x)); then embedding = features(x)
// (flattened to [N, D]) and forward runs as head(features(x)).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "models/model.h"

namespace camu::models {

struct TorchScriptOptions {
  // Loading TorchScript runs code stored in the file (__setstate__ at load, forward at every use)
  // with the process's rights: a load without this is refused with ERR_CAMU_UNTRUSTED_CODE.
  bool trustCode = false;
  // Seconds one call into the module's code (the load, one forward) may take before an async
  // job gives up on it with ERR_CAMU_STUCK (core/call_watch.h); 0 = no limit.
  double forwardTimeout = 600;
  std::string features;             // submodule path, e.g. "backbone" or "encoder.trunk"; "" = none
  std::string head;                 // submodule path of the classifier head; "" = none
  // Per-sample shape; when given (or recorded by camu's export) the module is probed at load.
  std::vector<int64_t> inputShape;
  // Normalisation the module expects; when unset, what camu's export recorded in the file.
  std::optional<data::InputSpec> input;
  std::optional<at::Device> device; // where to load it; default: where it was saved
  // Run the module's layers through camu's kernels when its forward is a chain of layers camu has
  // kernels for (models/layer_plan.h); false = always the module's own forward.
  bool camuKernels = true;
};

// ERR_CAMU_UNTRUSTED_CODE unless options.trustCode, before the file is opened; ERR_CAMU_IO when unreadable; ERR_CAMU_UNSUPPORTED naming both versions when the file is newer
// than the linked libtorch; ERR_CAMU_FORMAT when it is no TorchScript archive or its forward
// fits neither convention (the message says what was found and what is needed).
std::shared_ptr<Model> LoadTorchScript(const std::string& path, const TorchScriptOptions& options);

// What the zip directory of a PyTorch archive says, read without libtorch.
struct TorchArchiveInfo {
  std::optional<uint64_t> formatVersion;  // "<archive>/version" or "<archive>/.data/version"
  bool hasCode = false;                   // "<archive>/code/...": TorchScript (torch.save has none)
  std::vector<uint64_t> dataRecordSizes;  // bytes of each "<archive>/data/<key>" record: the module's storages
};
// ERR_CAMU_IO when unreadable, ERR_CAMU_FORMAT when the file is not a zip archive.
TorchArchiveInfo ReadTorchArchiveInfo(const std::string& path);

// Saves `module` to `path` atomically (temp file + rename). With `model`, its input spec and
// input shape go into the archive as the extra file camu.txt, which LoadTorchScript reads back.
void SaveTorchScript(const torch::jit::Module& module, const std::string& path, const Model* model = nullptr);

}  // namespace camu::models
