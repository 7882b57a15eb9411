#include "kernels/intervention_loss.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/errors.h"

#ifdef CAMU_WITH_CUDA
#include <c10/cuda/CUDAStream.h>

#include "kernels/intervention_loss_cuda.h"
#endif

namespace camu::kernels {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

float RowMax(const float* row, int64_t dim) {
  float maximum = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < dim; ++i) maximum = std::max(maximum, row[i]);
  return maximum;
}

// exp(row_i - max) in double into `shifted`; returns the row's maximum.
double RowShiftedExp(const float* row, int64_t dim, double* shifted) {
  const float maximum = RowMax(row, dim);
  for (int64_t i = 0; i < dim; ++i) shifted[i] = std::exp(static_cast<double>(row[i]) - maximum);
  return maximum;
}

// log-sum-exp of one row, accumulated in double.
double RowLogSumExp(const float* row, int64_t dim) {
  const float maximum = RowMax(row, dim);
  double sum = 0;
  for (int64_t i = 0; i < dim; ++i) sum += std::exp(static_cast<double>(row[i]) - maximum);
  return maximum + std::log(sum);
}

// Sums per-row losses in row order, per block, so the result does not depend on the thread count.
at::Tensor SumBlocks(const std::vector<double>& rowLoss, int64_t split) {
  double first = 0, second = 0;
  for (size_t r = 0; r < rowLoss.size(); ++r) (static_cast<int64_t>(r) < split ? first : second) += rowLoss[r];
  return at::tensor({static_cast<float>(first), static_cast<float>(second)}, at::kFloat);
}

std::pair<at::Tensor, at::Tensor> SoftmaxKLCpu(const at::Tensor& teacher, const at::Tensor& student,
                                               const at::Tensor& rowWeights, int64_t split) {
  const int64_t rows = student.size(0), dim = student.size(1);
  at::Tensor grad = at::empty_like(student);
  std::vector<double> rowLoss(rows);
  const float* t = teacher.data_ptr<float>();
  const float* s = student.data_ptr<float>();
  const float* w = rowWeights.data_ptr<float>();
  float* g = grad.data_ptr<float>();
  at::parallel_for(0, rows, 1, [&](int64_t begin, int64_t end) {
    // exp(x_i - max) of both rows, kept from their normalisers for the probabilities: two
    // exponentials per element instead of four (glibc's exp was ~2% of a CaMU step).
    std::vector<double> tExp(dim), sExp(dim);
    for (int64_t r = begin; r < end; ++r) {
      const float* tRow = t + r * dim;
      const float* sRow = s + r * dim;
      float* gRow = g + r * dim;
      const double tMax = RowShiftedExp(tRow, dim, tExp.data()), sMax = RowShiftedExp(sRow, dim, sExp.data());
      double tSum = 0, sSum = 0;
      for (int64_t i = 0; i < dim; ++i) {
        tSum += tExp[i];
        sSum += sExp[i];
      }
      const double tLse = tMax + std::log(tSum), sLse = sMax + std::log(sSum);
      double kl = 0;
      for (int64_t i = 0; i < dim; ++i) {
        const double p = tExp[i] / tSum;
        kl += p * ((tRow[i] - tLse) - (sRow[i] - sLse));
        gRow[i] = static_cast<float>(w[r] * (sExp[i] / sSum - p));
      }
      rowLoss[r] = w[r] * kl;
    }
  });
  return {SumBlocks(rowLoss, split), grad};
}

std::pair<at::Tensor, at::Tensor> CrossEntropyCpu(const at::Tensor& logits, const at::Tensor& labels,
                                                  const at::Tensor& rowWeights, int64_t split) {
  const int64_t rows = logits.size(0), classes = logits.size(1);
  at::Tensor grad = at::empty_like(logits);
  std::vector<double> rowLoss(rows);
  const float* l = logits.data_ptr<float>();
  const int64_t* y = labels.data_ptr<int64_t>();
  const float* w = rowWeights.data_ptr<float>();
  float* g = grad.data_ptr<float>();
  at::parallel_for(0, rows, 1, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* lRow = l + r * classes;
      float* gRow = g + r * classes;
      double lse = RowLogSumExp(lRow, classes);
      for (int64_t c = 0; c < classes; ++c) {
        double p = std::exp(lRow[c] - lse);
        gRow[c] = static_cast<float>(w[r] * (p - (c == y[r] ? 1.0 : 0.0)));
      }
      rowLoss[r] = w[r] * (lse - lRow[y[r]]);
    }
  });
  return {SumBlocks(rowLoss, split), grad};
}

#ifdef CAMU_WITH_CUDA
void CheckCuda(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw Error(codes::kTorch, std::string(what) + ": " + cudaGetErrorString(status));
}

std::pair<at::Tensor, at::Tensor> SoftmaxKLCuda(const at::Tensor& teacher, const at::Tensor& student,
                                                const at::Tensor& rowWeights, int64_t split) {
  at::Tensor grad = at::empty_like(student);
  at::Tensor loss = at::empty({2}, student.options());
  CheckCuda(cuda::LaunchSoftmaxKL(teacher.data_ptr<float>(), student.data_ptr<float>(), rowWeights.data_ptr<float>(),
                                  student.size(0), student.size(1), split, grad.data_ptr<float>(), loss.data_ptr<float>(),
                                  c10::cuda::getCurrentCUDAStream().stream()),
            "softmax KL kernel");
  return {loss, grad};
}

std::pair<at::Tensor, at::Tensor> CrossEntropyCuda(const at::Tensor& logits, const at::Tensor& labels,
                                                   const at::Tensor& rowWeights, int64_t split) {
  at::Tensor grad = at::empty_like(logits);
  at::Tensor loss = at::empty({2}, logits.options());
  CheckCuda(cuda::LaunchCrossEntropy(logits.data_ptr<float>(), labels.data_ptr<int64_t>(), rowWeights.data_ptr<float>(),
                                     logits.size(0), logits.size(1), split, grad.data_ptr<float>(), loss.data_ptr<float>(),
                                     c10::cuda::getCurrentCUDAStream().stream()),
            "cross-entropy kernel");
  return {loss, grad};
}
#endif

// The gradient of the [2] block losses w.r.t. the rows, given d(out)/d(block losses) = gradOutput.
at::Tensor ScaleBlocks(const at::Tensor& rowGradient, const at::Tensor& gradOutput, int64_t split) {
  int64_t rows = rowGradient.size(0);
  return at::cat({rowGradient.narrow(0, 0, split) * gradOutput[0],
                  rowGradient.narrow(0, split, rows - split) * gradOutput[1]});
}

// Both fused losses share this autograd shape: forward computes the two block losses and the
// per-row gradient in one pass and keeps the gradient; backward scales it.
struct FusedKL : public torch::autograd::Function<FusedKL> {
  static at::Tensor forward(AutogradContext* context, const at::Tensor& teacher, const at::Tensor& student,
                            const at::Tensor& rowWeights, int64_t split) {
    std::pair<at::Tensor, at::Tensor> result;
#ifdef CAMU_WITH_CUDA
    if (student.is_cuda()) result = SoftmaxKLCuda(teacher, student, rowWeights, split);
    else
#endif
      result = SoftmaxKLCpu(teacher, student, rowWeights, split);
    context->save_for_backward({result.second});
    context->saved_data["split"] = split;
    return result.first;
  }
  static variable_list backward(AutogradContext* context, variable_list gradOutput) {
    at::Tensor grad = ScaleBlocks(context->get_saved_variables()[0], gradOutput[0], context->saved_data["split"].toInt());
    return {at::Tensor(), grad, at::Tensor(), at::Tensor()};
  }
};

struct FusedCrossEntropy : public torch::autograd::Function<FusedCrossEntropy> {
  static at::Tensor forward(AutogradContext* context, const at::Tensor& logits, const at::Tensor& labels,
                            const at::Tensor& rowWeights, int64_t split) {
    std::pair<at::Tensor, at::Tensor> result;
#ifdef CAMU_WITH_CUDA
    if (logits.is_cuda()) result = CrossEntropyCuda(logits, labels, rowWeights, split);
    else
#endif
      result = CrossEntropyCpu(logits, labels, rowWeights, split);
    context->save_for_backward({result.second});
    context->saved_data["split"] = split;
    return result.first;
  }
  static variable_list backward(AutogradContext* context, variable_list gradOutput) {
    at::Tensor grad = ScaleBlocks(context->get_saved_variables()[0], gradOutput[0], context->saved_data["split"].toInt());
    return {grad, at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

// The reference: [sum of rows before split, sum of rows from split] of a per-row loss.
at::Tensor BlockSums(const at::Tensor& rowLoss, int64_t split) {
  return at::stack({rowLoss.narrow(0, 0, split).sum(), rowLoss.narrow(0, split, rowLoss.size(0) - split).sum()});
}

void CheckSplit(int64_t split, int64_t rows, const char* what) {
  if (split < 0 || split > rows) {
    ThrowRangeError(std::string(what) + ": split must be in [0, " + std::to_string(rows) + "], got " + std::to_string(split));
  }
}

void CheckRows(const at::Tensor& matrix, const at::Tensor& rowWeights, const char* what) {
  if (matrix.dim() != 2 || matrix.scalar_type() != at::kFloat) {
    ThrowTypeError(std::string(what) + " must be a float32 [rows, dims] tensor");
  }
  if (rowWeights.dim() != 1 || rowWeights.size(0) != matrix.size(0) || rowWeights.scalar_type() != at::kFloat) {
    ThrowRangeError(std::string(what) + ": row weights must be float32 [" + std::to_string(matrix.size(0)) + "]");
  }
  if (rowWeights.device() != matrix.device()) ThrowValueError(std::string(what) + ": tensors are on different devices");
}

}  // namespace

at::Tensor WeightedSoftmaxKL(const at::Tensor& teacher, const at::Tensor& student, const at::Tensor& rowWeights,
                             int64_t split, LossImplementation implementation) {
  CheckRows(student, rowWeights, "intervention KL: student");
  CheckRows(teacher, rowWeights, "intervention KL: teacher");
  if (teacher.sizes() != student.sizes() || teacher.device() != student.device()) {
    ThrowRangeError("intervention KL: teacher and student must have the same shape and device");
  }
  CheckSplit(split, student.size(0), "intervention KL");
  at::Tensor frozen = teacher.detach();
  if (implementation == LossImplementation::kReference) {
    at::Tensor logP = at::log_softmax(frozen, 1);
    at::Tensor logQ = at::log_softmax(student, 1);
    return BlockSums(rowWeights * (logP.exp() * (logP - logQ)).sum(1), split);
  }
  return FusedKL::apply(frozen.contiguous(), student.contiguous(), rowWeights.contiguous(), split);
}

at::Tensor WeightedCrossEntropy(const at::Tensor& logits, const at::Tensor& labels, const at::Tensor& rowWeights,
                                int64_t split, LossImplementation implementation) {
  CheckRows(logits, rowWeights, "intervention CE: logits");
  CheckSplit(split, logits.size(0), "intervention CE");
  if (labels.dim() != 1 || labels.size(0) != logits.size(0) || labels.scalar_type() != at::kLong ||
      labels.device() != logits.device()) {
    ThrowRangeError("intervention CE: labels must be int64 [" + std::to_string(logits.size(0)) + "] on the logits' device");
  }
  // Checked on CPU only: on CUDA the check would synchronise every step, and the engine's labels
  // come from validated datasets.
  if (!logits.is_cuda() && labels.numel() > 0 && (labels.min().item<int64_t>() < 0 || labels.max().item<int64_t>() >= logits.size(1))) {
    ThrowRangeError("intervention CE: labels must be in [0, " + std::to_string(logits.size(1)) + ")");
  }
  if (implementation == LossImplementation::kReference) {
    at::Tensor logP = at::log_softmax(logits, 1);
    return BlockSums(-(rowWeights * logP.gather(1, labels.unsqueeze(1)).squeeze(1)), split);
  }
  return FusedCrossEntropy::apply(logits.contiguous(), labels.contiguous(), rowWeights.contiguous(), split);
}

at::Tensor BlockWeights(int64_t first, double a, int64_t second, double b, const at::Device& device) {
  at::Tensor weights = at::empty({first + second}, at::kFloat);
  weights.narrow(0, 0, first).fill_(a);
  weights.narrow(0, first, second).fill_(b);
  return weights.to(device);
}

}  // namespace camu::kernels
