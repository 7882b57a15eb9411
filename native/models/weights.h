// Model weights on disk: safetensors with PyTorch's state_dict keys (so torch.load_state_dict /
// safetensors.torch.load_file read them back) and TorchScript export. Every write is atomic.
#pragma once
#include <map>
#include <string>

#include "models/model.h"

namespace camu::models {

// Copies the file's tensors into `model`; ERR_CAMU_FORMAT listing missing / unexpected /
// mis-shaped keys (the model is unchanged then).
void LoadWeights(Model& model, const std::string& path);
// Writes NamedState() (parameters and buffers) with `metadata` plus format=pt and the
// architecture under "camu.architecture".
void SaveWeights(const Model& model, const std::string& path, std::map<std::string, std::string> metadata = {});
// Writes Model::ToTorchScript(); torch.jit.load reads it.
void ExportTorchScript(const Model& model, const std::string& path);

}  // namespace camu::models
