// RunIdValidator: the run-id argument of show, report, shrink, replay and sim --from-run.
#include "harness/history/run_id_option.h"

#include <gtest/gtest.h>

namespace faultline::harness {
namespace {

// Parses `faultline-like RUN` and returns CLI11's message ("" when it parsed).
std::string ParseRun(const std::string& text, int64_t* run) {
  CLI::App app("t");
  app.add_option("run", *run, "run id")->required()->check(RunIdValidator());
  try {
    app.parse(std::vector<std::string>{text});
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  return "";
}

// Found trying `faultline report abc`: a 330-character "Value abc not in range 0.000000 to
// 1797693134862315708145274237317043567980705675258449965989174768...".
TEST(RunIdValidator, AnythingButAPositiveRunIdIsOneShortMessageNamingWhatWasGiven) {
  for (const std::string bad : {"abc", "0", "-1", "1x", " 7", "1.5", "99999999999999999999", ""}) {
    int64_t run = 0;
    std::string message = ParseRun(bad, &run);
    EXPECT_NE(message.find("must be a run id (see `faultline runs`), got '" + bad + "'"),
              std::string::npos)
        << message;
    EXPECT_LT(message.size(), 120u) << message;
  }
  int64_t run = 0;
  EXPECT_EQ(ParseRun("42", &run), "");
  EXPECT_EQ(run, 42);
}

}  // namespace
}  // namespace faultline::harness
