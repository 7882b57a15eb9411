// Decoders for the on-disk dataset formats: IDX (MNIST, Fashion-MNIST; raw or gzip) and the
// CIFAR-10 / CIFAR-100 binary versions. Each returns one split as contiguous CPU tensors:
// images uint8 [N,C,H,W], labels int64 [N].
//
// Every failure names the file: camu::Error(kIo) when a file cannot be opened or read,
// camu::Error(kFormat) when its content is malformed (wrong magic, truncated, size mismatch,
// label out of range). Nothing is returned on failure.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace camu::data {

struct LabelledImages {
  at::Tensor images;  // uint8 [N,C,H,W], contiguous
  at::Tensor labels;  // int64 [N]
};

// IDX pair: images "idx3-ubyte" (magic 0x00000803, N×H×W) -> [N,1,H,W]; labels "idx1-ubyte"
// (magic 0x00000801, N). Either file may be gzip-compressed (detected from its content).
// Every label must be < numClasses.
LabelledImages ReadIdx(const std::string& imagesPath, const std::string& labelsPath, int64_t numClasses);

// Which label a CIFAR record carries and how many classes it has.
enum class CifarLabels {
  kCifar10,         // record: 1 label byte (0..9), 3072 pixel bytes
  kCifar100Fine,    // record: coarse byte (0..19), fine byte (0..99), 3072 pixel bytes; uses fine
  kCifar100Coarse,  // same record; uses coarse
};
int64_t CifarNumClasses(CifarLabels labels);

// Concatenates the records of `files` in order (e.g. data_batch_1.bin .. data_batch_5.bin).
// Pixels are stored as 3 planes of 32×32 (R, G, B), which is [3,32,32] as is.
// `onFileRead(i)` is called after file i has been decoded (progress / abort checks); it may throw.
LabelledImages ReadCifar(const std::vector<std::string>& files, CifarLabels labels,
                         const std::function<void(size_t)>& onFileRead = nullptr);

}  // namespace camu::data
