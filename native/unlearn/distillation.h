// Hinton-style distillation KL with a temperature, shared by the teacher-student baselines
// (scrub.cc, bad_teacher.cc). Their other shared pieces are in building_blocks.h.
#pragma once
#include <ATen/ATen.h>

namespace camu::unlearn {

// Per row: KL(softmax(teacher/T) ‖ softmax(student/T)) · T², float [N]. The T² keeps the
// gradient's scale independent of T (Hinton et al., "Distilling the Knowledge in a Neural
// Network", 2015), as SCRUB and Bad Teaching both scale it. Gradients flow into `student` only
// when `teacher` is detached (the callers' teachers are frozen).
at::Tensor DistillationKLPerRow(const at::Tensor& teacherLogits, const at::Tensor& studentLogits, double temperature);

// The mean over rows of DistillationKLPerRow (KLDivLoss's 'batchmean'); 0 for an empty batch.
at::Tensor DistillationKL(const at::Tensor& teacherLogits, const at::Tensor& studentLogits, double temperature);

}  // namespace camu::unlearn
