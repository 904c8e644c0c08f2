// The matrix file (matrix.h): parsing and validation, errors with file:line and the key.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/yaml_repeated_key.h"
#include "harness/matrix/matrix.h"
#include "harness/spec/test_spec.h"
#include "server/core/fault_points.h"

namespace faultline::harness {
namespace {

namespace fs = std::filesystem;

class Parser {
 public:
  Parser(std::string source, std::string dir) : source_(std::move(source)), dir_(std::move(dir)) {}

  Status Error(const YAML::Node& at, const std::string& key, const std::string& what) const {
    const int line = at.IsDefined() ? at.Mark().line + 1 : 0;
    return Status::InvalidArgument(fmt::format("{}:{}: {}: {}", source_, line, key, what));
  }

  Result<int64_t> Int(const YAML::Node& n, const std::string& key, int64_t min, int64_t max) {
    int64_t v = 0;
    if (!n.IsScalar() || !YAML::convert<int64_t>::decode(n, v) || v < min || v > max) {
      return Error(n, key, fmt::format("expected an integer in [{}, {}]", min, max));
    }
    return v;
  }

  Result<int64_t> Duration(const YAML::Node& n, const std::string& key) {
    if (!n.IsScalar()) return Error(n, key, "expected a duration");
    auto v = ParseDurationMs(n.as<std::string>());
    if (!v.ok()) return Error(n, key, std::string(v.status().message()));
    if (*v <= 0) return Error(n, key, "expected a duration > 0");
    return *v;
  }

  // A list of files that must exist (relative to the matrix file's folder).
  Result<std::vector<std::string>> Files(const YAML::Node& n, const std::string& key) {
    std::vector<std::string> out;
    if (!n.IsDefined()) return out;
    if (!n.IsSequence()) return Error(n, key, "expected a list of files");
    for (size_t i = 0; i < n.size(); ++i) {
      const std::string k = fmt::format("{}[{}]", key, i);
      if (!n[i].IsScalar()) return Error(n[i], k, "expected a file name");
      const std::string f = n[i].as<std::string>();
      if (!fs::exists(fs::path(dir_) / f)) {
        return Error(n[i], k, fmt::format("no such file '{}' (relative to {})", f, dir_));
      }
      out.push_back(f);
    }
    return out;
  }

  Status Keys(const YAML::Node& map, const std::string& where, const std::set<std::string>& ok) {
    for (const auto& kv : map) {
      const std::string k = kv.first.as<std::string>();
      if (!ok.count(k)) {
        return Error(kv.first, where.empty() ? k : where + "." + k, "unknown key");
      }
    }
    return Status::Ok();
  }

  Result<MatrixSpec> Parse(const std::string& text) {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      return Status::InvalidArgument(
          fmt::format("{}:{}: not valid YAML: {}", source_, e.mark.line + 1, e.msg));
    }
    if (!root.IsMap()) return Error(root, "(top)", "expected a mapping");
    if (auto repeated = FindRepeatedKey(root)) {
      return Status::InvalidArgument(source_ + ":" + repeated->Describe());
    }
    if (Status s =
            Keys(root, "", {"name", "seeds", "first_seed", "time_limit", "correct", "points"});
        !s.ok()) {
      return s;
    }
    MatrixSpec m;
    m.dir = dir_;
    m.name = root["name"] ? root["name"].as<std::string>() : fs::path(source_).stem().string();
    if (root["seeds"]) {
      auto v = Int(root["seeds"], "seeds", 1, 1000);
      if (!v.ok()) return v.status();
      m.seeds = static_cast<int>(*v);
    }
    if (root["first_seed"]) {
      auto v = Int(root["first_seed"], "first_seed", 1, INT64_MAX);
      if (!v.ok()) return v.status();
      m.first_seed = static_cast<uint64_t>(*v);
    }
    if (root["time_limit"]) {
      auto v = Duration(root["time_limit"], "time_limit");
      if (!v.ok()) return v.status();
      m.time_limit_ms = *v;
    }
    m.correct_seeds = m.seeds;
    if (const YAML::Node c = root["correct"]) {
      if (!c.IsMap()) return Error(c, "correct", "expected {suites: [...], seeds: N}");
      if (Status s = Keys(c, "correct", {"suites", "seeds", "time_limit"}); !s.ok()) return s;
      if (c["time_limit"]) {
        auto v = Duration(c["time_limit"], "correct.time_limit");
        if (!v.ok()) return v.status();
        m.correct_time_limit_ms = *v;
      }
      auto suites = Files(c["suites"], "correct.suites");
      if (!suites.ok()) return suites.status();
      m.correct_suites = *suites;
      if (c["seeds"]) {
        auto v = Int(c["seeds"], "correct.seeds", 1, 1000);
        if (!v.ok()) return v.status();
        m.correct_seeds = static_cast<int>(*v);
      }
    }
    const YAML::Node points = root["points"];
    if (!points || !points.IsSequence() || points.size() == 0) {
      return Error(points ? points : root, "points", "expected a non-empty list");
    }
    std::set<std::string> seen;
    for (size_t i = 0; i < points.size(); ++i) {
      const std::string at = fmt::format("points[{}]", i);
      const YAML::Node p = points[i];
      if (!p.IsMap())
        return Error(p, at, "expected {fault: NAME, suites: [...], scenarios: [...]}");
      if (Status s = Keys(p, at, {"fault", "suites", "scenarios", "time_limit"}); !s.ok()) {
        return s;
      }
      MatrixPoint mp;
      mp.line = p.Mark().line + 1;
      if (!p["fault"] || !p["fault"].IsScalar()) return Error(p, at + ".fault", "required");
      mp.fault = p["fault"].as<std::string>();
      if (!zab::KnownFaults().count(mp.fault)) {
        return Error(p["fault"], at + ".fault",
                     fmt::format("unknown fault point '{}' (known: {})", mp.fault,
                                 zab::JoinFaults(zab::KnownFaults())));
      }
      if (!seen.insert(mp.fault).second) {
        return Error(p["fault"], at + ".fault", fmt::format("'{}' is listed twice", mp.fault));
      }
      auto suites = Files(p["suites"], at + ".suites");
      if (!suites.ok()) return suites.status();
      auto scenarios = Files(p["scenarios"], at + ".scenarios");
      if (!scenarios.ok()) return scenarios.status();
      mp.suites = *suites;
      mp.scenarios = *scenarios;
      if (p["time_limit"]) {
        auto v = Duration(p["time_limit"], at + ".time_limit");
        if (!v.ok()) return v.status();
        mp.time_limit_ms = *v;
      }
      if (mp.suites.empty() && mp.scenarios.empty()) {
        return Error(p, at, "needs at least one suite or scenario");
      }
      m.points.push_back(std::move(mp));
    }
    return m;
  }

 private:
  std::string source_;
  std::string dir_;
};

}  // namespace

Result<MatrixSpec> ParseMatrixSpec(const std::string& yaml_text, const std::string& source,
                                   const std::string& dir) {
  return Parser(source, dir).Parse(yaml_text);
}

Result<MatrixSpec> LoadMatrixSpec(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(fmt::format("{}: cannot read the matrix file", path));
  std::stringstream text;
  text << in.rdbuf();
  std::string dir = fs::path(path).parent_path().string();
  return ParseMatrixSpec(text.str(), path, dir.empty() ? "." : dir);
}

}  // namespace faultline::harness
