// Native type tags on the JS objects that wrap native state (Model, Tensor, AbortFlag). A handle is
// recognised by the tag its constructor set, never by its prototype: an object made with
// Object.create(Model.prototype), or given that prototype later, has no native state behind it, and
// passing it as an argument or calling a method or getter on it is a coded TypeError
// (ERR_INVALID_ARG_TYPE) instead of a read of state that is not there.
#pragma once
#include <napi.h>

#include <string>

namespace camu {

enum class HandleType { kModel, kTensor, kAbortFlag };

// Tags `object` (a wrapped object, from its constructor) as a handle of `type`.
void TagHandle(Napi::Env env, const Napi::Object& object, HandleType type);
// The type of handle `value` is ("Model", "Tensor", "AbortFlag"), or null: for the JS checks
// (lib/models.ts isModel) to agree with the native ones.
Napi::Value HandleTypeOf(const Napi::CallbackInfo& info);
// Whether `value` is an object its constructor tagged as `type`.
bool IsHandle(const Napi::Value& value, HandleType type);
// What a value that is not a handle is, for messages: "a number", "an object that is not one ...".
std::string DescribeNonHandle(const Napi::Value& value);
// TypeError (ERR_INVALID_ARG_TYPE) unless `value` is a handle of `type`: `what` names the place.
void CheckHandle(const Napi::Value& value, HandleType type, const std::string& what);
// The same check on a method's or getter's `this`, thrown as a JS exception (Napi::Error), since
// node-addon-api's wrappers around them pass only those through.
void CheckThisHandle(const Napi::Object& object, HandleType type);

// ObjectWrap's Unwrap, preceded by the tag check: node-addon-api's method and accessor wrappers
// call T::Unwrap on `this`, so each wrapped class declares `static T* Unwrap(Napi::Object)` as this.
template <typename T>
T* UnwrapTagged(const Napi::Object& object, HandleType type) {
  CheckThisHandle(object, type);
  return Napi::ObjectWrap<T>::Unwrap(object);
}

}  // namespace camu
