#include "harness/spec/test_spec.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <type_traits>

#include "common/yaml_repeated_key.h"

namespace faultline::harness {
namespace {

// Parsing is a process edge (common/status.h): yaml-cpp throws, and so do the helpers below. One
// catch in ParseTestSpec turns every throw into an InvalidArgument Status.
struct SpecError {
  std::string message;
};

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Walks one YAML mapping, remembering which keys were consumed so that Finish() can report the
// first unknown one (a misspelt key must not silently fall back to a default).
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string path, const std::string& source)
      : node_(node), path_(std::move(path)), source_(source) {
    if (!node_.IsMap()) Fail(node_, path_, "expected a mapping");
  }

  [[noreturn]] void Fail(const YAML::Node& at, const std::string& key,
                         const std::string& what) const {
    throw SpecError{fmt::format("{}:{}: {}: {}", source_, at.Mark().line + 1,
                                key.empty() ? "(top level)" : key, what)};
  }

  std::string Path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  // Returns the child, or an undefined node when absent.
  YAML::Node Get(const std::string& key) {
    used_.insert(key);
    const YAML::Node& node = node_;  // const lookup never inserts
    return node[key];
  }

  template <typename T>
  void Read(const std::string& key, T* out) {
    YAML::Node child = Get(key);
    if (!child) return;
    if (!child.IsScalar()) Fail(child, Path(key), "expected a scalar");
    try {
      *out = child.as<T>();
    } catch (const YAML::Exception&) {
      if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        const std::string& text = child.Scalar();
        const size_t digits = text.find_first_not_of("0123456789", text[0] == '-' ? 1 : 0);
        if (!text.empty() && digits == std::string::npos && text != "-") {
          Fail(child, Path(key), fmt::format("'{}' is out of range", text));
        }
      }
      Fail(child, Path(key), fmt::format("wrong type: '{}'", child.Scalar()));
    }
  }

  void ReadDuration(const std::string& key, int64_t* out_ms) {
    YAML::Node child = Get(key);
    if (!child) return;
    if (!child.IsScalar()) Fail(child, Path(key), "expected a duration such as 10s or 250ms");
    Result<int64_t> ms = ParseDurationMs(child.Scalar());
    if (!ms.ok()) Fail(child, Path(key), ms.status().message());
    *out_ms = *ms;
  }

  void ReadNames(const std::string& key, const std::vector<std::string>& allowed,
                 const std::string& what, std::vector<std::string>* out) {
    ReadTyped(
        key,
        [&](const std::string& name) -> Result<std::string> {
          if (!allowed.empty() && !Contains(allowed, name)) {
            return Status::InvalidArgument(
                fmt::format("unknown {} '{}' (one of {})", what, name, Join(allowed)));
          }
          return name;
        },
        out);
  }

  // A list of names, each turned into a value by `parse` (errors carry the item's line).
  template <typename T, typename Parse>
  void ReadTyped(const std::string& key, Parse parse, std::vector<T>* out) {
    YAML::Node child = Get(key);
    if (!child) return;
    if (!child.IsSequence()) Fail(child, Path(key), "expected a list");
    out->clear();
    for (size_t i = 0; i < child.size(); ++i) {
      const YAML::Node item = child[i];
      std::string item_path = fmt::format("{}[{}]", Path(key), i);
      if (!item.IsScalar()) Fail(item, item_path, "expected a name");
      auto value = parse(item.Scalar());
      if (!value.ok()) Fail(item, item_path, value.status().message());
      out->push_back(*value);
    }
  }

  void Finish() const {
    for (const auto& kv : node_) {
      std::string key = kv.first.Scalar();
      if (!used_.count(key)) Fail(kv.first, Path(key), "unknown key");
    }
  }

  const std::string& source() const { return source_; }

 private:
  YAML::Node node_;
  std::string path_;
  const std::string& source_;
  std::set<std::string> used_;
};

void Check(bool ok, const MapReader& r, const YAML::Node& at, const std::string& key,
           const std::string& what) {
  if (!ok) r.Fail(at, key, what);
}

// The generic keys here; every other key is collected for the system's own table (registry).
void ParseSystem(const YAML::Node& node, const std::string& source, SystemSpec* s) {
  MapReader r(node, "system", source);
  s->line = node.Mark().line + 1;
  r.Read("kind", &s->kind);
  Check(!s->kind.empty(), r, r.Get("kind"), "system.kind", "must not be empty");
  r.Read("nodes", &s->nodes);
  Check(s->nodes == 3 || s->nodes == 5, r, r.Get("nodes"), "system.nodes", "must be 3 or 5");
  r.Read("read_mode", &s->read_mode);
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    if (key == "kind" || key == "nodes" || key == "read_mode") continue;
    (void)r.Get(key);  // consumed: validated by the system registry
    SystemOption option;
    option.line = kv.first.Mark().line + 1;
    const YAML::Node& value = kv.second;
    if (value.IsScalar()) {
      option.values = {value.Scalar()};
    } else if (value.IsSequence()) {
      option.is_list = true;
      for (size_t i = 0; i < value.size(); ++i) {
        if (!value[i].IsScalar()) {
          r.Fail(value[i], fmt::format("system.{}[{}]", key, i), "expected a scalar");
        }
        option.values.push_back(value[i].Scalar());
      }
    } else {
      r.Fail(value, "system." + key, "expected a scalar or a list");
    }
    s->options[key] = std::move(option);
  }
  r.Finish();
}

void ParseWorkload(const YAML::Node& node, const std::string& source, WorkloadSpec* w) {
  MapReader r(node, "workload", source);
  std::string type = "register";
  r.Read("type", &type);
  if (type == "register") {
    w->kind = WorkloadKind::kRegister;
  } else if (type == "set") {
    w->kind = WorkloadKind::kSet;
  } else {
    r.Fail(r.Get("type"), "workload.type",
           fmt::format("unknown workload '{}' (register, set)", type));
  }
  r.Read("keys", &w->keys);
  Check(w->keys >= 1 && w->keys <= 100000, r, r.Get("keys"), "workload.keys",
        "must be in 1..100000");
  r.Read("final_read_attempts", &w->final_read_attempts);
  Check(w->final_read_attempts >= 1, r, r.Get("final_read_attempts"),
        "workload.final_read_attempts", "must be >= 1");
  if (YAML::Node mix = r.Get("mix")) {
    MapReader m(mix, "workload.mix", source);
    w->read_weight = w->write_weight = w->cas_weight = 0;
    m.Read("read", &w->read_weight);
    m.Read("write", &w->write_weight);
    m.Read("cas", &w->cas_weight);
    m.Finish();
    for (double x : {w->read_weight, w->write_weight, w->cas_weight}) {
      Check(x >= 0 && std::isfinite(x), r, mix, "workload.mix", "weights must be >= 0");
    }
    Check(w->write_weight > 0, r, mix, "workload.mix", "write weight must be > 0");
  }
  r.Finish();
}

// An explicit target must name nodes that exist (a fault aimed at node 7 of 3 is a spec error,
// never a silent skip at run time).
std::string MissingNode(const Target& target, int nodes) {
  for (NodeId id : target.ids) {
    if (id > nodes) return fmt::format("node {} does not exist (system.nodes is {})", id, nodes);
  }
  return "";
}

void ParseNemesis(const YAML::Node& node, const std::string& source, int nodes, NemesisSpec* n) {
  MapReader r(node, "nemesis", source);
  r.ReadTyped(
      "kinds", [](const std::string& v) { return ParseFaultKind(v); }, &n->kinds);
  // Generated faults draw their target from these: a named target or an explicit node list
  // ("1", "1,3"), as in an explicit schedule; the nodes must exist.
  r.ReadTyped(
      "targets",
      [nodes](const std::string& v) -> Result<Target> {
        Result<Target> t = ParseTarget(v);
        if (!t.ok()) return t.status();
        if (std::string missing = MissingNode(*t, nodes); !missing.empty()) {
          return Status::InvalidArgument(missing);
        }
        return t;
      },
      &n->targets);
  r.ReadTyped(
      "shapes", [](const std::string& v) { return ParsePartitionShape(v); }, &n->shapes);
  r.ReadDuration("interval", &n->interval_ms);
  Check(n->interval_ms > 0, r, r.Get("interval"), "nemesis.interval", "must be > 0");
  r.ReadDuration("interval_jitter", &n->interval_jitter_ms);  // 0 = none
  Check(n->interval_jitter_ms >= 0, r, r.Get("interval_jitter"), "nemesis.interval_jitter",
        "must be >= 0");
  r.ReadDuration("duration", &n->duration_ms);
  Check(n->duration_ms > 0, r, r.Get("duration"), "nemesis.duration", "must be > 0");
  r.ReadDuration("delay", &n->delay_ms);
  Check(n->delay_ms > 0, r, r.Get("delay"), "nemesis.delay", "must be > 0");
  r.Read("loss", &n->loss);
  Check(n->loss > 0 && n->loss <= 1, r, r.Get("loss"), "nemesis.loss", "must be in (0, 1]");
  r.ReadDuration("link_delay", &n->link_delay_ms);  // 0 = none
  if (YAML::Node schedule = r.Get("schedule")) {
    if (!schedule.IsSequence()) r.Fail(schedule, "nemesis.schedule", "expected a list");
    for (size_t i = 0; i < schedule.size(); ++i) {
      const YAML::Node entry = schedule[i];
      std::string path = fmt::format("nemesis.schedule[{}]", i);
      MapReader e(entry, path, source);
      ScheduledFault f;
      f.line = entry.Mark().line + 1;
      std::string kind, target, shape;
      e.ReadDuration("at", &f.at_ms);
      e.Read("kind", &kind);
      e.Read("target", &target);
      e.Read("shape", &shape);
      f.duration_ms = n->duration_ms;
      e.ReadDuration("duration", &f.duration_ms);
      int64_t delay_ms = n->delay_ms;
      e.ReadDuration("delay", &delay_ms);
      double loss = n->loss;
      e.Read("loss", &loss);
      const YAML::Node links = e.Get("links");
      e.Finish();
      if (!e.Get("at")) e.Fail(entry, path + ".at", "missing");
      if (!e.Get("kind")) e.Fail(entry, path + ".kind", "missing");
      Result<FaultKind> k = ParseFaultKind(kind);
      if (!k.ok()) e.Fail(e.Get("kind"), path + ".kind", k.status().message());
      f.fault.kind = *k;
      if (!target.empty()) {
        Result<Target> t = ParseTarget(target);
        if (!t.ok()) e.Fail(e.Get("target"), path + ".target", t.status().message());
        if (std::string missing = MissingNode(*t, nodes); !missing.empty()) {
          e.Fail(e.Get("target"), path + ".target", missing);
        }
        f.fault.target = *t;
      }
      if (!shape.empty()) {
        Check(*k == FaultKind::kPartition, e, e.Get("shape"), path + ".shape",
              "only partition faults take a shape");
        Result<PartitionShape> sh = ParsePartitionShape(shape);
        if (!sh.ok()) e.Fail(e.Get("shape"), path + ".shape", sh.status().message());
        f.fault.shape = *sh;
      }
      if (links) {
        // Explicit directed links [[from, to], ...] (packets from `from` to `to`): a partition of
        // exactly these cuts (shape `links`), or delay / loss on exactly these links. What a
        // realized grudge becomes when a schedule is replayed or shrunk exactly.
        const std::string lpath = path + ".links";
        Check(*k == FaultKind::kPartition || IsLinkFault(*k), e, links, lpath,
              "only partition, delay and loss faults take links");
        Check(shape.empty() && target.empty(), e, links, lpath,
              "links replace the shape and the target");
        if (!links.IsSequence() || links.size() == 0) {
          e.Fail(links, lpath, "expected a list of [from, to] pairs");
        }
        for (size_t j = 0; j < links.size(); ++j) {
          const YAML::Node pair = links[j];
          const std::string ppath = fmt::format("{}[{}]", lpath, j);
          if (!pair.IsSequence() || pair.size() != 2 || !pair[0].IsScalar() ||
              !pair[1].IsScalar()) {
            e.Fail(pair, ppath, "expected [from, to]");
          }
          Link link;
          try {
            link = {pair[0].as<NodeId>(), pair[1].as<NodeId>()};
          } catch (const YAML::Exception&) {
            e.Fail(pair, ppath, "node ids must be integers");
          }
          Check(link.first >= 1 && link.first <= nodes && link.second >= 1 && link.second <= nodes,
                e, pair, ppath, fmt::format("node ids must be in 1..{}", nodes));
          Check(link.first != link.second, e, pair, ppath, "a link joins two different nodes");
          f.fault.links.push_back(link);
        }
        if (*k == FaultKind::kPartition) f.fault.shape = PartitionShape::kLinks;
      }
      Check(f.at_ms >= 0, e, entry, path + ".at", "must be >= 0");
      Check(delay_ms > 0, e, entry, path + ".delay", "must be > 0");
      Check(loss > 0 && loss <= 1, e, entry, path + ".loss", "must be in (0, 1]");
      Check(f.duration_ms > 0, e, entry, path + ".duration", "must be > 0");
      f.fault.delay_ms = static_cast<int>(delay_ms);
      f.fault.loss_probability = loss;
      n->schedule.push_back(f);
    }
  }
  r.Finish();
}

void ParseTop(const YAML::Node& root, const std::string& source, TestSpec* spec) {
  MapReader r(root, "", source);
  r.Read("name", &spec->name);
  if (YAML::Node n = r.Get("system")) ParseSystem(n, source, &spec->system);
  if (YAML::Node n = r.Get("workload")) ParseWorkload(n, source, &spec->workload);
  r.Read("concurrency", &spec->concurrency);
  Check(spec->concurrency >= 1 && spec->concurrency <= 1024, r, r.Get("concurrency"), "concurrency",
        "must be in 1..1024");
  r.Read("rate", &spec->rate);
  Check(spec->rate >= 0 && std::isfinite(spec->rate), r, r.Get("rate"), "rate",
        "must be >= 0 (0 = unlimited)");
  r.ReadDuration("op_timeout", &spec->op_timeout_ms);
  Check(spec->op_timeout_ms > 0, r, r.Get("op_timeout"), "op_timeout", "must be > 0");
  r.ReadDuration("time_limit", &spec->time_limit_ms);
  Check(spec->time_limit_ms > 0, r, r.Get("time_limit"), "time_limit", "must be > 0");
  if (YAML::Node n = r.Get("nemesis")) ParseNemesis(n, source, spec->system.nodes, &spec->nemesis);
  r.ReadNames("checkers", KnownCheckers(), "checker", &spec->checkers);
  r.Read("seed", &spec->seed);
  std::string net = "auto";
  r.Read("net", &net);
  if (net == "auto") {
    spec->net = NetMode::kAuto;
  } else if (net == "iptables") {
    spec->net = NetMode::kIptables;
  } else if (net == "proxy") {
    spec->net = NetMode::kProxy;
  } else if (net == "none") {
    spec->net = NetMode::kNone;
  } else {
    r.Fail(r.Get("net"), "net",
           fmt::format("unknown net mode '{}' (auto, iptables, proxy, none)", net));
  }
  r.Finish();
  // Cross-field rules.
  if (SpecHasFault(*spec, IsNetworkFault) && spec->net == NetMode::kNone) {
    r.Fail(r.Get("net"), "net", "network faults are scheduled but net is none");
  }
}

}  // namespace

const char* WorkloadKindName(WorkloadKind kind) {
  return kind == WorkloadKind::kSet ? "set" : "register";
}

const char* NetModeName(NetMode mode) {
  switch (mode) {
    case NetMode::kAuto:
      return "auto";
    case NetMode::kIptables:
      return "iptables";
    case NetMode::kProxy:
      return "proxy";
    case NetMode::kNone:
      return "none";
  }
  return "?";
}

const std::vector<std::string>& KnownCheckers() {
  static const std::vector<std::string> k = {"linearizable", "lost-writes", "zab-invariants",
                                             "session-order", "set"};
  return k;
}
bool SpecHasFault(const TestSpec& spec, bool (*pred)(FaultKind)) {
  for (FaultKind k : spec.nemesis.kinds) {
    if (pred(k)) return true;
  }
  for (const auto& f : spec.nemesis.schedule) {
    if (pred(f.fault.kind)) return true;
  }
  // nemesis.link_delay is a delay fault of the generated schedule (schedule.h).
  if (spec.nemesis.schedule.empty() && spec.nemesis.link_delay_ms > 0) {
    return pred(FaultKind::kDelay);
  }
  return false;
}

Result<int64_t> ParseDurationMs(const std::string& text) {
  std::string t = text;
  double scale = 1000;  // bare number = seconds
  auto ends_with = [&](const std::string& s) {
    return t.size() > s.size() && t.compare(t.size() - s.size(), s.size(), s) == 0;
  };
  if (ends_with("ms")) {
    scale = 1, t.resize(t.size() - 2);
  } else if (ends_with("s")) {
    scale = 1000, t.resize(t.size() - 1);
  } else if (ends_with("m")) {
    scale = 60000, t.resize(t.size() - 1);
  } else if (ends_with("h")) {
    scale = 3600000, t.resize(t.size() - 1);
  }
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(t, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (t.empty() || used != t.size() || !std::isfinite(v) || v < 0) {
    return Status::InvalidArgument(
        fmt::format("bad duration '{}' (use e.g. 30s, 250ms, 2m, or seconds)", text));
  }
  // Checked as a double, before the conversion: llround of a value beyond int64 is undefined
  // (9e18ms came out negative), and a few days is already more history than memory holds.
  if (v * scale > static_cast<double>(kMaxDurationMs)) {
    return Status::InvalidArgument(fmt::format("duration '{}' is out of range (at most {}h)", text,
                                               kMaxDurationMs / 3'600'000));
  }
  return static_cast<int64_t>(std::llround(v * scale));
}

std::string SpecToYaml(const TestSpec& spec) {
  auto ms = [](int64_t v) { return std::to_string(v) + "ms"; };
  YAML::Emitter e;
  e << YAML::BeginMap;
  e << YAML::Key << "name" << YAML::Value << spec.name;
  e << YAML::Key << "system" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "kind" << YAML::Value << spec.system.kind;
  e << YAML::Key << "nodes" << YAML::Value << spec.system.nodes;
  if (!spec.system.read_mode.empty()) {
    e << YAML::Key << "read_mode" << YAML::Value << spec.system.read_mode;
  }
  for (const auto& [key, option] : spec.system.options) {
    e << YAML::Key << key << YAML::Value;
    if (option.is_list) {
      e << YAML::Flow << option.values;
    } else {
      e << (option.values.empty() ? std::string() : option.values.front());
    }
  }
  e << YAML::EndMap;
  e << YAML::Key << "workload" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "type" << YAML::Value << WorkloadKindName(spec.workload.kind);
  e << YAML::Key << "keys" << YAML::Value << spec.workload.keys;
  e << YAML::Key << "final_read_attempts" << YAML::Value << spec.workload.final_read_attempts;
  e << YAML::Key << "mix" << YAML::Value << YAML::Flow << YAML::BeginMap;
  e << YAML::Key << "read" << YAML::Value << spec.workload.read_weight;
  e << YAML::Key << "write" << YAML::Value << spec.workload.write_weight;
  e << YAML::Key << "cas" << YAML::Value << spec.workload.cas_weight;
  e << YAML::EndMap << YAML::EndMap;
  e << YAML::Key << "concurrency" << YAML::Value << spec.concurrency;
  e << YAML::Key << "rate" << YAML::Value << spec.rate;
  e << YAML::Key << "op_timeout" << YAML::Value << ms(spec.op_timeout_ms);
  e << YAML::Key << "time_limit" << YAML::Value << ms(spec.time_limit_ms);
  const NemesisSpec& n = spec.nemesis;
  auto names = [](const auto& items, auto name) {
    std::vector<std::string> out;
    for (const auto& item : items) out.emplace_back(name(item));
    return out;
  };
  e << YAML::Key << "nemesis" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "kinds" << YAML::Value << YAML::Flow << names(n.kinds, FaultKindName);
  e << YAML::Key << "targets" << YAML::Value << YAML::Flow << names(n.targets, TargetText);
  e << YAML::Key << "shapes" << YAML::Value << YAML::Flow << names(n.shapes, PartitionShapeName);
  e << YAML::Key << "interval" << YAML::Value << ms(n.interval_ms);
  if (n.interval_jitter_ms > 0) {
    e << YAML::Key << "interval_jitter" << YAML::Value << ms(n.interval_jitter_ms);
  }
  e << YAML::Key << "duration" << YAML::Value << ms(n.duration_ms);
  e << YAML::Key << "delay" << YAML::Value << ms(n.delay_ms);
  e << YAML::Key << "loss" << YAML::Value << n.loss;
  if (n.link_delay_ms > 0) e << YAML::Key << "link_delay" << YAML::Value << ms(n.link_delay_ms);
  if (!n.schedule.empty()) {
    e << YAML::Key << "schedule" << YAML::Value << YAML::BeginSeq;
    for (const auto& f : n.schedule) {
      e << YAML::Flow << YAML::BeginMap;
      e << YAML::Key << "at" << YAML::Value << ms(f.at_ms);
      e << YAML::Key << "kind" << YAML::Value << std::string(FaultKindName(f.fault.kind));
      if (!f.fault.links.empty()) {
        e << YAML::Key << "links" << YAML::Value << YAML::Flow << YAML::BeginSeq;
        for (const auto& [from, to] : f.fault.links) {
          e << YAML::Flow << YAML::BeginSeq << from << to << YAML::EndSeq;
        }
        e << YAML::EndSeq;
      } else {
        e << YAML::Key << "target" << YAML::Value << TargetText(f.fault.target);
        if (f.fault.kind == FaultKind::kPartition) {
          e << YAML::Key << "shape" << YAML::Value
            << std::string(PartitionShapeName(f.fault.shape));
        }
      }
      e << YAML::Key << "duration" << YAML::Value << ms(f.duration_ms);
      e << YAML::Key << "delay" << YAML::Value << ms(f.fault.delay_ms);
      e << YAML::Key << "loss" << YAML::Value << f.fault.loss_probability;
      e << YAML::EndMap;
    }
    e << YAML::EndSeq;
  }
  e << YAML::EndMap;
  e << YAML::Key << "checkers" << YAML::Value << YAML::Flow << spec.checkers;
  e << YAML::Key << "seed" << YAML::Value << spec.seed;
  e << YAML::Key << "net" << YAML::Value << NetModeName(spec.net);
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

Result<TestSpec> ParseTestSpec(const std::string& yaml_text, const std::string& source_name) {
  TestSpec spec;
  spec.source_text = yaml_text;
  spec.source_name = source_name;
  spec.name = std::filesystem::path(source_name).stem().string();
  try {
    YAML::Node root = YAML::Load(yaml_text);
    if (!root || root.IsNull()) {
      return Status::InvalidArgument(fmt::format("{}: empty spec", source_name));
    }
    if (auto repeated = FindRepeatedKey(root)) {
      return Status::InvalidArgument(source_name + ":" + repeated->Describe());
    }
    ParseTop(root, source_name, &spec);
  } catch (const SpecError& e) {
    return Status::InvalidArgument(e.message);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(fmt::format("{}:{}: {}", source_name, e.mark.line + 1, e.msg));
  }
  return spec;
}

Result<SystemSpec> ParseSystemSection(const std::string& yaml_text,
                                      const std::string& source_name) {
  SystemSpec system;
  try {
    YAML::Node root = YAML::Load(yaml_text);
    if (root && root.IsMap()) {
      const YAML::Node& const_root = root;
      if (YAML::Node node = const_root["system"]) ParseSystem(node, source_name, &system);
    }
  } catch (const SpecError& e) {
    return Status::InvalidArgument(e.message);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(fmt::format("{}:{}: {}", source_name, e.mark.line + 1, e.msg));
  }
  return system;
}

Result<TestSpec> LoadTestSpec(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(fmt::format("cannot read spec {}", path));
  std::stringstream text;
  text << in.rdbuf();
  Result<TestSpec> spec = ParseTestSpec(text.str(), path);
  if (!spec.ok()) return spec;
  // A fault the file schedules at or after its own end would never run, silently. Only files
  // are held to it: a shorter --time-limit cuts the schedule on purpose, and the effective spec
  // stored with such a run (and re-read by replay and shrink) keeps the entries it cut.
  for (size_t i = 0; i < spec->nemesis.schedule.size(); ++i) {
    const ScheduledFault& f = spec->nemesis.schedule[i];
    if (f.at_ms >= spec->time_limit_ms) {
      return Status::InvalidArgument(fmt::format(
          "{}:{}: nemesis.schedule[{}].at: {} ms is not before time_limit ({} ms): the fault would "
          "never run",
          path, f.line, i, f.at_ms, spec->time_limit_ms));
    }
  }
  return spec;
}

std::string CutScheduleNote(const TestSpec& spec) {
  std::vector<std::string> cut;
  for (size_t i = 0; i < spec.nemesis.schedule.size(); ++i) {
    const ScheduledFault& f = spec.nemesis.schedule[i];
    if (f.at_ms < spec.time_limit_ms) continue;
    cut.push_back(fmt::format("nemesis.schedule[{}] ({}{} at {} ms)", i,
                              f.line > 0 ? fmt::format("line {}: ", f.line) : "",
                              FaultKindName(f.fault.kind), f.at_ms));
  }
  if (cut.empty()) return "";
  return fmt::format(
      "{} scheduled fault{} start{} at or after the time limit ({} ms) and will not "
      "run: {}",
      cut.size(), cut.size() == 1 ? "" : "s", cut.size() == 1 ? "s" : "", spec.time_limit_ms,
      fmt::join(cut, ", "));
}

Status ApplyOverrides(const SpecOverrides& o, TestSpec* spec) {
  if (o.time_limit) {
    Result<int64_t> ms = ParseDurationMs(*o.time_limit);
    if (!ms.ok()) return Status::InvalidArgument("--time-limit: " + ms.status().message());
    if (*ms <= 0) return Status::InvalidArgument("--time-limit: must be > 0");
    spec->time_limit_ms = *ms;
  }
  if (o.seed) spec->seed = *o.seed;
  if (o.read_mode) spec->system.read_mode = *o.read_mode;
  if (o.nodes) {
    if (*o.nodes != 3 && *o.nodes != 5) return Status::InvalidArgument("--nodes: must be 3 or 5");
    spec->system.nodes = *o.nodes;
    for (size_t i = 0; i < spec->nemesis.schedule.size(); ++i) {
      const ScheduledFault& f = spec->nemesis.schedule[i];
      Target named = f.fault.target;
      for (const auto& [from, to] : f.fault.links) named.ids.insert(named.ids.end(), {from, to});
      if (std::string missing = MissingNode(named, *o.nodes); !missing.empty()) {
        return Status::InvalidArgument(fmt::format("--nodes {}: nemesis.schedule[{}] (line {}): {}",
                                                   *o.nodes, i, f.line, missing));
      }
    }
    for (size_t i = 0; i < spec->nemesis.targets.size(); ++i) {
      if (std::string missing = MissingNode(spec->nemesis.targets[i], *o.nodes); !missing.empty()) {
        return Status::InvalidArgument(
            fmt::format("--nodes {}: nemesis.targets[{}]: {}", *o.nodes, i, missing));
      }
    }
  }
  if (o.concurrency) {
    if (*o.concurrency < 1 || *o.concurrency > 1024) {
      return Status::InvalidArgument("--concurrency: must be in 1..1024");
    }
    spec->concurrency = *o.concurrency;
  }
  if (o.net) {
    static const std::vector<std::pair<std::string, NetMode>> kModes = {
        {"auto", NetMode::kAuto},
        {"iptables", NetMode::kIptables},
        {"proxy", NetMode::kProxy},
        {"none", NetMode::kNone}};
    auto it = std::find_if(kModes.begin(), kModes.end(),
                           [&](const auto& m) { return m.first == *o.net; });
    if (it == kModes.end()) {
      return Status::InvalidArgument("--net: must be auto, iptables, proxy or none");
    }
    spec->net = it->second;
  }
  if (o.nemesis) {
    std::vector<FaultKind> kinds;
    if (*o.nemesis != "none" && !o.nemesis->empty()) {
      std::stringstream in(*o.nemesis);
      std::string kind;
      while (std::getline(in, kind, ',')) {
        Result<FaultKind> k = ParseFaultKind(kind);
        if (!k.ok()) return Status::InvalidArgument("--nemesis: " + k.status().message());
        kinds.push_back(*k);
      }
    }
    spec->nemesis.kinds = kinds;
    spec->nemesis.schedule.clear();  // an override replaces an explicit schedule too
    if (kinds.empty()) spec->nemesis.link_delay_ms = 0;  // "none": no fault at all
  }
  if (SpecHasFault(*spec, IsNetworkFault) && spec->net == NetMode::kNone) {
    return Status::InvalidArgument("--net: network faults are scheduled but net is none");
  }
  return Status::Ok();
}

}  // namespace faultline::harness
