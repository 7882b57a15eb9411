// A fixed sample of a set, for measuring a model's accuracy during an unlearning run (the
// retained-accuracy guard on D_r, the forget stop on D_f). The samples are evenly spaced over the
// set, so every class of a class removal is in a D_r probe and no random draw is taken from
// anything the method uses; measuring runs in eval mode without autograd and restores the mode.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>

#include "core/job_context.h"
#include "data/dataset.h"
#include "models/model.h"

namespace camu::unlearn {

class Probe {
 public:
  Probe() = default;
  // At most `size` of `indices` (train indices), evenly spaced.
  Probe(const data::DatasetView& train, const at::Tensor& indices, int64_t size);

  int64_t Size() const { return indices_.defined() ? indices_.numel() : 0; }
  // The model's accuracy (%) on the probe.
  double Accuracy(models::Model& model, const JobContext& context) const;

 private:
  data::DatasetView train_;
  at::Tensor indices_;
};

}  // namespace camu::unlearn
