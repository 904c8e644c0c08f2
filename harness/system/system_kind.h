// SystemKind: one registered kind of system (zabd, zookeeper, etcd, fake) as data: its name, its
// read modes, its system-specific spec keys with their types and ranges, and a factory. The
// registry (harness/systems/registry.h) lists every kind; the spec parser collects the keys of a
// `system:` section and ValidateSystemSpec checks them against the kind's table, so a misspelt
// or out-of-range key is an error with its line before anything starts.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "harness/system/system.h"

namespace faultline::harness {

struct SystemOptionSpec {
  enum class Type { kString, kInt, kBool, kStringList };
  std::string key;
  Type type = Type::kString;
  int64_t min = 0, max = 0;  // kInt only: inclusive range
  std::string help;          // one line, for error messages and `faultline systems`
};

// A validated system section, handed to the factory. Option values are checked against their
// SystemOptionSpec; absent keys are absent.
struct SystemConfig {
  std::string kind;
  int nodes = 3;
  std::string read_mode;  // never empty: the spec's, or the kind's default
  std::map<std::string, std::vector<std::string>> options;
  // Where relative paths in options are resolved (the spec file's folder), and the folder of the
  // running faultline binary (programs shipped beside it, e.g. zabd).
  std::string spec_dir = ".";
  std::string bin_dir;

  std::string String(const std::string& key, const std::string& fallback) const;
  int64_t Int(const std::string& key, int64_t fallback) const;
  bool Bool(const std::string& key, bool fallback) const;
  std::vector<std::string> List(const std::string& key) const;
};

struct SystemKind {
  std::string name;
  std::string description;              // one line
  std::vector<std::string> read_modes;  // the first is the default
  std::vector<SystemOptionSpec> options;
  std::function<Result<std::unique_ptr<System>>(const SystemConfig&)> create;
};

}  // namespace faultline::harness
