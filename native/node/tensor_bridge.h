// TypedArray <-> at::Tensor. Copies in both directions by default: JS never aliases tensor memory,
// so a tensor can outlive, or be changed independently of, the array it came from.
#pragma once
#include <napi.h>
#include <ATen/ATen.h>

#include <string>
#include <vector>

namespace camu {

// The strict dtype table: one tensor dtype per TypedArray kind, nothing converted implicitly.
struct DTypeInfo {
  const char* name;             // camu's dtype name, e.g. "float32"
  at::ScalarType scalarType;
  napi_typedarray_type arrayType;
  const char* arrayName;        // e.g. "Float32Array"
};

const std::vector<DTypeInfo>& DTypeTable();
const DTypeInfo& DTypeByName(const std::string& name, const std::string& argName);  // RangeError if unknown
const DTypeInfo* DTypeByScalarType(at::ScalarType type);                           // nullptr if unmapped
const DTypeInfo* DTypeByArrayType(napi_typedarray_type type);                      // nullptr if unmapped

// Copies a TypedArray into a new CPU tensor of the given shape. `expected` (optional) restricts
// the dtype. Throws TypeError / RangeError naming `argName`.
at::Tensor TensorFromTypedArray(const Napi::Value& data, const std::vector<int64_t>& shape,
                                const std::string& argName, const DTypeInfo* expected = nullptr);

// Copies a tensor (any device, any layout) into a new TypedArray of the matching kind.
Napi::TypedArray TypedArrayFromTensor(Napi::Env env, const at::Tensor& tensor);

Napi::Array ShapeToJs(Napi::Env env, at::IntArrayRef shape);

}  // namespace camu
