// safetensors (https://huggingface.co/docs/safetensors): an 8-byte little-endian header size, a
// JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}},
// then the raw little-endian tensor bytes. Used for model weights (PyTorch state_dict keys) and
// for any other named-tensor file (datasets).
#pragma once
#include <ATen/ATen.h>

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace camu::io {

struct SafetensorsContents {
  std::vector<std::pair<std::string, at::Tensor>> tensors;  // in the order of their data in the file
  std::map<std::string, std::string> metadata;              // "__metadata__"
};

// Reads and validates the whole file: header size, JSON, dtypes, shapes against byte ranges,
// ranges inside the data section, no overlaps and no unreferenced bytes. ERR_CAMU_IO when the
// file cannot be read, ERR_CAMU_FORMAT (naming the file and the entry) when it is malformed.
SafetensorsContents ReadSafetensors(const std::string& path);

// Writes CPU copies of `tensors` (any device / layout) atomically: a temp file in the same
// directory, renamed over `path` only once complete. Names must be unique and non-empty.
void WriteSafetensors(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Runs `write(tempPath)` and renames the temp file to `path`; removes it when `write` throws, so
// `path` is either the old file or the complete new one.
void WriteFileAtomically(const std::string& path, const std::function<void(const std::string& tempPath)>& write);

}  // namespace camu::io
