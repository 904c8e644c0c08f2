#include "harness/suite/suite_plan.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "common/yaml_repeated_key.h"
#include "harness/systems/registry.h"

namespace faultline::harness::suite {
namespace {

namespace fs = std::filesystem;

// Systems faultline knows of, registered in this build or not: a suite naming one that this build
// lacks skips its cases (a nightly written for every system still runs where only zabd is built);
// any other name is a typo and an error.
const std::set<std::string>& KnownSystemNames() {
  static const std::set<std::string> names = {"zabd", "zookeeper", "etcd", "fake"};
  return names;
}

struct PlanError {
  std::string message;
};

// Overrides at one level (defaults, a matrix, an axis value, a list entry), with the line of each
// key so that an error found when it is applied names where it was written.
struct Overrides {
  SpecOverrides spec;
  std::optional<std::string> system;
  std::map<std::string, int> lines;  // key -> 1-based line

  // `later` wins key by key.
  void Merge(const Overrides& later) {
    auto take = [](auto& mine, const auto& theirs) {
      if (theirs) mine = theirs;
    };
    take(spec.time_limit, later.spec.time_limit);
    take(spec.seed, later.spec.seed);
    take(spec.nodes, later.spec.nodes);
    take(spec.concurrency, later.spec.concurrency);
    take(spec.nemesis, later.spec.nemesis);
    take(spec.net, later.spec.net);
    take(spec.read_mode, later.spec.read_mode);
    take(system, later.system);
    for (const auto& [k, l] : later.lines) lines[k] = l;
  }
};

const std::vector<std::string>& OverrideKeys() {
  static const std::vector<std::string> keys = {"time_limit", "seed", "nodes",     "concurrency",
                                                "nemesis",    "net",  "read_mode", "system"};
  return keys;
}

std::string Join(const std::vector<std::string>& v, const std::string& sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

class Parser {
 public:
  Parser(std::string source, std::string base_dir, const PlanOptions& options)
      : source_(std::move(source)), base_dir_(std::move(base_dir)), options_(options) {}

  SuitePlan Parse(const std::string& text) {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      throw PlanError{fmt::format("{}:{}: {}", source_, e.mark.line + 1, e.msg)};
    }
    if (!root.IsMap()) Fail(root, "(top level)", "expected a mapping (name, tests, matrix, ...)");
    if (auto repeated = FindRepeatedKey(root))
      throw PlanError{source_ + ":" + repeated->Describe()};
    plan_.file = source_;
    plan_.name = fs::path(source_).stem().string();
    // Scalars first: the cases below need test_count, seed and defaults whatever the key order.
    for (const auto& kv : root) {
      const std::string key = kv.first.as<std::string>();
      const YAML::Node& v = kv.second;
      if (key == "name") {
        plan_.name = Scalar(v, key);
      } else if (key == "seed") {
        plan_.seed = Unsigned(v, key);
      } else if (key == "test_count") {
        plan_.test_count = static_cast<int>(Int(v, key, 1, 1000));
      } else if (key == "defaults") {
        defaults_ = ReadOverrides(v, key, {});
      } else if (key != "tests" && key != "matrix") {
        Fail(kv.first, key, "unknown key (name, seed, test_count, defaults, tests, matrix)");
      }
    }
    if (options_.test_count) plan_.test_count = *options_.test_count;
    if (options_.seed) plan_.seed = *options_.seed;
    for (const auto& kv : root) {
      const std::string key = kv.first.as<std::string>();
      if (key == "matrix") {
        if (kv.second.IsSequence()) {
          for (size_t i = 0; i < kv.second.size(); ++i) {
            Matrix(kv.second[i], fmt::format("matrix[{}]", i));
          }
        } else {
          Matrix(kv.second, "matrix");
        }
      } else if (key == "tests") {
        if (!kv.second.IsSequence()) Fail(kv.second, key, "expected a list of tests");
        for (size_t i = 0; i < kv.second.size(); ++i) {
          Entry(kv.second[i], fmt::format("tests[{}]", i));
        }
      }
    }
    if (bases_.empty()) Fail(root, "(top level)", "no tests: give `tests:` or `matrix:`");
    Expand();
    return std::move(plan_);
  }

 private:
  // One case before repetitions.
  struct Base {
    SuiteCase c;
    int count = 1;
  };

  [[noreturn]] void Fail(const YAML::Node& at, const std::string& key,
                         const std::string& what) const {
    throw PlanError{fmt::format("{}:{}: {}: {}", source_, at.Mark().line + 1, key, what)};
  }

  std::string Scalar(const YAML::Node& v, const std::string& key) const {
    if (!v.IsScalar()) Fail(v, key, "expected a scalar");
    return v.as<std::string>();
  }

  int64_t Int(const YAML::Node& v, const std::string& key, int64_t min, int64_t max) const {
    std::string s = Scalar(v, key);
    int64_t n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || p != s.data() + s.size()) {
      Fail(v, key, fmt::format("expected an integer, got '{}'", s));
    }
    if (n < min || n > max) Fail(v, key, fmt::format("must be in {}..{}", min, max));
    return n;
  }

  uint64_t Unsigned(const YAML::Node& v, const std::string& key) const {
    std::string s = Scalar(v, key);
    uint64_t n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || p != s.data() + s.size()) {
      Fail(v, key, fmt::format("expected a non-negative integer, got '{}'", s));
    }
    return n;
  }

  // A nemesis value: "kill,pause", [kill, pause], none.
  std::string NemesisText(const YAML::Node& v, const std::string& key) const {
    if (v.IsSequence()) {
      std::vector<std::string> kinds;
      for (size_t i = 0; i < v.size(); ++i) {
        kinds.push_back(Scalar(v[i], fmt::format("{}[{}]", key, i)));
      }
      return kinds.empty() ? "none" : Join(kinds, ",");
    }
    return Scalar(v, key);
  }

  // Reads the override keys of mapping `node` (path `path`); keys in `extra` are left to the
  // caller; any other key is an error.
  Overrides ReadOverrides(const YAML::Node& node, const std::string& path,
                          const std::set<std::string>& extra) const {
    if (!node.IsMap()) Fail(node, path, "expected a mapping");
    Overrides o;
    for (const auto& kv : node) {
      const std::string key = kv.first.as<std::string>();
      const std::string at = path + "." + key;
      const YAML::Node& v = kv.second;
      if (extra.count(key)) continue;
      if (key == "time_limit") {
        o.spec.time_limit = Scalar(v, at);
      } else if (key == "seed") {
        o.spec.seed = Unsigned(v, at);
      } else if (key == "nodes") {
        o.spec.nodes = static_cast<int>(Int(v, at, 1, 1000));
      } else if (key == "concurrency") {
        o.spec.concurrency = static_cast<int>(Int(v, at, 1, 1000000));
      } else if (key == "nemesis") {
        o.spec.nemesis = NemesisText(v, at);
      } else if (key == "net") {
        o.spec.net = Scalar(v, at);
      } else if (key == "read_mode") {
        o.spec.read_mode = Scalar(v, at);
      } else if (key == "system") {
        o.system = Scalar(v, at);
        CheckSystemName(v, at, *o.system);
      } else {
        std::vector<std::string> keys(extra.begin(), extra.end());
        keys.insert(keys.end(), OverrideKeys().begin(), OverrideKeys().end());
        Fail(kv.first, at, fmt::format("unknown key ({})", Join(keys)));
      }
      o.lines[key] = kv.first.Mark().line + 1;
    }
    return o;
  }

  void CheckSystemName(const YAML::Node& at, const std::string& key,
                       const std::string& name) const {
    if (!KnownSystemNames().count(name)) {
      std::vector<std::string> names(KnownSystemNames().begin(), KnownSystemNames().end());
      Fail(at, key, fmt::format("unknown system '{}' (one of {})", name, Join(names)));
    }
  }

  std::string Resolve(const std::string& file) const {
    fs::path p(file);
    if (p.is_relative() && !base_dir_.empty()) p = fs::path(base_dir_) / p;
    return p.lexically_normal().string();
  }

  // Builds a test case from `file` with `o` applied; errors are reported at `at` / `path`.
  // Override errors are reported under `override_path` (where the overrides were written).
  SuiteCase TestCase(const YAML::Node& at, const std::string& path, const std::string& file,
                     Overrides o, const std::string& override_path) const {
    SuiteCase c;
    c.kind = CaseKind::kTest;
    c.file = Resolve(file);
    c.line = at.Mark().line + 1;
    Result<TestSpec> spec = LoadTestSpec(c.file);
    if (!spec.ok()) {
      Fail(at, path,
           spec.status().code() == StatusCode::kNotFound
               ? fmt::format("cannot read test file {}", c.file)
               : spec.status().message());
    }
    c.spec = std::move(spec).value();
    c.system = o.system.value_or(c.spec.system.kind);
    if (FindSystemKind(c.system) == nullptr) {
      CheckSystemName(at, path, c.system);
      c.skip_reason = fmt::format("system {} is not part of this faultline build", c.system);
    } else if (c.system != c.spec.system.kind) {
      if (Result<std::vector<std::string>> dropped = OverrideSystemKind(c.system, &c.spec);
          !dropped.ok()) {
        Fail(at, path, dropped.status().message());
      }
    }
    Status applied = ApplyOverrides(o.spec, &c.spec);
    if (!applied.ok()) {
      // "--time-limit: must be > 0" -> "suite.yaml:7: tests[2].time_limit: must be > 0".
      std::string msg = applied.message();
      std::string key;
      if (msg.rfind("--", 0) == 0 && msg.find(':') != std::string::npos) {
        key = msg.substr(2, msg.find(':') - 2);
        std::replace(key.begin(), key.end(), '-', '_');
        msg = msg.substr(msg.find(':') + 2);
      }
      int line = o.lines.count(key) ? o.lines.at(key) : c.line;
      throw PlanError{fmt::format("{}:{}: {}{}: {} (test {})", source_, line, override_path,
                                  key.empty() ? "" : "." + key, msg, c.file)};
    }
    if (c.skip_reason.empty()) {
      if (Status s = ValidateSystemSpec(c.spec); !s.ok()) {
        Fail(at, path, fmt::format("{} (test {} on system {})", s.message(), c.file, c.system));
      }
    }
    c.nodes = c.spec.system.nodes;
    c.nemesis = o.spec.nemesis ? *o.spec.nemesis : "";
    if (o.spec.seed) c.seed = *o.spec.seed;
    return c;
  }

  std::string NemesisLabel(const std::string& nemesis) const {
    std::string label = nemesis.empty() ? "none" : nemesis;
    std::replace(label.begin(), label.end(), ',', '+');
    return label;
  }

  void Add(Base b, const YAML::Node& at, const std::string& path) {
    auto [it, fresh] = names_.emplace(b.c.name, b.c.line);
    if (!fresh) {
      Fail(at, path,
           fmt::format("test name '{}' is already used at line {} (give a `name:`)", b.c.name,
                       it->second));
    }
    bases_.push_back(std::move(b));
  }

  void Matrix(const YAML::Node& m, const std::string& path) {
    Overrides level = defaults_;
    level.Merge(ReadOverrides(m, path, {"tests", "nodes", "systems", "nemeses"}));
    YAML::Node tests = m["tests"];
    if (!tests || !tests.IsSequence() || tests.size() == 0) {
      Fail(m, path + ".tests", "a matrix needs `tests:`, a list of test files");
    }
    // Axes: absent = one "keep the test's own" value (set = false).
    struct Value {
      YAML::Node node;
      std::string text;
      bool set = false;
    };
    auto axis = [&](const char* key) {
      std::vector<Value> out;
      YAML::Node a = m[key];
      if (!a) return std::vector<Value>{Value{}};
      if (!a.IsSequence() || a.size() == 0) Fail(a, path + "." + key, "expected a non-empty list");
      for (size_t i = 0; i < a.size(); ++i) {
        const std::string at = fmt::format("{}.{}[{}]", path, key, i);
        out.push_back(Value{
            a[i], std::string(key) == "nemeses" ? NemesisText(a[i], at) : Scalar(a[i], at), true});
      }
      return out;
    };
    auto nodes = axis("nodes"), systems = axis("systems"), nemeses = axis("nemeses");
    const bool has_nemeses = nemeses.front().set;
    for (size_t t = 0; t < tests.size(); ++t) {
      const std::string tpath = fmt::format("{}.tests[{}]", path, t);
      const std::string file = Scalar(tests[t], tpath);
      for (size_t ne = 0; ne < nemeses.size(); ++ne) {
        for (size_t n = 0; n < nodes.size(); ++n) {
          for (size_t s = 0; s < systems.size(); ++s) {
            Overrides o = level;
            Overrides axis_values;
            if (nodes[n].set) {
              axis_values.spec.nodes = static_cast<int>(
                  Int(nodes[n].node, fmt::format("{}.nodes[{}]", path, n), 1, 1000));
              axis_values.lines["nodes"] = nodes[n].node.Mark().line + 1;
            }
            if (systems[s].set) {
              CheckSystemName(systems[s].node, fmt::format("{}.systems[{}]", path, s),
                              systems[s].text);
              axis_values.system = systems[s].text;
              axis_values.lines["system"] = systems[s].node.Mark().line + 1;
            }
            if (nemeses[ne].set) {
              axis_values.spec.nemesis = nemeses[ne].text;
              axis_values.lines["nemesis"] = nemeses[ne].node.Mark().line + 1;
            }
            o.Merge(axis_values);
            Base b;
            b.c = TestCase(tests[t], tpath, file, o, tpath);
            b.c.name = b.c.spec.name + (has_nemeses ? "-" + NemesisLabel(nemeses[ne].text) : "") +
                       fmt::format("-{}n-{}", b.c.nodes, b.c.system);
            b.count = plan_.test_count;
            Add(std::move(b), tests[t], tpath);
          }
        }
      }
    }
  }

  void Entry(const YAML::Node& e, const std::string& path) {
    if (!e.IsMap()) Fail(e, path, "expected a mapping with `test:` or `scenario:`");
    const bool is_test = static_cast<bool>(e["test"]),
               is_scenario = static_cast<bool>(e["scenario"]);
    if (is_test == is_scenario) {
      Fail(e, path, "give exactly one of `test:` (a test file) or `scenario:` (a scenario file)");
    }
    Base b;
    b.count = plan_.test_count;
    if (YAML::Node count = e["count"]; count && !options_.test_count) {
      b.count = static_cast<int>(Int(count, path + ".count", 1, 1000));
    }
    std::string name = e["name"] ? Scalar(e["name"], path + ".name") : "";
    if (is_test) {
      Overrides o = defaults_;
      o.Merge(ReadOverrides(e, path, {"test", "name", "count"}));
      b.c = TestCase(e["test"], path + ".test", Scalar(e["test"], path + ".test"), o, path);
      b.c.name =
          name.empty() ? fmt::format("{}-{}n-{}", b.c.spec.name, b.c.nodes, b.c.system) : name;
    } else {
      Overrides o = ReadOverrides(e, path, {"scenario", "name", "count"});
      for (const auto& [key, line] : o.lines) {
        if (key != "system") {
          throw PlanError{fmt::format(
              "{}:{}: {}.{}: a scenario runs as written; only name, count and system apply",
              source_, line, path, key)};
        }
      }
      SuiteCase& c = b.c;
      c.kind = CaseKind::kScenario;
      c.file = Resolve(Scalar(e["scenario"], path + ".scenario"));
      c.line = e["scenario"].Mark().line + 1;
      std::error_code ec;
      if (!fs::is_regular_file(c.file, ec)) {
        Fail(e["scenario"], path + ".scenario",
             fmt::format("cannot read scenario file {}", c.file));
      }
      c.system = "zabd";
      if (options_.scenario_system) {
        Result<std::string> system = options_.scenario_system(c.file);
        if (!system.ok()) Fail(e["scenario"], path + ".scenario", system.status().message());
        c.system = *system;
      }
      if (o.system) c.system = *o.system;
      if (FindSystemKind(c.system) == nullptr) {
        CheckSystemName(e["scenario"], path + ".scenario", c.system);
        c.skip_reason = fmt::format("system {} is not part of this faultline build", c.system);
      }
      c.name = name.empty() ? "scenario-" + fs::path(c.file).stem().string() : name;
    }
    Add(std::move(b), e, path);
  }

  // Repetitions, round-major (every case once, then every case a second time, ...), seeds, the
  // installed probe.
  void Expand() {
    int rounds = 0;
    for (const Base& b : bases_) rounds = std::max(rounds, b.count);
    std::map<std::string, Status> probed;  // system -> installed?
    for (int r = 1; r <= rounds; ++r) {
      for (const Base& b : bases_) {
        if (b.count < r) continue;
        SuiteCase c = b.c;
        c.repetition = r;
        if (b.count > 1) c.name += fmt::format("#{}", r);
        c.position = static_cast<int64_t>(plan_.cases.size());
        if (c.kind == CaseKind::kTest) {
          if (c.seed == 0 && plan_.seed) c.seed = DeriveCaseSeed(*plan_.seed, c.name);
          if (c.seed == 0) c.seed = c.spec.seed;
          c.spec.seed = c.seed;
          // The run's suite name is the case's without "#r": repetitions group together in
          // `faultline trends` (same suite, same spec apart from the seed).
          c.spec.name = b.c.name;
          if (c.nemesis.empty()) {
            // The test's own faults, for the table.
            std::string kinds = NemesisOf(c.spec);
            c.nemesis = kinds.empty() ? "none" : kinds;
          }
        }
        if (c.skip_reason.empty() && options_.installed) {
          auto it = probed.find(c.system);
          if (it == probed.end()) {
            TestSpec probe_spec = c.kind == CaseKind::kTest ? c.spec : TestSpec{};
            probe_spec.system.kind = c.system;
            it = probed.emplace(c.system, options_.installed(probe_spec)).first;
          }
          if (!it->second.ok()) c.skip_reason = it->second.message();
        }
        plan_.cases.push_back(std::move(c));
      }
    }
  }

  // The fault kinds of a spec as written (generated kinds, else the explicit schedule's), from
  // its stored YAML so that this does not depend on how the spec types them.
  static std::string NemesisOf(const TestSpec& spec) {
    YAML::Node n;
    try {
      n = YAML::Load(SpecToYaml(spec))["nemesis"];
    } catch (const YAML::Exception&) {
      return "";
    }
    if (!n || !n.IsMap()) return "";
    std::vector<std::string> kinds;
    auto add = [&](const std::string& k) {
      if (std::find(kinds.begin(), kinds.end(), k) == kinds.end()) kinds.push_back(k);
    };
    if (n["kinds"] && n["kinds"].IsSequence()) {
      for (const auto& k : n["kinds"]) add(k.as<std::string>());
    }
    if (n["schedule"] && n["schedule"].IsSequence()) {
      for (const auto& f : n["schedule"]) {
        if (f.IsMap() && f["kind"]) add(f["kind"].as<std::string>());
      }
    }
    return Join(kinds, ",");
  }

  std::string source_;
  std::string base_dir_;
  const PlanOptions& options_;
  SuitePlan plan_;
  Overrides defaults_;
  std::vector<Base> bases_;
  std::map<std::string, int> names_;  // case name -> line
};

}  // namespace

const char* CaseKindName(CaseKind kind) { return kind == CaseKind::kTest ? "test" : "scenario"; }

Result<SuitePlan> ParseSuitePlan(const std::string& yaml_text, const std::string& source,
                                 const std::string& base_dir, const PlanOptions& options) {
  try {
    return Parser(source, base_dir, options).Parse(yaml_text);
  } catch (const PlanError& e) {
    return Status::InvalidArgument(e.message);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(fmt::format("{}:{}: {}", source, e.mark.line + 1, e.msg));
  }
}

Result<SuitePlan> LoadSuitePlan(const std::string& path, const PlanOptions& options) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(fmt::format("cannot read suite {}", path));
  std::stringstream text;
  text << in.rdbuf();
  return ParseSuitePlan(text.str(), path, fs::path(path).parent_path().string(), options);
}

Result<Shard> ParseShard(const std::string& text) {
  Shard s;
  size_t slash = text.find('/');
  auto num = [](std::string_view v, int* out) {
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), *out);
    return ec == std::errc() && p == v.data() + v.size() && !v.empty();
  };
  if (slash == std::string::npos || !num(std::string_view(text).substr(0, slash), &s.index) ||
      !num(std::string_view(text).substr(slash + 1), &s.count)) {
    return Status::InvalidArgument(
        fmt::format("--shard: expected I/N (e.g. 2/4: the second of four shares), got '{}'", text));
  }
  if (s.count < 1 || s.count > 1000 || s.index < 1 || s.index > s.count) {
    return Status::InvalidArgument(
        fmt::format("--shard {}: need 1 <= I <= N <= 1000 (shards are numbered from 1)", text));
  }
  return s;
}

std::vector<SuiteCase> ShardCases(const SuitePlan& plan, Shard shard) {
  std::vector<SuiteCase> out;
  for (const SuiteCase& c : plan.cases) {
    if (c.position % shard.count == shard.index - 1) out.push_back(c);
  }
  return out;
}

uint64_t DeriveCaseSeed(uint64_t base, const std::string& name) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char ch : name) h = (h ^ ch) * 1099511628211ull;
  uint64_t z = base ^ h;  // splitmix64 finalizer
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  z &= (uint64_t{1} << 53) - 1;  // exact in JSON readers and SQLite INTEGER
  return z == 0 ? 1 : z;
}

std::vector<std::string> CutScheduleNotes(const std::vector<SuiteCase>& cases) {
  std::vector<std::string> notes;
  for (const SuiteCase& c : cases) {
    if (c.kind != CaseKind::kTest) continue;
    if (std::string cut = CutScheduleNote(c.spec); !cut.empty())
      notes.push_back(c.name + ": " + cut);
  }
  return notes;
}

}  // namespace faultline::harness::suite
