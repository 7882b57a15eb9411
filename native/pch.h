// Precompiled for every translation unit: parsing these costs tens of seconds per file.
#pragma once
#include <napi.h>
#include <torch/torch.h>
#include <torch/script.h>
