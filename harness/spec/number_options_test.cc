// RunIdValidator and SeedValidator (harness/spec/number_options.h).
#include "harness/spec/number_options.h"

#include <gtest/gtest.h>

#include <optional>

namespace faultline::harness {
namespace {

// Parses `--n=TEXT` through `check`; returns CLI11's message ("" when it parsed).
template <typename T>
std::string Parse(const std::string& text, const CLI::Validator& check, std::optional<T>* out) {
  CLI::App app("t");
  app.add_option("--n", *out, "n")->check(check);
  try {
    app.parse(std::vector<std::string>{"--n=" + text});
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  return "";
}

// Found trying `faultline report abc`: a 330-character "Value abc not in range 0.000000 to
// 1797693134862315708145274237317043567980705675258449965989174768...".
TEST(RunIdValidator, AnythingButAPositiveRunIdIsOneShortMessageNamingWhatWasGiven) {
  for (const std::string bad : {"abc", "0", "-1", "1x", " 7", "1.5", "99999999999999999999"}) {
    std::optional<int64_t> run;
    std::string message = Parse(bad, RunIdValidator(), &run);
    EXPECT_NE(message.find("must be a run id (see `faultline runs`), got '" + bad + "'"),
              std::string::npos)
        << message;
    EXPECT_LT(message.size(), 120u) << message;
  }
  std::optional<int64_t> run;
  EXPECT_EQ(Parse("42", RunIdValidator(), &run), "");
  EXPECT_EQ(run, 42);
}

// Found trying `faultline run workloads/quick.yaml --seed -1`: the run started with seed
// 18446744073709551615, and 99999999999999999999999 became the same seed without a word.
TEST(SeedValidator, NegativeOverflowingAndNonDecimalSeedsAreRefusedNamingTheText) {
  for (const std::string bad :
       {"-1", "99999999999999999999999", "18446744073709551616", "1.5", "abc", " 3", "0x10"}) {
    std::optional<uint64_t> seed;
    std::string message = Parse(bad, SeedValidator(), &seed);
    EXPECT_NE(message.find("must be an integer in 0..18446744073709551615, got '" + bad + "'"),
              std::string::npos)
        << bad << ": " << message;
  }
  for (const auto& [text, value] :
       {std::pair<std::string, uint64_t>{"0", 0}, {"7", 7}, {"18446744073709551615", UINT64_MAX}}) {
    std::optional<uint64_t> seed;
    EXPECT_EQ(Parse(text, SeedValidator(), &seed), "") << text;
    EXPECT_EQ(seed, value) << text;
  }
}

}  // namespace
}  // namespace faultline::harness
