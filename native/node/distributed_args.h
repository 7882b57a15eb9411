// The `distributed` option of train() and unlearn(): the rendezvous (distributed/process_group.h).
#pragma once
#include <napi.h>

#include <string>

#include "distributed/process_group.h"

namespace camu {

// {masterAddr?, masterPort?, worldSize, rank, timeoutSeconds?, checkEvery?} named `name` in errors;
// ERR_CAMU_UNSUPPORTED when this build has no distributed support. `checkEvery` is optional output.
distributed::Options ParseDistributedOptions(const Napi::Value& value, const std::string& name, int64_t* checkEvery);

}  // namespace camu
