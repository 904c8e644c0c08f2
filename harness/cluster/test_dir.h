// TempDir: a fresh directory under $TMPDIR (or /tmp) removed with everything in it when the object
// dies, so tests clean up even when an assertion fails. Not thread-safe.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace faultline::harness {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "faultline") {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        (std::filesystem::path(base != nullptr ? base : "/tmp") / (prefix + "-XXXXXX")).string();
    path_ = ::mkdtemp(pattern.data()) != nullptr ? pattern : std::string();
  }
  // FAULTLINE_KEEP_TEST_DIRS=1 keeps the directory (node logs) for a post-mortem.
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty() && std::getenv("FAULTLINE_KEEP_TEST_DIRS") == nullptr) {
      std::filesystem::remove_all(path_, ec);
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace faultline::harness
