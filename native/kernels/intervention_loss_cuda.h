// Launchers of the CUDA kernels (intervention_loss.cu). Plain pointers, no torch headers, so the
// .cu file compiles with nvcc alone. Every pointer is device memory, rows are contiguous.
#pragma once
#include <cstdint>

#include <cuda_runtime_api.h>

namespace camu::kernels::cuda {

// loss[0] = Σ_{r<split} w_r KL(softmax(teacher_r) ‖ softmax(student_r)), loss[1] the same over r >= split;
// grad = w_r (softmax(student_r) - softmax(teacher_r)).
cudaError_t LaunchSoftmaxKL(const float* teacher, const float* student, const float* rowWeights, int64_t rows,
                            int64_t dim, int64_t split, float* gradStudent, float* loss, cudaStream_t stream);

// loss[0] = Σ_{r<split} w_r CE(logits_r, label_r), loss[1] over r >= split; grad = w_r (softmax - onehot).
cudaError_t LaunchCrossEntropy(const float* logits, const int64_t* labels, const float* rowWeights, int64_t rows,
                               int64_t classes, int64_t split, float* gradLogits, float* loss, cudaStream_t stream);

}  // namespace camu::kernels::cuda
