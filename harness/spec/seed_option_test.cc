// SeedValidator: the --seed flag of run and suite.
#include "harness/spec/seed_option.h"

#include <gtest/gtest.h>

#include <optional>

namespace faultline::harness {
namespace {

std::string ParseSeed(const std::string& text, std::optional<uint64_t>* seed) {
  CLI::App app("t");
  app.add_option("--seed", *seed, "seed")->check(SeedValidator());
  try {
    app.parse(std::vector<std::string>{"--seed=" + text});
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  return "";
}

// Found trying `faultline run workloads/quick.yaml --seed -1`: the run started with seed
// 18446744073709551615, and 99999999999999999999999 became the same seed without a word.
TEST(SeedValidator, NegativeOverflowingAndNonDecimalSeedsAreRefusedNamingTheText) {
  for (const std::string bad :
       {"-1", "99999999999999999999999", "18446744073709551616", "1.5", "abc", " 3", "0x10"}) {
    std::optional<uint64_t> seed;
    std::string message = ParseSeed(bad, &seed);
    EXPECT_NE(message.find("must be an integer in 0..18446744073709551615, got '" + bad + "'"),
              std::string::npos)
        << bad << ": " << message;
  }
  for (const auto& [text, value] :
       {std::pair<std::string, uint64_t>{"0", 0}, {"7", 7}, {"18446744073709551615", UINT64_MAX}}) {
    std::optional<uint64_t> seed;
    EXPECT_EQ(ParseSeed(text, &seed), "") << text;
    EXPECT_EQ(seed, value) << text;
  }
}

}  // namespace
}  // namespace faultline::harness
