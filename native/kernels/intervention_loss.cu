// Fused CUDA kernels of CaMU's intervention loss: each computes a weighted loss over rows and its
// gradient in one launch. A single block walks the rows warp by warp and reduces the per-row
// losses in a fixed order, so results are deterministic; at CaMU's batch sizes (tens of rows) a
// step is launch-bound, and one launch per loss term is the point.
#include <cfloat>

#include "kernels/intervention_loss_cuda.h"

namespace camu::kernels::cuda {

namespace {

constexpr int kThreads = 512;
constexpr int kWarps = kThreads / 32;

__device__ float WarpMax(float value) {
  for (int offset = 16; offset > 0; offset /= 2) value = fmaxf(value, __shfl_xor_sync(0xffffffffu, value, offset));
  return value;
}

__device__ float WarpSum(float value) {
  for (int offset = 16; offset > 0; offset /= 2) value += __shfl_xor_sync(0xffffffffu, value, offset);
  return value;
}

// log-sum-exp of a row, computed by one warp.
__device__ float RowLogSumExp(const float* row, int64_t dim, int lane, float* rowMax) {
  float m = -FLT_MAX;
  for (int64_t i = lane; i < dim; i += 32) m = fmaxf(m, row[i]);
  m = WarpMax(m);
  float s = 0.f;
  for (int64_t i = lane; i < dim; i += 32) s += expf(row[i] - m);
  s = WarpSum(s);
  *rowMax = m;
  return m + logf(s);
}

// Sums each warp's two partial losses in a fixed order and writes loss[0], loss[1].
__device__ void BlockReduceToLoss(const float warpLoss[2], float* loss) {
  __shared__ float partial[2][kWarps];
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) {
    partial[0][warp] = warpLoss[0];
    partial[1][warp] = warpLoss[1];
  }
  __syncthreads();
  if (threadIdx.x < 2) {
    float total = 0.f;
    for (int w = 0; w < kWarps; ++w) total += partial[threadIdx.x][w];
    loss[threadIdx.x] = total;
  }
}

__global__ void SoftmaxKLKernel(const float* teacher, const float* student, const float* rowWeights, int64_t rows,
                                int64_t dim, int64_t split, float* gradStudent, float* loss) {
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  float warpLoss[2] = {0.f, 0.f};
  for (int64_t r = warp; r < rows; r += kWarps) {
    const float* t = teacher + r * dim;
    const float* s = student + r * dim;
    float* g = gradStudent + r * dim;
    float tMax, sMax;
    float tLse = RowLogSumExp(t, dim, lane, &tMax);
    float sLse = RowLogSumExp(s, dim, lane, &sMax);
    float w = rowWeights[r];
    float kl = 0.f;
    for (int64_t i = lane; i < dim; i += 32) {
      float logP = t[i] - tLse, logQ = s[i] - sLse;
      float p = expf(logP);
      kl += p * (logP - logQ);
      g[i] = w * (expf(logQ) - p);
    }
    kl = WarpSum(kl);
    if (lane == 0) warpLoss[r < split ? 0 : 1] += w * kl;
  }
  BlockReduceToLoss(warpLoss, loss);
}

__global__ void CrossEntropyKernel(const float* logits, const int64_t* labels, const float* rowWeights, int64_t rows,
                                   int64_t classes, int64_t split, float* gradLogits, float* loss) {
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  float warpLoss[2] = {0.f, 0.f};
  for (int64_t r = warp; r < rows; r += kWarps) {
    const float* l = logits + r * classes;
    float* g = gradLogits + r * classes;
    float lMax;
    float lse = RowLogSumExp(l, classes, lane, &lMax);
    int64_t label = labels[r];
    float w = rowWeights[r];
    for (int64_t c = lane; c < classes; c += 32) {
      float p = expf(l[c] - lse);
      g[c] = w * (p - (c == label ? 1.f : 0.f));
    }
    if (lane == 0) warpLoss[r < split ? 0 : 1] += w * (lse - l[label]);
  }
  BlockReduceToLoss(warpLoss, loss);
}

}  // namespace

cudaError_t LaunchSoftmaxKL(const float* teacher, const float* student, const float* rowWeights, int64_t rows,
                            int64_t dim, int64_t split, float* gradStudent, float* loss, cudaStream_t stream) {
  SoftmaxKLKernel<<<1, kThreads, 0, stream>>>(teacher, student, rowWeights, rows, dim, split, gradStudent, loss);
  return cudaGetLastError();
}

cudaError_t LaunchCrossEntropy(const float* logits, const int64_t* labels, const float* rowWeights, int64_t rows,
                               int64_t classes, int64_t split, float* gradLogits, float* loss, cudaStream_t stream) {
  CrossEntropyKernel<<<1, kThreads, 0, stream>>>(logits, labels, rowWeights, rows, classes, split, gradLogits, loss);
  return cudaGetLastError();
}

}  // namespace camu::kernels::cuda
