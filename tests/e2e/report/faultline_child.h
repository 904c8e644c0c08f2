// Test helper for the report e2e tests: a temp dir holding a store and run folders, the real
// `faultline` binary run in it as a child (stdout+stderr captured), and sqlite queries on the
// store. The destructor kills a child still running (its zabd nodes die with it: PDEATHSIG) and
// removes the dir, so a failed assertion leaves nothing behind.
#pragma once

#include <string>
#include <vector>

namespace faultline::e2e {

inline const std::string kBin = FAULTLINE_BIN_DIR;
inline const std::string kSource = FAULTLINE_SOURCE_DIR;

class FaultlineSandbox {
 public:
  FaultlineSandbox();
  ~FaultlineSandbox();
  FaultlineSandbox(const FaultlineSandbox&) = delete;
  FaultlineSandbox& operator=(const FaultlineSandbox&) = delete;

  const std::string& dir() const { return dir_; }
  const std::string& store() const { return store_; }
  void set_store(std::string path) { store_ = std::move(path); }

  // Starts `faultline --store S --results DIR args...` in the background.
  void Spawn(std::vector<std::string> args);
  // Waits for the child; returns its exit code (128 + signal when killed).
  int Wait();
  // Spawn + Wait; returns the exit code and sets *out to what it printed.
  int Run(std::vector<std::string> args, std::string* out);
  void Kill(int signal);
  int pid() const { return pid_; }
  std::string Output() const;

  // Rows of `sql` on the store, columns joined by '|' (read-only connection).
  std::vector<std::string> Query(const std::string& sql) const;
  // First column of the first row, "" when none.
  std::string QueryOne(const std::string& sql) const;

 private:
  std::string dir_;
  std::string store_;
  int pid_ = -1;
  int spawned_ = 0;
};

// True when `pid` no longer runs (gone, or a zombie).
bool ProcessGone(int pid);

}  // namespace faultline::e2e
