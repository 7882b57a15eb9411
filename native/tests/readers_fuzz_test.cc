// The core's file readers on mutated files (the seeded mutations of scripts/fuzz.js, here without
// Node, so that the sanitizer build, `npm run test:native -- --sanitize`, watches the parsers):
// each mutated safetensors or TorchScript file is read or refused with camu's coded Error, never
// anything else.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/errors.h"
#include "io/safetensors.h"
#include "models/torchscript_model.h"

namespace camu {
namespace {

using Bytes = std::vector<char>;

Bytes ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteAll(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// xorshift32, as scripts/fuzz.js.
struct Random {
  uint32_t state;
  uint32_t Next() {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  }
  size_t Below(size_t n) { return n == 0 ? 0 : Next() % n; }
};

Bytes Mutate(Bytes bytes, Random& random) {
  const size_t at = random.Below(bytes.size());
  switch (random.Below(5)) {
    case 0:  // truncate
      bytes.resize(at);
      break;
    case 1:  // bit flips
      for (size_t i = 0, n = 1 + random.Below(8); i < n && !bytes.empty(); ++i) bytes[random.Below(bytes.size())] ^= static_cast<char>(1 << random.Below(8));
      break;
    case 2: {  // bytes overwritten, mostly in the header
      const size_t where = random.Below(4) < 3 ? random.Below(std::min<size_t>(bytes.size(), 512)) : at;
      const char values[] = {0, static_cast<char>(0xff), 0x7f, static_cast<char>(0x80)};
      for (size_t i = where; i < std::min(bytes.size(), where + 1 + random.Below(8)); ++i) bytes[i] = values[random.Below(4)];
      break;
    }
    case 3:  // a range zeroed
      for (size_t i = at; i < std::min(bytes.size(), at + 1 + random.Below(4096)); ++i) bytes[i] = 0;
      break;
    default:  // bytes appended
      bytes.insert(bytes.end(), 1 + random.Below(64), static_cast<char>(random.Below(256)));
  }
  return bytes;
}

// Reads `mutations` mutated copies of `fixture` with `read`: every outcome is a return or a camu Error.
template <typename Read>
void FuzzReader(const std::string& fixture, uint32_t seed, int mutations, Read read) {
  const Bytes original = ReadAll(std::string(CAMU_FIXTURES_DIR) + "/" + fixture);
  ASSERT_FALSE(original.empty()) << fixture;
  const std::string path = ::testing::TempDir() + "camu-fuzz-" + fixture;
  Random random{seed};
  int read_ok = 0;
  for (int i = 0; i < mutations; ++i) {
    WriteAll(path, Mutate(original, random));
    try {
      read(path);
      ++read_ok;
    } catch (const Error& error) {
      EXPECT_FALSE(error.code().empty()) << fixture << " mutation " << i;
    }
    // Anything else escapes and fails the test, naming the exception.
  }
  std::remove(path.c_str());
  EXPECT_LE(read_ok, mutations);
}

TEST(ReadersFuzz, SafetensorsFilesAreReadOrRefusedWithACode) {
  FuzzReader("cnn14.safetensors", 11, 300, [](const std::string& path) { io::ReadSafetensors(path); });
}

TEST(ReadersFuzz, TorchScriptFilesAreReadOrRefusedWithACode) {
  models::TorchScriptOptions options;
  options.trustCode = true;
  options.inputShape = {1, 14, 14};
  FuzzReader("cnn14.pt", 12, 150, [&](const std::string& path) { models::LoadTorchScript(path, options); });
}

}  // namespace
}  // namespace camu
