#include "node/tensor_bridge.h"

#include <cstring>

#include "node/args.h"
#include "node/errors.h"

namespace camu {

const std::vector<DTypeInfo>& DTypeTable() {
  static const std::vector<DTypeInfo> table = {
      {"float32", at::kFloat, napi_float32_array, "Float32Array"},
      {"float64", at::kDouble, napi_float64_array, "Float64Array"},
      {"int64", at::kLong, napi_bigint64_array, "BigInt64Array"},
      {"int32", at::kInt, napi_int32_array, "Int32Array"},
      {"int16", at::kShort, napi_int16_array, "Int16Array"},
      {"int8", at::kChar, napi_int8_array, "Int8Array"},
      {"uint8", at::kByte, napi_uint8_array, "Uint8Array"},
  };
  return table;
}

const DTypeInfo& DTypeByName(const std::string& name, const std::string& argName) {
  for (const auto& entry : DTypeTable()) {
    if (name == entry.name) return entry;
  }
  std::string names;
  for (const auto& entry : DTypeTable()) names += (names.empty() ? "" : ", ") + std::string(entry.name);
  ThrowRangeError(argName + " must be one of " + names + ", got '" + name + "'");
}

const DTypeInfo* DTypeByScalarType(at::ScalarType type) {
  for (const auto& entry : DTypeTable()) {
    if (entry.scalarType == type) return &entry;
  }
  return nullptr;
}

const DTypeInfo* DTypeByArrayType(napi_typedarray_type type) {
  for (const auto& entry : DTypeTable()) {
    if (entry.arrayType == type) return &entry;
  }
  return nullptr;
}

at::Tensor TensorFromTypedArray(const Napi::Value& data, const std::vector<int64_t>& shape,
                                const std::string& argName, const DTypeInfo* expected) {
  if (!data.IsTypedArray()) {
    ThrowTypeError(argName + " must be a typed array, got " + DescribeJsValue(data));
  }
  auto array = data.As<Napi::TypedArray>();
  const DTypeInfo* dtype = DTypeByArrayType(array.TypedArrayType());
  if (dtype == nullptr) {
    ThrowTypeError(argName + ": this kind of typed array has no tensor dtype (Uint8ClampedArray, "
                   "Uint16Array, Uint32Array and BigUint64Array are not accepted)");
  }
  if (expected != nullptr && dtype != expected) {
    ThrowTypeError(argName + " must be a " + expected->arrayName + ", got a " + dtype->arrayName);
  }
  int64_t numel = 1;
  for (int64_t dim : shape) {
    if (dim > 0 && numel > INT64_MAX / dim) ThrowRangeError(argName + ": shape is too large");
    numel *= dim;
  }
  if (static_cast<int64_t>(array.ElementLength()) != numel) {
    std::string dims;
    for (int64_t dim : shape) dims += (dims.empty() ? "" : ", ") + std::to_string(dim);
    ThrowRangeError(argName + " has " + std::to_string(array.ElementLength()) + " elements but shape [" + dims +
                    "] needs " + std::to_string(numel));
  }
  at::Tensor tensor = at::empty(shape, at::TensorOptions().dtype(dtype->scalarType));
  auto* source = static_cast<const uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
  if (numel > 0) std::memcpy(tensor.data_ptr(), source, array.ByteLength());
  return tensor;
}

Napi::TypedArray TypedArrayFromTensor(Napi::Env env, const at::Tensor& tensor) {
  const DTypeInfo* dtype = DTypeByScalarType(tensor.scalar_type());
  if (dtype == nullptr) {
    throw Error(codes::kUnsupported,
                std::string("a tensor of dtype ") + at::toString(tensor.scalar_type()) + " has no TypedArray kind");
  }
  at::Tensor host = tensor.cpu().contiguous();
  size_t bytes = static_cast<size_t>(host.numel()) * host.element_size();
  auto buffer = Napi::ArrayBuffer::New(env, bytes);
  if (bytes > 0) std::memcpy(buffer.Data(), host.data_ptr(), bytes);
  size_t length = static_cast<size_t>(host.numel());
  switch (dtype->arrayType) {
    case napi_float32_array: return Napi::Float32Array::New(env, length, buffer, 0);
    case napi_float64_array: return Napi::Float64Array::New(env, length, buffer, 0);
    case napi_bigint64_array: return Napi::BigInt64Array::New(env, length, buffer, 0);
    case napi_int32_array: return Napi::Int32Array::New(env, length, buffer, 0);
    case napi_int16_array: return Napi::Int16Array::New(env, length, buffer, 0);
    case napi_int8_array: return Napi::Int8Array::New(env, length, buffer, 0);
    case napi_uint8_array: return Napi::Uint8Array::New(env, length, buffer, 0);
    default: throw Error(codes::kInternal, "dtype table has an unhandled array kind");
  }
}

Napi::Array ShapeToJs(Napi::Env env, at::IntArrayRef shape) {
  auto array = Napi::Array::New(env, shape.size());
  for (size_t i = 0; i < shape.size(); ++i) array.Set(i, Napi::Number::New(env, static_cast<double>(shape[i])));
  return array;
}

}  // namespace camu
