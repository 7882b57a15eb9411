#include "data/transforms.h"

#include <cmath>

#include "core/errors.h"

namespace camu::data {

namespace {

constexpr int64_t kResizeSide = 224;
constexpr int64_t kCropPadding = 4;
// RandomResizedCrop's defaults: area fraction and aspect-ratio range, tries before the fallback.
constexpr double kMinScale = 0.08, kMaxScale = 1.0;
constexpr double kMinRatio = 3.0 / 4.0, kMaxRatio = 4.0 / 3.0;
constexpr int kCropTries = 10;

// Geometry needs N×C×H×W; without it any [N, ...] batch (e.g. flat features for the MLP) passes.
void CheckBatch(const at::Tensor& batch, Geometry geometry) {
  if (batch.dim() != 4 && (geometry != Geometry::kNone || batch.dim() < 2)) {
    ThrowRangeError("a batch of images must be N×C×H×W, got " + std::to_string(batch.dim()) + " dimensions");
  }
  if (batch.scalar_type() != at::kByte && batch.scalar_type() != at::kFloat) {
    ThrowTypeError(std::string("images must be uint8 or float32, got ") + at::toString(batch.scalar_type()));
  }
}

at::Tensor Scaled(const at::Tensor& batch) {
  return batch.scalar_type() == at::kByte ? batch.to(at::kFloat).div_(255.0) : batch;
}

// The image after Resize(224) (shorter side to 224, torchvision's integer rounding).
std::pair<int64_t, int64_t> ResizedSize(int64_t height, int64_t width) {
  if (height <= width) return {kResizeSide, static_cast<int64_t>(kResizeSide * width / height)};
  return {static_cast<int64_t>(kResizeSide * height / width), kResizeSide};
}

// A crop box in the resized image's pixel coordinates, and whether to mirror it.
struct CropBox {
  double top, left, height, width;
  bool flip;
};

// One affine row pair per sample mapping the 224×224 output grid onto the box, in the normalised
// coordinates of the stored image (align_corners = false: ±1 are the outer pixel edges).
at::Tensor SampleBoxes(const at::Tensor& scaled, const std::vector<CropBox>& boxes, int64_t resizedH,
                       int64_t resizedW) {
  int64_t n = scaled.size(0);
  at::Tensor theta = at::zeros({n, 2, 3}, at::TensorOptions().dtype(at::kFloat));
  auto t = theta.accessor<float, 3>();
  for (int64_t i = 0; i < n; ++i) {
    const CropBox& box = boxes[i];
    // The resized image spans the same [-1, 1] range as the stored one, so the box converts
    // with the resized size alone.
    t[i][0][0] = static_cast<float>((box.flip ? -1.0 : 1.0) * box.width / resizedW);
    t[i][0][2] = static_cast<float>((2.0 * box.left + box.width) / resizedW - 1.0);
    t[i][1][1] = static_cast<float>(box.height / resizedH);
    t[i][1][2] = static_cast<float>((2.0 * box.top + box.height) / resizedH - 1.0);
  }
  theta = theta.to(scaled.device());
  at::Tensor grid = at::affine_grid_generator(theta, {n, scaled.size(1), kResizeSide, kResizeSide}, false);
  return at::grid_sampler(scaled.contiguous(), grid, /*bilinear*/ 0, /*border*/ 1, false);
}

at::Tensor ResizeCentreCrop(const at::Tensor& scaled) {
  auto [resizedH, resizedW] = ResizedSize(scaled.size(2), scaled.size(3));
  CropBox box{std::round((resizedH - kResizeSide) / 2.0), std::round((resizedW - kResizeSide) / 2.0),
              static_cast<double>(kResizeSide), static_cast<double>(kResizeSide), false};
  return SampleBoxes(scaled, std::vector<CropBox>(scaled.size(0), box), resizedH, resizedW);
}

at::Tensor ResizeRandomResizedCrop(const at::Tensor& scaled, at::Generator& generator) {
  int64_t n = scaled.size(0);
  auto [height, width] = ResizedSize(scaled.size(2), scaled.size(3));
  auto options = at::TensorOptions().dtype(at::kDouble);
  // Per sample: kCropTries (area, log-ratio) pairs, then (top, left, flip) uniforms.
  at::Tensor tries = at::rand({n, kCropTries, 2}, generator, options);
  at::Tensor places = at::rand({n, 3}, generator, options);
  auto u = tries.accessor<double, 3>();
  auto v = places.accessor<double, 2>();
  const double area = static_cast<double>(height * width);
  const double logMin = std::log(kMinRatio), logMax = std::log(kMaxRatio);
  std::vector<CropBox> boxes(n);
  for (int64_t i = 0; i < n; ++i) {
    int64_t h = 0, w = 0;
    bool found = false;
    for (int k = 0; k < kCropTries && !found; ++k) {
      double targetArea = area * (kMinScale + (kMaxScale - kMinScale) * u[i][k][0]);
      double ratio = std::exp(logMin + (logMax - logMin) * u[i][k][1]);
      w = std::llround(std::sqrt(targetArea * ratio));
      h = std::llround(std::sqrt(targetArea / ratio));
      found = w > 0 && w <= width && h > 0 && h <= height;
    }
    if (!found) {  // fallback: the whole image, its aspect ratio clamped to the range
      double inRatio = static_cast<double>(width) / height;
      if (inRatio < kMinRatio) {
        w = width;
        h = std::llround(w / kMinRatio);
      } else if (inRatio > kMaxRatio) {
        h = height;
        w = std::llround(h * kMaxRatio);
      } else {
        w = width;
        h = height;
      }
    }
    // Uniform integer offsets in [0, height - h] and [0, width - w].
    int64_t top = std::min<int64_t>(static_cast<int64_t>(v[i][0] * (height - h + 1)), height - h);
    int64_t left = std::min<int64_t>(static_cast<int64_t>(v[i][1] * (width - w + 1)), width - w);
    if (!found) {
      top = (height - h) / 2;
      left = (width - w) / 2;
    }
    boxes[i] = {static_cast<double>(top), static_cast<double>(left), static_cast<double>(h), static_cast<double>(w),
                v[i][2] < 0.5};
  }
  return SampleBoxes(scaled, boxes, height, width);
}

at::Tensor PadRandomCropFlip(const at::Tensor& scaled, at::Generator& generator) {
  int64_t n = scaled.size(0), height = scaled.size(2), width = scaled.size(3);
  at::Tensor padded = at::constant_pad_nd(scaled, {kCropPadding, kCropPadding, kCropPadding, kCropPadding}, 0);
  at::Tensor offsets = at::randint(2 * kCropPadding + 1, {n, 2}, generator, at::TensorOptions().dtype(at::kLong));
  at::Tensor flips = at::rand({n}, generator, at::TensorOptions().dtype(at::kDouble));
  auto offset = offsets.accessor<int64_t, 2>();
  auto flip = flips.accessor<double, 1>();
  at::Tensor out = at::empty_like(scaled, at::MemoryFormat::Contiguous);
  for (int64_t i = 0; i < n; ++i) {
    at::Tensor crop = padded[i].narrow(1, offset[i][0], height).narrow(2, offset[i][1], width);
    out[i].copy_(flip[i] < 0.5 ? crop.flip({2}) : crop);
  }
  return out;
}

}  // namespace

at::Tensor ToNetworkInput(const at::Tensor& batch, const InputSpec& spec) {
  at::Tensor input;
  if (batch.scalar_type() == at::kByte) {
    input = batch.to(at::kFloat).div_(255.0);
  } else if (batch.scalar_type() == at::kFloat) {
    input = batch;
  } else {
    ThrowTypeError(std::string("images must be uint8 or float32, got ") + at::toString(batch.scalar_type()));
  }
  if (spec.mean.empty()) return input;
  if (batch.dim() != 4 || static_cast<int64_t>(spec.mean.size()) != batch.size(1) ||
      spec.std.size() != spec.mean.size()) {
    ThrowRangeError("normalisation needs one mean and one std per channel of an N×C×H×W batch");
  }
  auto options = at::TensorOptions().dtype(at::kFloat).device(input.device());
  at::Tensor mean = at::tensor(std::vector<float>(spec.mean.begin(), spec.mean.end()), options).view({1, -1, 1, 1});
  at::Tensor std = at::tensor(std::vector<float>(spec.std.begin(), spec.std.end()), options).view({1, -1, 1, 1});
  return (input - mean) / std;
}

const char* GeometryName(Geometry geometry) {
  switch (geometry) {
    case Geometry::kNone: return "none";
    case Geometry::kResize224: return "resize-224";
    case Geometry::kPadCrop32: return "pad-crop-32";
  }
  return "none";
}

Geometry GeometryFromName(const std::string& name, const std::string& argName) {
  for (Geometry geometry : {Geometry::kNone, Geometry::kResize224, Geometry::kPadCrop32}) {
    if (name == GeometryName(geometry)) return geometry;
  }
  ThrowRangeError(argName + " must be one of 'none', 'resize-224', 'pad-crop-32', got '" + name + "'");
}

std::vector<int64_t> TransformedSampleShape(const Transform& transform, at::IntArrayRef sampleShape) {
  std::vector<int64_t> shape(sampleShape.begin(), sampleShape.end());
  if (transform.geometry == Geometry::kResize224 && shape.size() == 3) {
    shape[1] = kResizeSide;
    shape[2] = kResizeSide;
  }
  return shape;
}

at::Tensor TrainingInput(const at::Tensor& batch, const Transform& transform, at::Generator& generator) {
  CheckBatch(batch, transform.geometry);
  switch (transform.geometry) {
    case Geometry::kNone: return ToNetworkInput(batch, transform.input);
    case Geometry::kResize224:
      return ToNetworkInput(ResizeRandomResizedCrop(Scaled(batch), generator), transform.input);
    case Geometry::kPadCrop32: return ToNetworkInput(PadRandomCropFlip(Scaled(batch), generator), transform.input);
  }
  return ToNetworkInput(batch, transform.input);
}

at::Tensor EvaluationInput(const at::Tensor& batch, const Transform& transform) {
  CheckBatch(batch, transform.geometry);
  if (transform.geometry == Geometry::kResize224) {
    return ToNetworkInput(ResizeCentreCrop(Scaled(batch)), transform.input);
  }
  return ToNetworkInput(batch, transform.input);
}

}  // namespace camu::data
