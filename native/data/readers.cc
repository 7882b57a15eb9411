#include "data/readers.h"

#include <sys/stat.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/errors.h"

namespace camu::data {

namespace {

constexpr size_t kCifarPixels = 3 * 32 * 32;
// Deflate cannot expand data by more than ~1032:1; a header that declares more than this
// from a gzip file of a given size is corrupt (and must not drive a huge allocation).
constexpr int64_t kMaxDeflateRatio = 1100;

[[noreturn]] void FormatError(const std::string& path, const std::string& what) {
  throw Error(codes::kFormat, path + ": " + what);
}

[[noreturn]] void IoError(const std::string& path, const std::string& what, int err) {
  throw Error(codes::kIo, "cannot read " + path + ": " + what + (err ? std::string(" (") + std::strerror(err) + ")" : ""));
}

// Size of a regular file; kIo if it is missing or not a regular file.
int64_t RegularFileSize(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) IoError(path, "cannot stat the file", errno);
  if (!S_ISREG(info.st_mode)) IoError(path, "not a regular file", 0);
  return static_cast<int64_t>(info.st_size);
}

// A file read through zlib's gz* functions, which read gzip and plain files alike.
class GzFile {
 public:
  explicit GzFile(const std::string& path) : path_(path), fileSize_(RegularFileSize(path)) {
    errno = 0;
    file_ = gzopen(path.c_str(), "rb");
    if (file_ == nullptr) IoError(path, "cannot open the file", errno);
    gzbuffer(file_, 1 << 20);
  }
  ~GzFile() {
    if (file_ != nullptr) gzclose(file_);
  }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  const std::string& path() const { return path_; }
  int64_t fileSize() const { return fileSize_; }
  // Valid after the first read: whether the content is gzip-compressed.
  bool compressed() { return gzdirect(file_) == 0; }

  // Reads exactly n bytes; a short read is a truncated file.
  void ReadExactly(void* destination, int64_t n, const char* what) {
    auto* out = static_cast<uint8_t*>(destination);
    int64_t done = 0;
    while (done < n) {
      unsigned chunk = static_cast<unsigned>(std::min<int64_t>(n - done, 1 << 30));
      int got = gzread(file_, out + done, chunk);
      if (got < 0) ThrowReadError();
      if (got == 0) {
        FormatError(path_, std::string("truncated: the file ends inside the ") + what + " (" + std::to_string(done) +
                               " of " + std::to_string(n) + " bytes)");
      }
      done += got;
    }
  }

  // The data must end exactly here.
  void ExpectEnd() {
    uint8_t extra[4096];
    int64_t count = 0;
    for (;;) {
      int got = gzread(file_, extra, sizeof(extra));
      if (got < 0) ThrowReadError();
      if (got == 0) break;
      count += got;
    }
    if (count > 0) {
      FormatError(path_, "size mismatch: " + std::to_string(count) + " bytes after the data the header declares");
    }
  }

 private:
  [[noreturn]] void ThrowReadError() {
    int code = Z_OK;
    const char* message = gzerror(file_, &code);
    if (code == Z_ERRNO) IoError(path_, "read failed", errno);
    if (code == Z_BUF_ERROR) FormatError(path_, "truncated: the gzip stream ends early");
    std::string detail = message ? message : "unknown zlib error";
    // zlib prefixes its message with the path, which FormatError adds already.
    if (detail.rfind(path_ + ": ", 0) == 0) detail = detail.substr(path_.size() + 2);
    FormatError(path_, "corrupt gzip data (" + detail + ")");
  }

  std::string path_;
  int64_t fileSize_;
  gzFile file_ = nullptr;
};

uint32_t BigEndian32(const uint8_t* bytes) {
  return (uint32_t(bytes[0]) << 24) | (uint32_t(bytes[1]) << 16) | (uint32_t(bytes[2]) << 8) | uint32_t(bytes[3]);
}

// Reads an IDX header of an unsigned-byte array with `dims` dimensions; returns the dimensions.
std::vector<int64_t> ReadIdxHeader(GzFile& file, uint8_t dims, const char* kind) {
  uint8_t magic[4];
  file.ReadExactly(magic, 4, "IDX header");
  uint32_t expected = 0x00000800u | dims;
  if (magic[0] != 0 || magic[1] != 0 || magic[2] != 0x08 || magic[3] != dims) {
    char text[64];
    std::snprintf(text, sizeof(text), "0x%08x (expected 0x%08x", BigEndian32(magic), expected);
    FormatError(file.path(), std::string("wrong magic number ") + text + " for IDX " + kind + ")");
  }
  std::vector<uint8_t> sizeBytes(4 * dims);
  file.ReadExactly(sizeBytes.data(), 4 * dims, "IDX header");
  std::vector<int64_t> sizes;
  int64_t payload = 1;
  for (uint8_t d = 0; d < dims; ++d) {
    int64_t size = BigEndian32(sizeBytes.data() + 4 * d);
    if (size == 0) FormatError(file.path(), "the IDX header declares an empty dimension");
    sizes.push_back(size);
    if (size > (int64_t(1) << 40) / payload) {
      FormatError(file.path(), "the IDX header declares an implausibly large array");
    }
    payload *= size;
  }
  int64_t headerSize = 4 + 4 * dims;
  if (file.compressed()) {
    if (payload > file.fileSize() * kMaxDeflateRatio) {
      FormatError(file.path(), "size mismatch: the header declares " + std::to_string(payload) +
                                   " bytes of data, more than a gzip file of " + std::to_string(file.fileSize()) +
                                   " bytes can hold");
    }
  } else if (file.fileSize() != headerSize + payload) {
    std::string sizes = std::to_string(file.fileSize()) + " bytes, the header declares " +
                        std::to_string(headerSize + payload);
    FormatError(file.path(), file.fileSize() < headerSize + payload ? "truncated: the file has " + sizes
                                                                    : "size mismatch: the file has " + sizes);
  }
  return sizes;
}

// Range-checks uint8 labels and widens them to int64.
at::Tensor CheckedLabels(const at::Tensor& bytes, int64_t numClasses, const std::string& path,
                         const std::string& recordName) {
  if (bytes.numel() > 0) {
    at::Tensor bad = (bytes.to(at::kLong) >= numClasses).nonzero();
    if (bad.numel() > 0) {
      int64_t index = bad[0][0].item<int64_t>();
      FormatError(path, "label out of range: " + recordName + " " + std::to_string(index) + " has label " +
                            std::to_string(bytes[index].item<int64_t>()) + ", but there are " +
                            std::to_string(numClasses) + " classes");
    }
  }
  return bytes.to(at::kLong);
}

}  // namespace

LabelledImages ReadIdx(const std::string& imagesPath, const std::string& labelsPath, int64_t numClasses) {
  GzFile imagesFile(imagesPath);
  std::vector<int64_t> imageDims = ReadIdxHeader(imagesFile, 3, "images (idx3-ubyte)");
  GzFile labelsFile(labelsPath);
  std::vector<int64_t> labelDims = ReadIdxHeader(labelsFile, 1, "labels (idx1-ubyte)");
  if (imageDims[0] != labelDims[0]) {
    FormatError(labelsPath, "size mismatch: " + std::to_string(labelDims[0]) + " labels for " +
                                std::to_string(imageDims[0]) + " images in " + imagesPath);
  }

  at::Tensor images = at::empty({imageDims[0], 1, imageDims[1], imageDims[2]}, at::kByte);
  imagesFile.ReadExactly(images.data_ptr<uint8_t>(), images.numel(), "image data");
  imagesFile.ExpectEnd();
  at::Tensor labelBytes = at::empty({labelDims[0]}, at::kByte);
  labelsFile.ReadExactly(labelBytes.data_ptr<uint8_t>(), labelBytes.numel(), "label data");
  labelsFile.ExpectEnd();
  return {images, CheckedLabels(labelBytes, numClasses, labelsPath, "item")};
}

int64_t CifarNumClasses(CifarLabels labels) {
  switch (labels) {
    case CifarLabels::kCifar10: return 10;
    case CifarLabels::kCifar100Fine: return 100;
    case CifarLabels::kCifar100Coarse: return 20;
  }
  return 0;
}

LabelledImages ReadCifar(const std::vector<std::string>& files, CifarLabels labels,
                         const std::function<void(size_t)>& onFileRead) {
  const size_t labelBytes = labels == CifarLabels::kCifar10 ? 1 : 2;
  const size_t labelOffset = labels == CifarLabels::kCifar100Fine ? 1 : 0;
  const size_t recordSize = labelBytes + kCifarPixels;

  // Sizes first: the whole split is allocated once and every record is decoded in place.
  std::vector<int64_t> records;
  int64_t total = 0;
  for (const auto& path : files) {
    int64_t size = RegularFileSize(path);
    if (size == 0) FormatError(path, "the file is empty");
    if (size % static_cast<int64_t>(recordSize) != 0) {
      FormatError(path, "truncated or wrong format: " + std::to_string(size) + " bytes is not a whole number of " +
                            std::to_string(recordSize) + "-byte CIFAR records");
    }
    records.push_back(size / static_cast<int64_t>(recordSize));
    total += records.back();
  }
  if (total == 0) throw Error(codes::kFormat, "no CIFAR files to read");

  at::Tensor images = at::empty({total, 3, 32, 32}, at::kByte);
  at::Tensor labelTensor = at::empty({total}, at::kLong);
  uint8_t* pixels = images.data_ptr<uint8_t>();
  int64_t* labelOut = labelTensor.data_ptr<int64_t>();
  constexpr size_t kRecordsPerChunk = 1024;
  std::vector<uint8_t> buffer(kRecordsPerChunk * recordSize);
  int64_t next = 0;
  for (size_t f = 0; f < files.size(); ++f) {
    const std::string& path = files[f];
    std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!file) IoError(path, "cannot open the file", errno);
    int64_t remaining = records[f];
    int64_t recordIndex = 0;
    while (remaining > 0) {
      size_t count = static_cast<size_t>(std::min<int64_t>(remaining, kRecordsPerChunk));
      size_t got = std::fread(buffer.data(), recordSize, count, file.get());
      if (got != count) {
        if (std::ferror(file.get())) IoError(path, "read failed", errno);
        FormatError(path, "truncated: the file shrank while it was read");
      }
      for (size_t r = 0; r < count; ++r, ++recordIndex, ++next) {
        const uint8_t* record = buffer.data() + r * recordSize;
        // Both bytes of a CIFAR-100 record are checked, whichever one is used: either out of
        // range means the file is not what it claims to be.
        for (size_t b = 0; b < labelBytes; ++b) {
          int64_t limit = labelBytes == 1 ? 10 : (b == 0 ? 20 : 100);
          if (record[b] >= limit) {
            const char* which = labelBytes == 1 ? "label" : (b == 0 ? "coarse label" : "fine label");
            FormatError(path, "label out of range: record " + std::to_string(recordIndex) + " has " + which + " " +
                                  std::to_string(record[b]) + ", but there are " + std::to_string(limit) +
                                  " classes");
          }
        }
        labelOut[next] = record[labelOffset];
        std::memcpy(pixels + next * kCifarPixels, record + labelBytes, kCifarPixels);
      }
      remaining -= static_cast<int64_t>(count);
    }
    if (onFileRead) onFileRead(f);
  }
  return {images, labelTensor};
}

}  // namespace camu::data
