#include "kernels/winograd_conv.h"

#include <ATen/Parallel.h>

#include <cstdlib>
#include <string>

#include "core/errors.h"
#include "kernels/avx512.h"
#include "kernels/conv_autograd.h"
#include "kernels/winograd_single_tile.h"

#ifdef CAMU_WITH_ONEDNN
#include <dnnl.hpp>

#include <algorithm>
#include <new>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

#include <sys/mman.h>
#endif

namespace camu::kernels {
namespace {

at::Tensor Reference(const at::Tensor& input, const at::Tensor& weight) {
  return at::conv2d(input, weight, {}, {1, 1}, {1, 1});
}

#ifdef CAMU_WITH_ONEDNN
using dnnl::memory;
using Tag = memory::format_tag;

// Images per oneDNN call. The transformed input and output of a call take 2.25x the activations'
// size each in the scratchpad (6x6 tiles per 4x4 outputs): a 256-image evaluation batch of 64
// channels at 32 px would need 290 MiB in one call. 32 is also the training batch, so evaluation
// runs the same primitives on buffers of the same sizes.
constexpr int64_t kChunk = 32;

dnnl::engine& Engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& Stream() {
  thread_local dnnl::stream stream(Engine());
  return stream;
}

using Shape = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t>;  // images, in, out, height, width

memory::desc Plain(const memory::dims& dims, Tag tag) { return memory::desc(dims, memory::data_type::f32, tag); }

// The three primitives of one shape. Made together, so that a shape oneDNN's Winograd kernels do
// not take is known before its forward pass (KernelsFor).
struct Kernels {
  explicit Kernels(const Shape& shape) {
    const auto [n, c, o, h, w] = shape;
    const memory::dims src = {n, c, h, w}, dst = {n, o, h, w}, weights = {o, c, 3, 3};
    const memory::dims unit = {1, 1};
    const auto algorithm = dnnl::algorithm::convolution_winograd;
    // Scratchpads are passed in per call (Workspaces below) instead of living with each cached
    // primitive, so a shape seen once does not hold its buffers for the process.
    dnnl::primitive_attr attributes;
    attributes.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    forwardPd = dnnl::convolution_forward::primitive_desc(
        dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, algorithm, Any(src), Any(weights), Any(dst),
                                        unit, unit, unit),
        attributes, Engine());
    dataPd = dnnl::convolution_backward_data::primitive_desc(
        dnnl::convolution_backward_data::desc(algorithm, Any(src), Any(weights), Any(dst), unit, unit, unit),
        attributes, Engine(), forwardPd);
    weightsPd = dnnl::convolution_backward_weights::primitive_desc(
        dnnl::convolution_backward_weights::desc(algorithm, Any(src), Any(weights), Any(dst), unit, unit, unit),
        attributes, Engine(), forwardPd);
    forward = dnnl::convolution_forward(forwardPd);
    data = dnnl::convolution_backward_data(dataPd);
    weightGrad = dnnl::convolution_backward_weights(weightsPd);
  }

  static memory::desc Any(const memory::dims& dims) { return Plain(dims, Tag::any); }

  dnnl::convolution_forward::primitive_desc forwardPd;
  dnnl::convolution_backward_data::primitive_desc dataPd;
  dnnl::convolution_backward_weights::primitive_desc weightsPd;
  dnnl::convolution_forward forward;
  dnnl::convolution_backward_data data;
  dnnl::convolution_backward_weights weightGrad;
};

// Primitives per shape, shared by all threads (oneDNN primitives with user scratchpads may run
// concurrently). Creating one JIT-compiles its kernel, so they are kept; a run sees a handful of
// shapes (its batch sizes times the network's stages). nullptr for a shape oneDNN has no Winograd
// kernel for (remembered too), which then runs on libtorch's convolution.
std::shared_ptr<Kernels> KernelsFor(const Shape& shape) {
  static std::mutex mutex;
  static std::map<Shape, std::shared_ptr<Kernels>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto found = cache.find(shape);
  if (found != cache.end()) return found->second;
  std::shared_ptr<Kernels> kernels;
  try {
    kernels = std::make_shared<Kernels>(shape);
  } catch (const dnnl::error&) {
  }
  cache.emplace(shape, kernels);
  return kernels;
}

// Blocks for the calls' temporary buffers (layout copies, scratchpads): one per call running at
// the time, kept for the next call and replaced by a larger one when a call needs more. They are
// mapped here rather than taken from libtorch's allocator: the caching allocator (core/memory.cc)
// would keep every outgrown size cached beside the next (a ResNet-18-cifar run grows it several
// times in its first steps), and glibc's heap would keep them too (camu raises its trim threshold).
class Workspaces {
 public:
  struct Block {
    void* data = nullptr;
    size_t size = 0;
  };

  static Workspaces& Instance() {
    static Workspaces* workspaces = new Workspaces();  // never destroyed: calls may run at exit
    return *workspaces;
  }

  Block Take(size_t bytes) {
    Block block;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!idle_.empty()) {
        block = idle_.back();
        idle_.pop_back();
      }
    }
    if (block.size < bytes) {
      if (block.data != nullptr) munmap(block.data, block.size);
      block.size = (bytes + kPage - 1) / kPage * kPage;
      block.data = mmap(nullptr, block.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (block.data == MAP_FAILED) throw std::bad_alloc();
    }
    return block;
  }

  void Return(Block block) {
    std::lock_guard<std::mutex> lock(mutex_);
    idle_.push_back(block);
  }

 private:
  static constexpr size_t kPage = size_t(2) << 20;
  std::mutex mutex_;
  std::vector<Block> idle_;
};

// One call's temporary buffers, carved from a workspace block.
class Arena {
 public:
  explicit Arena(size_t bytes) : block_(Workspaces::Instance().Take(bytes)), next_(static_cast<uint8_t*>(block_.data)) {}
  ~Arena() { Workspaces::Instance().Return(block_); }
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  memory Take(const memory::desc& desc) {
    memory taken(desc, Engine(), next_);
    next_ += Room(desc);
    return taken;
  }

  // Bytes a buffer of `desc` takes here (oneDNN wants 64-byte alignment; pages keep copies apart).
  static size_t Room(const memory::desc& desc) { return (desc.get_size() + 4095) / 4096 * 4096; }
  // Room for a copy of `user` in layout `desc`: none when the layouts agree.
  static size_t CopyRoom(const memory::desc& user, const memory::desc& desc) { return user == desc ? 0 : Room(desc); }

 private:
  Workspaces::Block block_;
  uint8_t* next_;
};

// `user` in layout `desc`: itself when the layouts agree, else a reordered copy in `arena`.
memory Into(memory user, const memory::desc& desc, Arena& arena) {
  if (user.get_desc() == desc) return user;
  memory converted = arena.Take(desc);
  dnnl::reorder(user, converted).execute(Stream(), user, converted);
  return converted;
}

// A result in `desc` that ends up in `user`: written there directly when the layouts agree.
memory Target(memory user, const memory::desc& desc, Arena& arena) {
  return user.get_desc() == desc ? user : arena.Take(desc);
}

void Store(memory result, memory user) {
  if (result.get_data_handle() != user.get_data_handle()) dnnl::reorder(result, user).execute(Stream(), result, user);
}

memory UserMemory(const at::Tensor& tensor, int64_t start, int64_t rows) {
  memory::dims dims = {rows, tensor.size(1), tensor.size(2), tensor.size(3)};
  float* data = tensor.data_ptr<float>() + start * tensor.stride(0);
  return memory(Plain(dims, Tag::nchw), Engine(), data);
}

memory UserWeights(const at::Tensor& weight) {
  return memory(Plain({weight.size(0), weight.size(1), 3, 3}, Tag::oihw), Engine(), weight.data_ptr<float>());
}

// Both tensors contiguous float32 on the CPU; returns the NCHW output.
at::Tensor Forward(const at::Tensor& input, const at::Tensor& weight) {
  at::internal::lazy_init_num_threads();  // this thread's OpenMP team size, as libtorch's own ops set it
  const int64_t n = input.size(0), c = input.size(1), h = input.size(2), w = input.size(3), o = weight.size(0);
  at::Tensor output = at::empty({n, o, h, w}, input.options());
  for (int64_t start = 0; start < n; start += kChunk) {
    const int64_t rows = std::min(kChunk, n - start);
    std::shared_ptr<Kernels> kernels = KernelsFor({rows, c, o, h, w});
    const auto& pd = kernels->forwardPd;
    memory userSrc = UserMemory(input, start, rows), userDst = UserMemory(output, start, rows);
    memory userWeights = UserWeights(weight);
    Arena arena(Arena::CopyRoom(userSrc.get_desc(), pd.src_desc()) +
                Arena::CopyRoom(userWeights.get_desc(), pd.weights_desc()) +
                Arena::CopyRoom(userDst.get_desc(), pd.dst_desc()) + Arena::Room(pd.scratchpad_desc()));
    memory src = Into(userSrc, pd.src_desc(), arena);
    memory weights = Into(userWeights, pd.weights_desc(), arena);
    memory dst = Target(userDst, pd.dst_desc(), arena);
    kernels->forward.execute(Stream(), {{DNNL_ARG_SRC, src},
                                        {DNNL_ARG_WEIGHTS, weights},
                                        {DNNL_ARG_DST, dst},
                                        {DNNL_ARG_SCRATCHPAD, arena.Take(pd.scratchpad_desc())}});
    Store(dst, userDst);
    Stream().wait();
  }
  return output;
}

// Gradients w.r.t. input and weight (undefined where not asked for); tensors contiguous.
std::pair<at::Tensor, at::Tensor> Backward(const at::Tensor& gradOutput, const at::Tensor& input,
                                           const at::Tensor& weight, bool inputGrad, bool weightGrad) {
  at::internal::lazy_init_num_threads();
  const int64_t n = input.size(0), c = input.size(1), h = input.size(2), w = input.size(3), o = weight.size(0);
  at::Tensor gradInput = inputGrad ? at::empty_like(input) : at::Tensor();
  at::Tensor gradWeight = weightGrad ? at::empty_like(weight) : at::Tensor();
  for (int64_t start = 0; start < n; start += kChunk) {
    const int64_t rows = std::min(kChunk, n - start);
    std::shared_ptr<Kernels> kernels = KernelsFor({rows, c, o, h, w});
    const auto& dataPd = kernels->dataPd;
    const auto& weightsPd = kernels->weightsPd;
    memory userDiffDst = UserMemory(gradOutput, start, rows);
    memory userWeights = UserWeights(weight);
    memory userSrc = UserMemory(input, start, rows);
    // Later chunks add their weight gradient to the first's.
    at::Tensor chunkGradWeight = weightGrad && start > 0 ? at::empty_like(weight) : gradWeight;
    // One arena per gradient, the first given back before the second is taken, so the workspace
    // block is the larger of the two, not their sum. The price: the output gradient is reordered
    // for each (in the same layout), one activation-sized copy per call.
    if (inputGrad) {
      memory userDiffSrc = UserMemory(gradInput, start, rows);
      Arena arena(Arena::CopyRoom(userDiffDst.get_desc(), dataPd.diff_dst_desc()) +
                  Arena::CopyRoom(userWeights.get_desc(), dataPd.weights_desc()) +
                  Arena::CopyRoom(userDiffSrc.get_desc(), dataPd.diff_src_desc()) + Arena::Room(dataPd.scratchpad_desc()));
      memory diffDst = Into(userDiffDst, dataPd.diff_dst_desc(), arena);
      memory weights = Into(userWeights, dataPd.weights_desc(), arena);
      memory diffSrc = Target(userDiffSrc, dataPd.diff_src_desc(), arena);
      kernels->data.execute(Stream(), {{DNNL_ARG_DIFF_DST, diffDst},
                                       {DNNL_ARG_WEIGHTS, weights},
                                       {DNNL_ARG_DIFF_SRC, diffSrc},
                                       {DNNL_ARG_SCRATCHPAD, arena.Take(dataPd.scratchpad_desc())}});
      Store(diffSrc, userDiffSrc);
      Stream().wait();
    }
    if (weightGrad) {
      memory userDiffWeights = UserWeights(chunkGradWeight);
      Arena arena(Arena::CopyRoom(userSrc.get_desc(), weightsPd.src_desc()) +
                  Arena::CopyRoom(userDiffDst.get_desc(), weightsPd.diff_dst_desc()) +
                  Arena::CopyRoom(userDiffWeights.get_desc(), weightsPd.diff_weights_desc()) +
                  Arena::Room(weightsPd.scratchpad_desc()));
      memory src = Into(userSrc, weightsPd.src_desc(), arena);
      memory diffDst = Into(userDiffDst, weightsPd.diff_dst_desc(), arena);
      memory diffWeights = Target(userDiffWeights, weightsPd.diff_weights_desc(), arena);
      kernels->weightGrad.execute(Stream(), {{DNNL_ARG_SRC, src},
                                             {DNNL_ARG_DIFF_DST, diffDst},
                                             {DNNL_ARG_DIFF_WEIGHTS, diffWeights},
                                             {DNNL_ARG_SCRATCHPAD, arena.Take(weightsPd.scratchpad_desc())}});
      Store(diffWeights, userDiffWeights);
      Stream().wait();
    }
    if (weightGrad && start > 0) gradWeight.add_(chunkGradWeight);
  }
  return {gradInput, gradWeight};
}

struct OneDnnPath {
  static constexpr auto kForward = Forward;
  static constexpr auto kBackward = Backward;
};

WinogradStatus Probe() {
  WinogradStatus status;
  // ResNet-18's first stage at batch 32: what the models call it with.
  if (std::shared_ptr<Kernels> kernels = KernelsFor({32, 64, 64, 32, 32})) {
    status.available = true;
    status.implementation = kernels->forwardPd.impl_info_str();
  } else {
    status.reason = "oneDNN has no Winograd convolution for this CPU (its kernels need AVX-512)";
  }
  return status;
}

// Channel counts the Winograd kernels take (oneDNN's avx512_core kernels block channels by 16), on
// images of 8 px and more: below that each image is one 6x6 tile, mostly padding, and the weight
// transforms dominate the scratchpad (ResNet-18-cifar's 4 x 4 last stage gained no time in a CaMU
// run; kernels/winograd_single_tile.h takes those images). Then oneDNN must have kernels for the
// calls' shapes (a full chunk and the remainder).
bool Accepts(const at::Tensor& input, const at::Tensor& weight) {
  if (!(input.device().is_cpu() && input.scalar_type() == at::kFloat && weight.scalar_type() == at::kFloat &&
        input.dim() == 4 && weight.dim() == 4 && weight.size(2) == 3 && weight.size(3) == 3 &&
        input.size(1) == weight.size(1) && input.size(1) % 16 == 0 && weight.size(0) % 16 == 0 &&
        input.size(0) > 0 && input.size(2) >= 8 && input.size(3) >= 8 && !input.is_mkldnn())) {
    return false;
  }
  const int64_t n = input.size(0), rest = n % kChunk;
  const auto shape = [&](int64_t rows) { return Shape{rows, input.size(1), weight.size(0), input.size(2), input.size(3)}; };
  return KernelsFor(shape(std::min(kChunk, n))) != nullptr && (n < kChunk || rest == 0 || KernelsFor(shape(rest)) != nullptr);
}
#endif

}  // namespace

const WinogradStatus& WinogradConvStatus() {
  static const WinogradStatus status = [] {
    // CAMU_WINOGRAD: unset, "on" or "1" use the path; "off" or "0" do not; anything else is an error.
    const char* raw = std::getenv("CAMU_WINOGRAD");
    const std::string setting = raw != nullptr ? raw : "";
    if (!setting.empty() && setting != "on" && setting != "1" && setting != "off" && setting != "0") {
      throw Error(codes::kInvalidArgValue, "CAMU_WINOGRAD must be on, off, 1 or 0, got '" + setting + "'");
    }
    const bool off = setting == "off" || setting == "0";
#ifdef CAMU_WITH_ONEDNN
    WinogradStatus result = off ? WinogradStatus{false, "", "turned off by CAMU_WINOGRAD=" + setting} : Probe();
#else
    WinogradStatus result{false, "", CAMU_ONEDNN_REASON};
#endif
    result.singleTile = !off && Avx512KernelSet() != nullptr;
    return result;
  }();
  return status;
}

at::Tensor Conv3x3(const at::Tensor& input, const at::Tensor& weight, Conv3x3Implementation implementation) {
  if (implementation == Conv3x3Implementation::kWinograd && WinogradConvStatus().singleTile &&
      SingleTileWinogradAccepts(input, weight)) {
    return SingleTileWinogradConv3x3(input, weight);
  }
#ifdef CAMU_WITH_ONEDNN
  if (implementation == Conv3x3Implementation::kWinograd && WinogradConvStatus().available && Accepts(input, weight)) {
    return ConvFunction<OneDnnPath>::apply(input.contiguous(), weight.contiguous());
  }
#endif
  return Reference(input, weight);
}

}  // namespace camu::kernels
