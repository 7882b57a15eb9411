// A split handed to the core (data/dataset.h CheckSplitIndices, run by every entry point that takes
// one): its forget and retain sets partition the train set and D_s comes from D_r.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/errors.h"
#include "data/dataset.h"
#include "tests/tiny_task.h"

namespace camu::data {
namespace {

at::Tensor Indices(const std::vector<int64_t>& values) { return at::tensor(values, at::kLong); }

SplitView EightSamples() {
  SplitView split;
  split.forget = Indices({0, 2, 4, 6});
  split.retain = Indices({1, 3, 5, 7});
  split.sample = Indices({7, 1, 1, 5});  // drawn from D_r; repeats allowed
  split.trainSize = 8;
  return split;
}

std::string MessageOf(const SplitView& split) {
  std::string message;
  EXPECT_EQ(unlearn::test::CodeOf([&] { CheckSplitIndices(split, "split"); }, &message), codes::kOutOfRange);
  return message;
}

TEST(SplitIndices, AcceptsAPartitionWithSamplesFromTheRetainedSet) {
  EXPECT_NO_THROW(CheckSplitIndices(EightSamples(), "split"));
}

TEST(SplitIndices, RefusesDuplicatesOverlapsGapsAndForeignSamples) {
  SplitView split = EightSamples();
  split.forget = Indices({0, 2, 4, 4});
  EXPECT_NE(MessageOf(split).find("lists forget index 4 twice"), std::string::npos);
  split = EightSamples();
  split.forget = Indices({0, 2, 4, 7});
  EXPECT_NE(MessageOf(split).find("index 7 is in both the forget and the retain set"), std::string::npos);
  split = EightSamples();
  split.retain = Indices({1, 3, 5, 9});
  EXPECT_NE(MessageOf(split).find("retain index 9 outside [0, 8)"), std::string::npos);
  split = EightSamples();
  split.retain = Indices({1, 3, 5});
  EXPECT_NE(MessageOf(split).find("|D_f| + |D_r| = 7, not its train size 8"), std::string::npos);
  split = EightSamples();
  split.sample = Indices({7, 1, 2, 5});
  EXPECT_NE(MessageOf(split).find("sample index 2, which is not in the retain set"), std::string::npos);
}

}  // namespace
}  // namespace camu::data
