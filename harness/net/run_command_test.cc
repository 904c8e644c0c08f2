#include "harness/net/run_command.h"

#include <gtest/gtest.h>

namespace faultline::harness {
namespace {

TEST(RunCommandTest, ACommandThatExitsZeroIsOk) { EXPECT_TRUE(RunCommand({"true"}).ok()); }

TEST(RunCommandTest, ANonZeroExitIsAnIoErrorNamingTheCommandAndItsStderr) {
  Status s = RunCommand({"sh", "-c", "echo broken >&2; exit 3"});
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find("exited with 3"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("broken"), std::string::npos) << s.message();
}

TEST(RunCommandTest, AMissingToolIsNotFound) {
  EXPECT_EQ(RunCommand({"faultline-no-such-tool"}).code(), StatusCode::kNotFound);
  EXPECT_EQ(RunCommand({}).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace faultline::harness
