// y = x·Wᵀ + b for the models' fully connected layers. On CPUs with AVX-512, CPU float32 inputs
// go through camu's own register-blocked GEMM kernels (forward and both gradients); elsewhere
// at::linear. Why: fc1's three GEMMs per pass (batch 64 x 1568 x 256) took 0.59 ms a call in a
// CaMU step through Debian's OpenBLAS (its AVX2 kernels, which OPENBLAS_CORETYPE=Haswell selects
// on this project's machine), 3.9 ms of a ~20 ms step; these kernels run them at up to
// 200 GFLOP/s (docs/performance.md, "Fully connected layers").
#pragma once
#include <ATen/ATen.h>

namespace camu::kernels {

enum class LinearImplementation { kFused, kReference };

// Differentiable w.r.t. all three. `bias` may be undefined. kFused uses the kernels where
// Avx512KernelSet() (kernels/avx512.h) is non-null and the tensors are 2-D CPU float32; kReference is at::linear.
at::Tensor Linear(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                  LinearImplementation implementation = LinearImplementation::kFused);

}  // namespace camu::kernels
