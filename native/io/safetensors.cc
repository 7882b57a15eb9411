#include "io/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <set>
#include <sstream>

#include "core/errors.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors data is little-endian; camu assumes a little-endian host");

namespace camu::io {

namespace {

// The header may be at most 100 MB (the format's own limit), which also bounds what a corrupt
// size field can make us allocate.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct DTypeName {
  const char* name;
  at::ScalarType type;
};
const DTypeName kDTypes[] = {
    {"F64", at::kDouble}, {"F32", at::kFloat}, {"F16", at::kHalf}, {"BF16", at::kBFloat16},
    {"I64", at::kLong},   {"I32", at::kInt},   {"I16", at::kShort}, {"I8", at::kChar},
    {"U8", at::kByte},    {"BOOL", at::kBool},
};

// A JSON value: just enough of JSON for safetensors headers.
struct Json {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = Kind::kNull;
  bool boolean = false;
  bool isInteger = false;  // a number without fraction or exponent that fits uint64
  uint64_t integer = 0;
  bool negative = false;
  std::string string;
  std::vector<Json> array;
  std::vector<std::pair<std::string, Json>> object;
};

class JsonParser {
 public:
  JsonParser(const std::string& text, const std::string& file) : text_(text), file_(file) {}

  Json ParseDocument() {
    Json value = ParseValue(0);
    SkipSpace();
    if (pos_ != text_.size()) Fail("unexpected text after the JSON header");
    return value;
  }

 private:
  [[noreturn]] void Fail(const std::string& what) const {
    throw Error(codes::kFormat, file_ + ": malformed safetensors header: " + what + " at byte " + std::to_string(pos_));
  }
  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\r' || text_[pos_] == '\t')) ++pos_;
  }
  bool Consume(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void Expect(char c) {
    if (!Consume(c)) Fail(std::string("expected '") + c + "'");
  }

  Json ParseValue(int depth) {
    if (depth > 16) Fail("nesting too deep");
    SkipSpace();
    if (pos_ >= text_.size()) Fail("unexpected end");
    char c = text_[pos_];
    Json value;
    if (c == '{') {
      ++pos_;
      value.kind = Json::Kind::kObject;
      std::set<std::string> keys;
      if (Consume('}')) return value;
      do {
        SkipSpace();
        std::string key = ParseString();
        if (!keys.insert(key).second) Fail("duplicate key \"" + key + "\"");
        Expect(':');
        value.object.emplace_back(std::move(key), ParseValue(depth + 1));
      } while (Consume(','));
      Expect('}');
    } else if (c == '[') {
      ++pos_;
      value.kind = Json::Kind::kArray;
      if (Consume(']')) return value;
      do {
        value.array.push_back(ParseValue(depth + 1));
      } while (Consume(','));
      Expect(']');
    } else if (c == '"') {
      value.kind = Json::Kind::kString;
      value.string = ParseString();
    } else if (text_.compare(pos_, 4, "true") == 0 || text_.compare(pos_, 5, "false") == 0) {
      value.kind = Json::Kind::kBool;
      value.boolean = text_[pos_] == 't';
      pos_ += value.boolean ? 4 : 5;
    } else if (text_.compare(pos_, 4, "null") == 0) {
      pos_ += 4;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      value = ParseNumber();
    } else {
      Fail(std::string("unexpected character '") + c + "'");
    }
    return value;
  }

  Json ParseNumber() {
    Json value;
    value.kind = Json::Kind::kNumber;
    if (text_[pos_] == '-') {
      value.negative = true;
      ++pos_;
    }
    bool overflow = false;
    size_t digits = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      uint64_t digit = static_cast<uint64_t>(text_[pos_] - '0');
      if (value.integer > (UINT64_MAX - digit) / 10) overflow = true;
      value.integer = value.integer * 10 + digit;
      ++pos_;
      ++digits;
    }
    if (digits == 0) Fail("malformed number");
    bool fraction = false;
    while (pos_ < text_.size() && std::strchr(".eE+-0123456789", text_[pos_]) != nullptr) {
      fraction = true;
      ++pos_;
    }
    value.isInteger = !fraction && !overflow;
    if (value.isInteger && value.negative && value.integer == 0) value.negative = false;
    return value;
  }

  std::string ParseString() {
    if (pos_ >= text_.size() || text_[pos_] != '"') Fail("expected a string");
    ++pos_;
    std::string out;
    while (true) {
      if (pos_ >= text_.size()) Fail("unterminated string");
      char c = text_[pos_++];
      if (c == '"') break;
      if (static_cast<unsigned char>(c) < 0x20) Fail("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) Fail("unterminated escape");
      char e = text_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': AppendCodePoint(out); break;
        default: Fail(std::string("invalid escape '\\") + e + "'");
      }
    }
    return out;
  }

  uint32_t ParseHex4() {
    if (pos_ + 4 > text_.size()) Fail("truncated \\u escape");
    uint32_t code = 0;
    for (int i = 0; i < 4; ++i) {
      char h = text_[pos_++];
      code <<= 4;
      if (h >= '0' && h <= '9') code |= static_cast<uint32_t>(h - '0');
      else if (h >= 'a' && h <= 'f') code |= static_cast<uint32_t>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') code |= static_cast<uint32_t>(h - 'A' + 10);
      else Fail("invalid \\u escape");
    }
    return code;
  }

  void AppendCodePoint(std::string& out) {
    uint32_t code = ParseHex4();
    if (code >= 0xD800 && code <= 0xDBFF) {
      if (text_.compare(pos_, 2, "\\u") != 0) Fail("unpaired surrogate");
      pos_ += 2;
      uint32_t low = ParseHex4();
      if (low < 0xDC00 || low > 0xDFFF) Fail("unpaired surrogate");
      code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
    } else if (code >= 0xDC00 && code <= 0xDFFF) {
      Fail("unpaired surrogate");
    }
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  const std::string& text_;
  const std::string& file_;
  size_t pos_ = 0;
};

std::string JsonEscape(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (u < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof(buffer), "\\u%04x", u);
      out += buffer;
    } else out += c;
  }
  return out + "\"";
}

// Closes a file descriptor on scope exit.
struct FileDescriptor {
  int fd = -1;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

void ReadExactly(int fd, void* buffer, uint64_t size, uint64_t offset, const std::string& path) {
  auto* out = static_cast<char*>(buffer);
  while (size > 0) {
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(size, 1ULL << 30));
    ssize_t got = ::pread(fd, out, chunk, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw Error(codes::kIo, path + ": read failed: " + std::strerror(errno));
    if (got == 0) throw Error(codes::kFormat, path + ": file is truncated");
    out += got;
    size -= static_cast<uint64_t>(got);
    offset += static_cast<uint64_t>(got);
  }
}

void WriteExactly(int fd, const void* buffer, uint64_t size, const std::string& path) {
  const auto* in = static_cast<const char*>(buffer);
  while (size > 0) {
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(size, 1ULL << 30));
    ssize_t put = ::write(fd, in, chunk);
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) throw Error(codes::kIo, path + ": write failed: " + std::strerror(errno));
    in += put;
    size -= static_cast<uint64_t>(put);
  }
}

struct EntrySpec {
  std::string name;
  at::ScalarType dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

EntrySpec ParseEntry(const std::string& name, const Json& value, uint64_t dataSize, const std::string& path) {
  std::string where = path + ": tensor \"" + name + "\"";
  if (value.kind != Json::Kind::kObject) throw Error(codes::kFormat, where + " is not a JSON object");
  const Json *dtype = nullptr, *shape = nullptr, *offsets = nullptr;
  for (const auto& [key, field] : value.object) {
    if (key == "dtype") dtype = &field;
    else if (key == "shape") shape = &field;
    else if (key == "data_offsets") offsets = &field;
    else throw Error(codes::kFormat, where + " has an unknown field \"" + key + "\"");
  }
  if (!dtype || !shape || !offsets) throw Error(codes::kFormat, where + " needs dtype, shape and data_offsets");
  EntrySpec entry;
  entry.name = name;
  if (dtype->kind != Json::Kind::kString) throw Error(codes::kFormat, where + ": dtype is not a string");
  const DTypeName* known = nullptr;
  for (const auto& candidate : kDTypes) {
    if (dtype->string == candidate.name) known = &candidate;
  }
  if (!known) {
    throw Error(codes::kFormat, where + " has dtype \"" + dtype->string +
                                    "\", which camu does not read (F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
  }
  entry.dtype = known->type;
  if (shape->kind != Json::Kind::kArray || shape->array.size() > 16) {
    throw Error(codes::kFormat, where + ": shape must be an array of at most 16 non-negative integers");
  }
  uint64_t numel = 1;
  bool overflow = false;
  for (const Json& dim : shape->array) {
    if (dim.kind != Json::Kind::kNumber || !dim.isInteger || dim.negative || dim.integer > INT64_MAX) {
      throw Error(codes::kFormat, where + ": shape must be an array of non-negative integers");
    }
    if (dim.integer != 0 && numel > UINT64_MAX / dim.integer) overflow = true;
    numel *= dim.integer;
    entry.shape.push_back(static_cast<int64_t>(dim.integer));
  }
  if (offsets->kind != Json::Kind::kArray || offsets->array.size() != 2) {
    throw Error(codes::kFormat, where + ": data_offsets must be [begin, end]");
  }
  for (const Json& offset : offsets->array) {
    if (offset.kind != Json::Kind::kNumber || !offset.isInteger || offset.negative) {
      throw Error(codes::kFormat, where + ": data_offsets must be non-negative integers");
    }
  }
  entry.begin = offsets->array[0].integer;
  entry.end = offsets->array[1].integer;
  if (entry.begin > entry.end) throw Error(codes::kFormat, where + ": data_offsets begin > end");
  if (entry.end > dataSize) {
    throw Error(codes::kFormat, where + ": data_offsets [" + std::to_string(entry.begin) + ", " + std::to_string(entry.end) +
                                    "] point outside the file's data section of " + std::to_string(dataSize) + " bytes");
  }
  uint64_t elementSize = at::elementSize(entry.dtype);
  if (overflow || numel > UINT64_MAX / elementSize || numel * elementSize != entry.end - entry.begin) {
    throw Error(codes::kFormat, where + ": shape and dtype need " + (overflow ? std::string("too many") : std::to_string(numel * elementSize)) +
                                    " bytes but data_offsets span " + std::to_string(entry.end - entry.begin));
  }
  return entry;
}

}  // namespace

SafetensorsContents ReadSafetensors(const std::string& path) {
  FileDescriptor file;
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer; the check below
  // then refuses it. Reads of a regular file ignore the flag.
  file.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (file.fd < 0) throw Error(codes::kIo, path + ": cannot open: " + std::strerror(errno));
  struct stat info;
  if (::fstat(file.fd, &info) != 0) throw Error(codes::kIo, path + ": cannot stat: " + std::strerror(errno));
  if (!S_ISREG(info.st_mode)) throw Error(codes::kIo, path + " is not a regular file");
  auto fileSize = static_cast<uint64_t>(info.st_size);
  if (fileSize < 8) throw Error(codes::kFormat, path + ": too short for a safetensors file (" + std::to_string(fileSize) + " bytes)");

  uint8_t sizeBytes[8];
  ReadExactly(file.fd, sizeBytes, 8, 0, path);
  uint64_t headerSize = 0;
  for (int i = 7; i >= 0; --i) headerSize = (headerSize << 8) | sizeBytes[i];
  if (headerSize > kMaxHeaderBytes || headerSize > fileSize - 8) {
    throw Error(codes::kFormat, path + ": header size " + std::to_string(headerSize) + " does not fit a file of " +
                                    std::to_string(fileSize) + " bytes (truncated, or not a safetensors file)");
  }
  std::string header(static_cast<size_t>(headerSize), '\0');
  ReadExactly(file.fd, header.data(), headerSize, 8, path);
  if (header.empty() || header[0] != '{') throw Error(codes::kFormat, path + ": header is not a JSON object (not a safetensors file?)");
  Json root = JsonParser(header, path).ParseDocument();
  if (root.kind != Json::Kind::kObject) throw Error(codes::kFormat, path + ": header is not a JSON object");

  uint64_t dataStart = 8 + headerSize;
  uint64_t dataSize = fileSize - dataStart;
  SafetensorsContents contents;
  std::vector<EntrySpec> entries;
  for (const auto& [name, value] : root.object) {
    if (name == "__metadata__") {
      if (value.kind != Json::Kind::kObject) throw Error(codes::kFormat, path + ": __metadata__ must be an object of strings");
      for (const auto& [key, item] : value.object) {
        if (item.kind != Json::Kind::kString) throw Error(codes::kFormat, path + ": __metadata__." + key + " is not a string");
        contents.metadata[key] = item.string;
      }
      continue;
    }
    if (name.empty()) throw Error(codes::kFormat, path + ": a tensor has an empty name");
    entries.push_back(ParseEntry(name, value, dataSize, path));
  }

  // Byte ranges must tile the data section exactly: no overlaps (aliasing tensors) and no holes.
  std::sort(entries.begin(), entries.end(), [](const EntrySpec& a, const EntrySpec& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t covered = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].begin < covered) {
      throw Error(codes::kFormat, path + ": tensors \"" + entries[i - 1].name + "\" and \"" + entries[i].name + "\" overlap");
    }
    if (entries[i].begin > covered) {
      throw Error(codes::kFormat, path + ": bytes " + std::to_string(covered) + ".." + std::to_string(entries[i].begin) +
                                      " of the data section belong to no tensor");
    }
    covered = entries[i].end;
  }
  if (covered != dataSize) {
    throw Error(codes::kFormat, path + ": the data section has " + std::to_string(dataSize) + " bytes but the tensors cover " +
                                    std::to_string(covered) + " (truncated or padded file)");
  }

  for (const EntrySpec& entry : entries) {
    at::Tensor tensor = at::empty(entry.shape, at::TensorOptions().dtype(entry.dtype));
    if (entry.end > entry.begin) ReadExactly(file.fd, tensor.data_ptr(), entry.end - entry.begin, dataStart + entry.begin, path);
    if (entry.dtype == at::kBool) {
      // Any byte other than 0 / 1 would be an invalid bool in libtorch.
      if (tensor.view(at::kByte).gt(1).any().item<bool>()) {
        throw Error(codes::kFormat, path + ": tensor \"" + entry.name + "\" has BOOL bytes other than 0 and 1");
      }
    }
    contents.tensors.emplace_back(entry.name, std::move(tensor));
  }
  return contents;
}

void WriteFileAtomically(const std::string& path, const std::function<void(const std::string& tempPath)>& write) {
  static std::atomic<uint64_t> counter{0};
  std::string tempPath = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
  try {
    write(tempPath);
  } catch (...) {
    std::remove(tempPath.c_str());
    throw;
  }
  if (std::rename(tempPath.c_str(), path.c_str()) != 0) {
    int error = errno;
    std::remove(tempPath.c_str());
    throw Error(codes::kIo, path + ": cannot replace the file: " + std::strerror(error));
  }
}

void WriteSafetensors(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  std::set<std::string> names;
  std::vector<at::Tensor> data;
  std::ostringstream header;
  header << "{";
  bool first = true;
  if (!metadata.empty()) {
    header << "\"__metadata__\":{";
    for (auto it = metadata.begin(); it != metadata.end(); ++it) {
      header << (it == metadata.begin() ? "" : ",") << JsonEscape(it->first) << ":" << JsonEscape(it->second);
    }
    header << "}";
    first = false;
  }
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name.empty() || name == "__metadata__") ThrowValueError("safetensors: invalid tensor name '" + name + "'");
    if (!names.insert(name).second) ThrowValueError("safetensors: duplicate tensor name '" + name + "'");
    const DTypeName* known = nullptr;
    for (const auto& candidate : kDTypes) {
      if (candidate.type == tensor.scalar_type()) known = &candidate;
    }
    if (!known) {
      throw Error(codes::kUnsupported, "safetensors: tensor '" + name + "' has dtype " +
                                           std::string(at::toString(tensor.scalar_type())) + ", which safetensors cannot hold");
    }
    at::Tensor cpu = tensor.detach().to(at::kCPU).contiguous();
    uint64_t bytes = static_cast<uint64_t>(cpu.numel()) * cpu.element_size();
    header << (first ? "" : ",") << JsonEscape(name) << ":{\"dtype\":\"" << known->name << "\",\"shape\":[";
    for (int64_t d = 0; d < cpu.dim(); ++d) header << (d ? "," : "") << cpu.size(d);
    header << "],\"data_offsets\":[" << offset << "," << offset + bytes << "]}";
    first = false;
    offset += bytes;
    data.push_back(std::move(cpu));
  }
  header << "}";
  std::string headerText = header.str();
  // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
  while ((8 + headerText.size()) % 8 != 0) headerText += ' ';

  WriteFileAtomically(path, [&](const std::string& tempPath) {
    FileDescriptor out;
    out.fd = ::open(tempPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out.fd < 0) throw Error(codes::kIo, path + ": cannot create " + tempPath + ": " + std::strerror(errno));
    uint64_t headerSize = headerText.size();
    uint8_t sizeBytes[8];
    for (int i = 0; i < 8; ++i) sizeBytes[i] = static_cast<uint8_t>(headerSize >> (8 * i));
    WriteExactly(out.fd, sizeBytes, 8, path);
    WriteExactly(out.fd, headerText.data(), headerText.size(), path);
    for (const at::Tensor& tensor : data) {
      WriteExactly(out.fd, tensor.data_ptr(), static_cast<uint64_t>(tensor.numel()) * tensor.element_size(), path);
    }
    // Durable before the rename makes it visible.
    if (::fsync(out.fd) != 0) throw Error(codes::kIo, path + ": fsync failed: " + std::strerror(errno));
  });
}

}  // namespace camu::io
