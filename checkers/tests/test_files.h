// Test helper: the project's own test data (testdata/, beside the sources). Tests only.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace faultline::checkers::testing {

inline const std::filesystem::path kTestdata = FAULTLINE_SOURCE_DIR "/testdata";

// The whole file ("" when it cannot be read: the test's own checks then fail on the content).
inline std::string ReadTestFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace faultline::checkers::testing
