// Precompiled for every translation unit of the core: parsing these costs tens of seconds per file.
#pragma once
#include <torch/torch.h>
#include <torch/script.h>
