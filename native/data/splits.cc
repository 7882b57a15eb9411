#include "data/splits.h"

#include <cmath>

#include "core/errors.h"

namespace camu::data {

namespace {

const at::TensorOptions kIndexOptions = at::TensorOptions().dtype(at::kLong);

[[noreturn]] void Fail(const IndexSource& source, const std::string& message) {
  if (source.file) throw Error(codes::kFormat, source.name + ": " + message);
  ThrowRangeError(source.name + ": " + message);
}

// Every train index not in `forget`, ascending.
at::Tensor Complement(int64_t trainSize, const at::Tensor& forget) {
  at::Tensor keep = at::ones({trainSize}, at::TensorOptions().dtype(at::kBool));
  keep.index_fill_(0, forget, false);
  return keep.nonzero().squeeze(1);
}

// D_s: `size` indices of `retain`, uniform without replacement, in the order drawn.
at::Tensor DrawSampleSet(const at::Tensor& retain, int64_t size, at::Generator& generator, const std::string& context) {
  if (size > retain.size(0)) {
    ThrowRangeError(context + ": the sample set needs " + std::to_string(size) +
                    " samples (|D_f| x forgetRepeat) drawn without replacement from the retain set, which has only " +
                    std::to_string(retain.size(0)));
  }
  at::Tensor order = at::randperm(retain.size(0), generator, kIndexOptions).narrow(0, 0, size);
  return retain.index_select(0, order);
}

SplitIndices Finish(int64_t trainSize, at::Tensor forget, int64_t forgetRepeat, at::Generator& generator,
                    const std::string& context) {
  if (forget.numel() == 0) ThrowRangeError(context + ": the forget set is empty");
  SplitIndices split;
  split.forget = std::move(forget);
  split.retain = Complement(trainSize, split.forget);
  split.sample = DrawSampleSet(split.retain, split.forget.size(0) * forgetRepeat, generator, context);
  return split;
}

// Integer indices as int64; rejects non-integers and values outside [0, trainSize).
at::Tensor CheckedIndices(const at::Tensor& input, int64_t trainSize, const IndexSource& source) {
  if (input.dim() != 1) Fail(source, "indices must be a flat list");
  at::Tensor indices;
  if (c10::isFloatingType(input.scalar_type())) {
    at::Tensor bad = (input != input.floor()).logical_or_(input.isnan()).nonzero();
    if (bad.numel() > 0) {
      int64_t pos = bad[0][0].item<int64_t>();
      Fail(source, "entry " + std::to_string(pos) + " is not an integer (" + std::to_string(input[pos].item<double>()) + ")");
    }
    // Values beyond int64 would not survive the conversion; they are out of range anyway.
    at::Tensor huge = (input.abs() > 9.0e15).nonzero();
    if (huge.numel() > 0) {
      int64_t pos = huge[0][0].item<int64_t>();
      Fail(source, "entry " + std::to_string(pos) + " is out of range [0, " + std::to_string(trainSize) + ")");
    }
    indices = input.to(at::kLong);
  } else if (input.scalar_type() == at::kLong || input.scalar_type() == at::kInt) {
    indices = input.to(at::kLong);
  } else {
    Fail(source, std::string("indices must be integers, got ") + at::toString(input.scalar_type()));
  }
  at::Tensor outside = (indices < 0).logical_or_(indices >= trainSize).nonzero();
  if (outside.numel() > 0) {
    int64_t pos = outside[0][0].item<int64_t>();
    Fail(source, "entry " + std::to_string(pos) + " (" + std::to_string(indices[pos].item<int64_t>()) +
                     ") is out of range [0, " + std::to_string(trainSize) + ")");
  }
  at::Tensor counts = at::bincount(indices, {}, trainSize);
  at::Tensor repeated = (counts > 1).nonzero();
  if (repeated.numel() > 0) {
    int64_t value = repeated[0][0].item<int64_t>();
    at::Tensor positions = (indices == value).nonzero();
    Fail(source, "index " + std::to_string(value) + " appears more than once (entries " +
                     std::to_string(positions[0][0].item<int64_t>()) + " and " +
                     std::to_string(positions[1][0].item<int64_t>()) + ")");
  }
  return indices.contiguous();
}

}  // namespace

SplitIndices ClassRemovalSplit(const at::Tensor& labels, int64_t numClasses, const std::vector<int64_t>& classes,
                               const std::vector<double>& proportions, int64_t forgetRepeat, at::Generator& generator,
                               const std::string& context) {
  if (classes.empty()) ThrowRangeError(context + ": classes is empty");
  if (proportions.size() != classes.size()) {
    ThrowRangeError(context + ": proportions has " + std::to_string(proportions.size()) + " entries for " +
                    std::to_string(classes.size()) + " classes");
  }
  at::Tensor counts = at::bincount(labels, {}, numClasses);
  std::vector<bool> seen(static_cast<size_t>(numClasses), false);
  std::vector<at::Tensor> parts;
  for (size_t i = 0; i < classes.size(); ++i) {
    int64_t cls = classes[i];
    double proportion = proportions[i];
    std::string where = context + ": classes[" + std::to_string(i) + "]";
    if (cls < 0 || cls >= numClasses) {
      ThrowRangeError(where + " = " + std::to_string(cls) + " is not a class of the data (classes 0.." +
                      std::to_string(numClasses - 1) + ")");
    }
    if (seen[cls]) ThrowRangeError(where + " = " + std::to_string(cls) + " is listed twice");
    seen[cls] = true;
    if (!(proportion >= 0.0 && proportion <= 1.0)) {
      ThrowRangeError(context + ": proportions[" + std::to_string(i) + "] must be in [0, 1], got " +
                      std::to_string(proportion));
    }
    int64_t available = counts[cls].item<int64_t>();
    if (proportion == 0.0) continue;
    if (available == 0) ThrowRangeError(where + " = " + std::to_string(cls) + " has no samples in the data");
    at::Tensor members = (labels == cls).nonzero().squeeze(1);
    int64_t take = proportion == 1.0 ? available : std::llround(proportion * static_cast<double>(available));
    if (take == available) {
      parts.push_back(members);
    } else if (take > 0) {
      parts.push_back(members.index_select(0, at::randperm(available, generator, kIndexOptions).narrow(0, 0, take)));
    }
  }
  at::Tensor forget = parts.empty() ? at::empty({0}, kIndexOptions) : std::get<0>(at::cat(parts).sort());
  return Finish(labels.size(0), forget, forgetRepeat, generator, context);
}

SplitIndices RandomRemovalSplit(int64_t trainSize, int64_t count, int64_t forgetRepeat, at::Generator& generator,
                                const std::string& context) {
  if (count < 1 || count >= trainSize) {
    ThrowRangeError(context + ": removing " + std::to_string(count) + " of " + std::to_string(trainSize) +
                    " samples leaves no forget or no retain set");
  }
  at::Tensor forget = std::get<0>(at::randperm(trainSize, generator, kIndexOptions).narrow(0, 0, count).sort());
  return Finish(trainSize, forget, forgetRepeat, generator, context);
}

SplitIndices IndexSplit(int64_t trainSize, const at::Tensor& forget, const std::optional<at::Tensor>& sample,
                        int64_t forgetRepeat, at::Generator& generator, const IndexSource& forgetSource,
                        const IndexSource& sampleSource) {
  if (forget.numel() == 0) Fail(forgetSource, "the forget set is empty");
  at::Tensor forgetIndices = std::get<0>(CheckedIndices(forget, trainSize, forgetSource).sort());
  if (forgetIndices.size(0) >= trainSize) Fail(forgetSource, "the forget set holds every train sample");
  if (!sample) return Finish(trainSize, forgetIndices, forgetRepeat, generator, forgetSource.name);

  at::Tensor sampleIndices = CheckedIndices(*sample, trainSize, sampleSource);
  int64_t expected = forgetIndices.size(0) * forgetRepeat;
  if (sampleIndices.size(0) != expected) {
    Fail(sampleSource, "the sample set has " + std::to_string(sampleIndices.size(0)) + " indices; it must have " +
                           std::to_string(expected) + " (|D_f| x forgetRepeat)");
  }
  at::Tensor inForget = at::zeros({trainSize}, at::TensorOptions().dtype(at::kBool));
  inForget.index_fill_(0, forgetIndices, true);
  at::Tensor overlap = inForget.index_select(0, sampleIndices).nonzero();
  if (overlap.numel() > 0) {
    int64_t pos = overlap[0][0].item<int64_t>();
    Fail(sampleSource, "entry " + std::to_string(pos) + " (" + std::to_string(sampleIndices[pos].item<int64_t>()) +
                           ") is in the forget set; the sample set must come from the retain set");
  }
  SplitIndices split;
  split.forget = forgetIndices;
  split.retain = Complement(trainSize, forgetIndices);
  split.sample = sampleIndices;
  return split;
}

}  // namespace camu::data
