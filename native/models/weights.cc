#include "models/weights.h"

#include "io/safetensors.h"
#include "models/torchscript_model.h"

namespace camu::models {

void LoadWeights(Model& model, const std::string& path) {
  io::SafetensorsContents contents = io::ReadSafetensors(path);
  model.LoadState(contents.tensors, path);
}

void SaveWeights(const Model& model, const std::string& path, std::map<std::string, std::string> metadata) {
  metadata["format"] = "pt";
  metadata["camu.architecture"] = model.Architecture();
  io::WriteSafetensors(path, model.NamedState(), metadata);
}

void ExportTorchScript(const Model& model, const std::string& path) { SaveTorchScript(model.ToTorchScript(), path, &model); }

}  // namespace camu::models
