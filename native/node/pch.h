// Precompiled for every translation unit of the Node-API layer (the core's headers plus Node-API).
#pragma once
#include <napi.h>
#include <torch/torch.h>
#include <torch/script.h>
