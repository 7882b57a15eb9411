// Validation of the tensors metrics read: other code (batched inference) produces them, so every
// metric checks shape, dtype and values itself and names the argument ("mia.loss: forgetLosses")
// in TypeError / RangeError messages. Each check returns a contiguous CPU copy in the dtype the
// metric computes in.
#pragma once
#include <ATen/ATen.h>

#include <string>

namespace camu::metrics {

// "float32 [3, 4]" for messages.
std::string DescribeTensor(const at::Tensor& tensor);

// Softmax outputs: float32/float64 [rows, classes], classes >= 2, finite, non-negative, each row
// summing to 1 within 1e-3 (catches logits passed by mistake). Returns float64.
at::Tensor ProbabilityRows(const at::Tensor& probabilities, const std::string& name);

// Class indices: int64/int32 [rows] (rows < 0: any length), each in [0, classes) (classes <= 0:
// only >= 0 is checked). Returns int64.
at::Tensor ClassIndices(const at::Tensor& indices, const std::string& name, int64_t rows, int64_t classes);

// Per-sample values (losses): float32/float64 [rows], finite. Returns float64.
at::Tensor SampleValues(const at::Tensor& values, const std::string& name);

// A row mask: uint8 or bool [rows], non-zero selects the row. Returns bool.
at::Tensor RowMask(const at::Tensor& mask, const std::string& name, int64_t rows);

// RangeError unless `tensor` (rows first) has at least `minimum` rows; `why` completes the message.
void CheckMinRows(const at::Tensor& tensor, const std::string& name, int64_t minimum, const std::string& why);

}  // namespace camu::metrics
