// Reads a JS Dataset / Split object (their Tensor handles, sizes and fields) into the core's
// views (data/dataset.h) without copying.
#pragma once
#include <napi.h>

#include <string>

#include "data/dataset.h"

namespace camu::data {

// Validates a Dataset object's fields (Tensor handles, dtypes, shapes, label range, transform)
// and returns a view on them. TypeError / RangeError naming `name`.
DatasetView DatasetFromValue(const Napi::Value& value, const std::string& name);

// Validates a Split object's fields (dtypes, sizes, index range) and returns a view on them.
SplitView SplitFromValue(const Napi::Value& value, const std::string& name);

}  // namespace camu::data
