// Device names at the boundary: "cpu", "cuda", "cuda:N".
#pragma once
#include <ATen/ATen.h>

#include <string>

namespace camu::models {

// RangeError naming `name` for a malformed name; ERR_CAMU_UNSUPPORTED for a CUDA device this
// build or machine does not have.
at::Device ParseDevice(const std::string& text, const std::string& name);

}  // namespace camu::models
