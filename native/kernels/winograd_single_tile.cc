#include "kernels/winograd_single_tile.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <vector>

#include "kernels/avx512.h"
#include "kernels/conv_autograd.h"
#include "kernels/gemm.h"

namespace camu::kernels {
namespace {

#ifdef CAMU_HAVE_AVX512_KERNELS

constexpr int64_t kSide = 4;
constexpr int64_t kTile = 6;
constexpr int64_t kPoints = kTile * kTile;
// Below 64 channels libtorch's direct convolution is cheap and this path's fixed costs are not.
constexpr int64_t kMinChannels = 64;
// Channels per block of transformed weights: 36 x 8 x 512 floats (576 KiB) at 512 channels, so a
// block stays in L2 between its transform and its 36 products.
constexpr int64_t kBlock = 8;

// Floats from one point's matrix to the next in a block of `width`-long rows: one cache line more
// than kBlock rows, so that the 36 matrices do not start a multiple of 4 KiB apart and fight over
// the same L1 sets when a 16-filter group's 36 values are written or read.
constexpr int64_t PointStride(int64_t width) { return kBlock * width + 16; }

// Winograd F(4x4, 3x3) with the points 0, +-1, +-2: image tile B^T d B, filter G g G^T, output A^T m A.
constexpr double kBt[6][6] = {{4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
                              {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
constexpr float kG[6][3] = {{1.0f / 4, 0, 0},
                            {-1.0f / 6, -1.0f / 6, -1.0f / 6},
                            {-1.0f / 6, 1.0f / 6, -1.0f / 6},
                            {1.0f / 24, 1.0f / 12, 1.0f / 6},
                            {1.0f / 24, -1.0f / 12, 1.0f / 6},
                            {0, 0, 1}};
constexpr double kAt[4][6] = {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}};

// The image-side transforms as [36, 16] matrices (row-major vec of X D Y^T is kron(X, Y) vec(D)):
// `input` maps a 4 x 4 image placed at rows and columns 1..4 of the zero-padded tile to its 36
// transformed values; `outputT` is the transpose of the map from 36 products to the 4 x 4 output.
struct ImageTransforms {
  at::Tensor input, outputT;
};

const ImageTransforms& Images() {
  static const ImageTransforms transforms = [] {
    at::Tensor input = at::zeros({kPoints, kSide * kSide}, at::kDouble);
    at::Tensor outputT = at::zeros({kPoints, kSide * kSide}, at::kDouble);
    auto in = input.accessor<double, 2>();
    auto out = outputT.accessor<double, 2>();
    for (int64_t i = 0; i < kTile; ++i) {
      for (int64_t j = 0; j < kTile; ++j) {
        for (int64_t r = 0; r < kSide; ++r) {
          for (int64_t c = 0; c < kSide; ++c) {
            in[i * kTile + j][r * kSide + c] = kBt[i][r + 1] * kBt[j][c + 1];
            out[i * kTile + j][r * kSide + c] = kAt[r][i] * kAt[c][j];
          }
        }
      }
    }
    return ImageTransforms{input.to(at::kFloat), outputT.to(at::kFloat)};
  }();
  return transforms;
}

// [36, rows, cols] from 4 x 4 images laid out [rows, cols, 4, 4], `transform` applied to each.
at::Tensor Tiles(const at::Tensor& transform, const at::Tensor& images) {
  const int64_t rows = images.size(0), cols = images.size(1);
  return at::mm(transform, images.view({rows * cols, kSide * kSide}).t()).view({kPoints, rows, cols});
}

// [N, C, 4, 4] <-> [C, N, 4, 4]: the products want the image index last.
at::Tensor SwapImagesAndChannels(const at::Tensor& x) { return x.permute({1, 0, 2, 3}).contiguous(); }

// G g G^T for 16 filters at once (g[r * 3 + c]: tap (r, c) of each); the 36 transformed values, in
// row-major tile order, go to out + t * pointStride.
CAMU_AVX512 inline void TransformFilters(const __m512 g[9], float* out, int64_t pointStride) {
  for (int i = 0; i < kTile; ++i) {
    __m512 h[3];
    for (int c = 0; c < 3; ++c) {
      h[c] = _mm512_fmadd_ps(_mm512_set1_ps(kG[i][0]), g[c],
                             _mm512_fmadd_ps(_mm512_set1_ps(kG[i][1]), g[3 + c], _mm512_mul_ps(_mm512_set1_ps(kG[i][2]), g[6 + c])));
    }
    for (int j = 0; j < kTile; ++j) {
      _mm512_storeu_ps(out + (i * kTile + j) * pointStride, _mm512_fmadd_ps(_mm512_set1_ps(kG[j][0]), h[0],
                                           _mm512_fmadd_ps(_mm512_set1_ps(kG[j][1]), h[1], _mm512_mul_ps(_mm512_set1_ps(kG[j][2]), h[2]))));
    }
  }
}

// The adjoint, G^T u G: the weight gradient's 9 taps from the 36 transformed gradients u[t].
CAMU_AVX512 inline void UntransformFilters(const __m512 u[36], __m512 g[9]) {
  __m512 k[6][3];
  for (int i = 0; i < kTile; ++i) {
    for (int c = 0; c < 3; ++c) {
      __m512 sum = _mm512_mul_ps(u[i * kTile], _mm512_set1_ps(kG[0][c]));
      for (int j = 1; j < kTile; ++j) sum = _mm512_fmadd_ps(u[i * kTile + j], _mm512_set1_ps(kG[j][c]), sum);
      k[i][c] = sum;
    }
  }
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) {
      __m512 sum = _mm512_mul_ps(k[0][c], _mm512_set1_ps(kG[0][r]));
      for (int i = 1; i < kTile; ++i) sum = _mm512_fmadd_ps(k[i][c], _mm512_set1_ps(kG[i][r]), sum);
      g[r * 3 + c] = sum;
    }
  }
}

// The 9 taps of 16 filters whose taps start `stride` floats apart, one vector per tap: copied
// through a small buffer, which ran several times faster than 9 gathers on the project's AMD CPU.
CAMU_AVX512 inline void LoadFilters(const float* taps, int64_t stride, __m512 g[9]) {
  alignas(64) float byTap[9][16];
  for (int l = 0; l < 16; ++l) {
    for (int j = 0; j < 9; ++j) byTap[j][l] = taps[l * stride + j];
  }
  for (int j = 0; j < 9; ++j) g[j] = _mm512_load_ps(byTap[j]);
}

// Transformed weights of output channels o0 .. o0+kBlock-1: 36 matrices [kBlock][C] (the forward).
CAMU_AVX512 void OutputChannelBlock(const float* weight, int64_t channels, int64_t o0, float* block) {
  for (int64_t ol = 0; ol < kBlock; ++ol) {
    for (int64_t c0 = 0; c0 < channels; c0 += 16) {
      __m512 g[9];
      LoadFilters(weight + ((o0 + ol) * channels + c0) * 9, 9, g);
      TransformFilters(g, block + ol * channels + c0, PointStride(channels));
    }
  }
}

// Transformed weights of input channels c0 .. c0+kBlock-1: 36 matrices [kBlock][O] (the input gradient).
CAMU_AVX512 void InputChannelBlock(const float* weight, int64_t channels, int64_t outputs, int64_t c0, float* block) {
  for (int64_t cl = 0; cl < kBlock; ++cl) {
    for (int64_t o0 = 0; o0 < outputs; o0 += 16) {
      __m512 g[9];
      LoadFilters(weight + (o0 * channels + c0 + cl) * 9, channels * 9, g);
      TransformFilters(g, block + cl * outputs + o0, PointStride(outputs));
    }
  }
}

// Weight gradient of output channels o0 .. from their transformed gradients: 36 matrices [kBlock][C].
CAMU_AVX512 void StoreWeightGradientBlock(const float* block, int64_t channels, int64_t o0, float* gradWeight) {
  for (int64_t ol = 0; ol < kBlock; ++ol) {
    for (int64_t c0 = 0; c0 < channels; c0 += 16) {
      __m512 u[kPoints];
      for (int t = 0; t < kPoints; ++t) u[t] = _mm512_loadu_ps(block + t * PointStride(channels) + ol * channels + c0);
      __m512 g[9];
      UntransformFilters(u, g);
      alignas(64) float byTap[9][16];
      for (int j = 0; j < 9; ++j) _mm512_store_ps(byTap[j], g[j]);
      float* taps = gradWeight + ((o0 + ol) * channels + c0) * 9;  // 16 filters' taps, contiguous
      for (int l = 0; l < 16; ++l) {
        for (int j = 0; j < 9; ++j) taps[l * 9 + j] = byTap[j][l];
      }
    }
  }
}

// work(first channel of the block, buffer of `blockFloats`) for each block of kBlock channels on
// libtorch's threads; the buffer holds the block's transformed weights or gradients. Each thread
// takes the next block when it finishes one, so that a thread on a slower core does fewer.
template <typename Work>
void ForEachBlock(int64_t channels, int64_t blockFloats, const Work& work) {
  const int64_t blocks = channels / kBlock;
  std::atomic<int64_t> next{0};
  at::parallel_for(0, std::min<int64_t>(blocks, at::get_num_threads()), 1, [&](int64_t, int64_t) {
    at::Tensor buffer = at::empty({blockFloats}, at::kFloat);
    for (int64_t b = next++; b < blocks; b = next++) work(b * kBlock, buffer.data_ptr<float>());
  });
}

// C [rows, cols] = A [rows, depth] x B [depth, cols], row-major with the given row strides.
void Product(int64_t rows, int64_t cols, int64_t depth, const float* a, int64_t lda, const float* b, int64_t ldb,
             float* c, int64_t ldc) {
  gemm::Gemm<8, 2, true>(rows, cols, depth, a, lda, b, ldb, c, ldc);
}

// Images per pass through the blocks: each block's 36 products read the images' transformed tiles
// (C x images floats per point), which stay in cache at 32 images (64 KiB per point at 512
// channels) and not at an evaluation batch of 240, where the forward pass ran slower than
// libtorch's (92 against 87 ms per call) until it went 32 images at a time.
constexpr int64_t kImages = 32;

// Both contiguous; returns [N, O, 4, 4].
at::Tensor ForwardImages(const at::Tensor& input, const at::Tensor& weight) {
  const int64_t n = input.size(0), c = input.size(1), o = weight.size(0);
  const at::Tensor tilesT = Tiles(Images().input, SwapImagesAndChannels(input));  // [36, C, N]
  at::Tensor productsT = at::empty({kPoints, o, n}, input.options());            // [36, O, N]
  const float* w = weight.data_ptr<float>();
  const float* v = tilesT.data_ptr<float>();
  float* m = productsT.data_ptr<float>();
  ForEachBlock(o, kPoints * PointStride(c), [&](int64_t o0, float* block) {
    OutputChannelBlock(w, c, o0, block);
    for (int64_t t = 0; t < kPoints; ++t) {
      Product(kBlock, n, c, block + t * PointStride(c), c, v + t * c * n, n, m + (t * o + o0) * n, n);
    }
  });
  const at::Tensor output = at::mm(productsT.view({kPoints, o * n}).t(), Images().outputT);
  return SwapImagesAndChannels(output.view({o, n, kSide, kSide}));
}

// visit(first image, count) for `images` images, kImages at a time.
template <typename Visit>
void ForEachChunk(int64_t images, const Visit& visit) {
  for (int64_t start = 0; start < images; start += kImages) visit(start, std::min(kImages, images - start));
}

// The chunks' results along the image dimension (no copy for one chunk).
at::Tensor Joined(const std::vector<at::Tensor>& parts) { return parts.size() == 1 ? parts[0] : at::cat(parts); }

at::Tensor Forward(const at::Tensor& input, const at::Tensor& weight) {
  std::vector<at::Tensor> outputs;
  ForEachChunk(input.size(0), [&](int64_t start, int64_t rows) {
    outputs.push_back(ForwardImages(input.narrow(0, start, rows), weight));
  });
  return Joined(outputs);
}

// The input gradient of a chunk of images from their transformed output gradient [36, O, N].
at::Tensor InputGradientImages(const at::Tensor& gradProductsT, const at::Tensor& weight) {
  const int64_t n = gradProductsT.size(2), c = weight.size(1), o = weight.size(0);
  at::Tensor gradTilesT = at::empty({kPoints, c, n}, gradProductsT.options());  // [36, C, N]
  const float* dm = gradProductsT.data_ptr<float>();
  const float* w = weight.data_ptr<float>();
  float* dv = gradTilesT.data_ptr<float>();
  ForEachBlock(c, kPoints * PointStride(o), [&](int64_t c0, float* block) {
    InputChannelBlock(w, c, o, c0, block);
    for (int64_t t = 0; t < kPoints; ++t) {
      Product(kBlock, n, o, block + t * PointStride(o), o, dm + t * o * n, n, dv + (t * c + c0) * n, n);
    }
  });
  const at::Tensor gradImages = at::mm(gradTilesT.view({kPoints, c * n}).t(), Images().input);
  return SwapImagesAndChannels(gradImages.view({c, n, kSide, kSide}));
}

// The weight gradient from a chunk of images (contiguous) and their transformed output gradient.
at::Tensor WeightGradientImages(const at::Tensor& gradProductsT, const at::Tensor& input) {
  const int64_t n = input.size(0), c = input.size(1), o = gradProductsT.size(1);
  const at::Tensor tiles = Tiles(Images().input, input);  // [36, N, C]
  at::Tensor gradWeight = at::empty({o, c, 3, 3}, input.options());
  const float* dm = gradProductsT.data_ptr<float>();
  const float* v = tiles.data_ptr<float>();
  float* dw = gradWeight.data_ptr<float>();
  ForEachBlock(o, kPoints * PointStride(c), [&](int64_t o0, float* block) {
    for (int64_t t = 0; t < kPoints; ++t) {
      Product(kBlock, c, n, dm + (t * o + o0) * n, n, v + t * n * c, c, block + t * PointStride(c), c);
    }
    StoreWeightGradientBlock(block, c, o0, dw);
  });
  return gradWeight;
}

// Chunk by chunk: the input gradients joined, the weight gradients summed.
std::pair<at::Tensor, at::Tensor> Backward(const at::Tensor& gradOutput, const at::Tensor& input,
                                           const at::Tensor& weight, bool inputGrad, bool weightGrad) {
  std::vector<at::Tensor> gradInputs;
  at::Tensor gradWeight;
  ForEachChunk(input.size(0), [&](int64_t start, int64_t rows) {
    const at::Tensor gradProductsT = Tiles(Images().outputT, SwapImagesAndChannels(gradOutput.narrow(0, start, rows)));
    if (inputGrad) gradInputs.push_back(InputGradientImages(gradProductsT, weight));
    if (weightGrad) {
      at::Tensor part = WeightGradientImages(gradProductsT, input.narrow(0, start, rows));
      gradWeight = gradWeight.defined() ? gradWeight.add_(part) : part;
    }
  });
  return {inputGrad ? Joined(gradInputs) : at::Tensor(), gradWeight};
}

struct SingleTilePath {
  static constexpr auto kForward = Forward;
  static constexpr auto kBackward = Backward;
};

#endif  // CAMU_HAVE_AVX512_KERNELS

}  // namespace

bool SingleTileWinogradAccepts(const at::Tensor& input, const at::Tensor& weight) {
#ifdef CAMU_HAVE_AVX512_KERNELS
  return Avx512KernelSet() != nullptr && input.device().is_cpu() && !input.is_mkldnn() &&
         input.scalar_type() == at::kFloat && weight.scalar_type() == at::kFloat && input.dim() == 4 &&
         weight.dim() == 4 && weight.size(2) == 3 && weight.size(3) == 3 && input.size(1) == weight.size(1) &&
         input.size(2) == kSide && input.size(3) == kSide && input.size(0) > 0 && input.size(1) >= kMinChannels &&
         weight.size(0) >= kMinChannels && input.size(1) % 16 == 0 && weight.size(0) % 16 == 0;
#else
  (void)input;
  (void)weight;
  return false;
#endif
}

at::Tensor SingleTileWinogradConv3x3(const at::Tensor& input, const at::Tensor& weight) {
#ifdef CAMU_HAVE_AVX512_KERNELS
  if (SingleTileWinogradAccepts(input, weight)) {
    return ConvFunction<SingleTilePath>::apply(input.contiguous(), weight.contiguous());
  }
#endif
  return at::conv2d(input, weight, {}, {1, 1}, {1, 1});
}

}  // namespace camu::kernels
