// Jepsen nemesis ops -> NemesisSchedule (see jepsen_nemesis.h for the shapes understood).
#include "checkers/import/jepsen_nemesis.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "checkers/import/edn.h"
#include "checkers/import/jepsen_ops.h"

namespace faultline::checkers {
namespace {

using Kind = NemesisFault::Kind;

// One :process :nemesis entry.
struct Entry {
  int line = 0;
  std::string type;  // invoke, info, ok, fail
  std::string f;
  const EdnValue* value = nullptr;  // never null (nil when absent)
  std::optional<int64_t> time_ns;
};

const EdnValue& Nil() {
  static const EdnValue nil;
  return nil;
}

bool IsName(const EdnValue& v) {
  return v.type == EdnValue::Type::kString || v.type == EdnValue::Type::kKeyword ||
         v.type == EdnValue::Type::kSymbol;
}

// "n1", :n1 and n1 all name node n1.
std::optional<std::string> NodeName(const EdnValue& v) {
  if (IsName(v)) return v.s;
  return std::nullopt;
}

bool IsCollection(const EdnValue& v) { return v.IsSequential() || v.type == EdnValue::Type::kSet; }

// ["n1" "n2"] / #{"n1"} / "n1" -> names; nullopt when something in it is not a node name.
std::optional<std::vector<std::string>> NodeList(const EdnValue& v) {
  std::vector<std::string> out;
  if (auto one = NodeName(v); one && v.type != EdnValue::Type::kKeyword) {
    out.push_back(*one);
    return out;
  }
  if (!IsCollection(v)) return std::nullopt;
  for (const EdnValue& e : v.items) {
    auto name = NodeName(e);
    if (!name) return std::nullopt;
    out.push_back(*name);
  }
  return out;
}

// The keys of a result map {"n1" :killed, "n2" [:killed "java"]}: the nodes an op really hit.
std::optional<std::vector<std::string>> ResultNodes(const EdnValue& v) {
  if (v.type != EdnValue::Type::kMap || v.items.empty()) return std::nullopt;
  std::vector<std::string> out;
  for (size_t k = 0; k + 1 < v.items.size(); k += 2) {
    auto name = NodeName(v.items[k]);
    if (!name) return std::nullopt;
    out.push_back(*name);
  }
  return out;
}

// The first keyword a node's result starts with: :killed, [:paused "java"] -> "paused".
std::string ResultWord(const EdnValue& v) {
  if (v.type == EdnValue::Type::kKeyword) return v.s;
  if (v.IsSequential() && !v.items.empty() && v.items[0].type == EdnValue::Type::kKeyword) {
    return v.items[0].s;
  }
  return "";
}

// Every node result of a result map says `word` (killed, paused, started, ...).
bool ResultsSay(const EdnValue& v, std::string_view word) {
  if (!ResultNodes(v)) return false;
  for (size_t k = 1; k < v.items.size(); k += 2) {
    if (ResultWord(v.items[k]).find(word) == std::string::npos) return false;
  }
  return true;
}

// {"n1" #{"n2"} ...} or the old printing [:n1 #[:n2] ...] (alternating keys and collections).
std::optional<NodeGrudge> ParseGrudge(const EdnValue& v) {
  if (v.type != EdnValue::Type::kMap && !(v.IsSequential() && v.items.size() % 2 == 0)) {
    return std::nullopt;
  }
  NodeGrudge g;
  for (size_t k = 0; k + 1 < v.items.size(); k += 2) {
    auto node = NodeName(v.items[k]);
    auto drops = NodeList(v.items[k + 1]);
    if (!node || !drops) return std::nullopt;
    g[*node].insert(drops->begin(), drops->end());
  }
  return g;
}

// What a partition start completed with: [:isolated G] or "Cut off G" (older Jepsen); with
// `plain`, also a bare grudge map (a :start-partition asking for that grudge).
std::optional<NodeGrudge> RecordedGrudge(const EdnValue& v, bool plain = false) {
  if (v.IsSequential() && v.items.size() == 2 && v.items[0].IsKeyword("isolated")) {
    return ParseGrudge(v.items[1]);
  }
  if (v.type == EdnValue::Type::kString) {
    constexpr std::string_view kCutOff = "Cut off ";
    if (v.s.rfind(kCutOff, 0) != 0) return std::nullopt;
    // Older Jepsen printed sets of a vector grudge as #[...]: read them as vectors.
    std::string text = v.s.substr(kCutOff.size());
    for (size_t at = text.find("#["); at != std::string::npos; at = text.find("#[", at)) {
      text.erase(at, 1);
    }
    EdnReader reader(text, "grudge");
    auto parsed = reader.Next();
    if (!parsed.ok() || !reader.AtEnd()) return std::nullopt;
    return ParseGrudge(*parsed);
  }
  if (plain && v.type == EdnValue::Type::kMap) return ParseGrudge(v);
  return std::nullopt;
}

bool IsNodeSpec(const std::string& s) {
  return s == "one" || s == "minority" || s == "majority" || s == "minority-third" ||
         s == "primaries" || s == "all";
}
bool IsPartitionSpec(const std::string& s) {
  return s == "one" || s == "majority" || s == "majorities-ring" || s == "minority-third" ||
         s == "primaries";
}

std::string Show(const EdnValue& v) {
  std::string s = v.ToString();
  return s.size() > 120 ? s.substr(0, 117) + "..." : s;
}

class Converter {
 public:
  Converter(const NemesisImportOptions& options, NemesisSchedule* out)
      : options_(options), out_(out) {}

  void Op(const Entry& inv, const Entry* done, bool combined) {
    const EdnValue& in = *inv.value;
    const EdnValue& result = done != nullptr ? *done->value : in;
    const int line = inv.line;
    if (!inv.time_ns) {
      Error(line, fmt::format(":{} has no :time: its offset is unknown", inv.f));
      return;
    }
    const int64_t at_ms = *inv.time_ns / 1'000'000;
    const std::string& f = inv.f;
    if (f == "kill" || f == "pause" || f == "restart") {
      Begin(f == "kill"    ? Kind::kKill
            : f == "pause" ? Kind::kPause
                           : Kind::kRestart,
            inv, in, result, at_ms);
    } else if (f == "resume") {
      End({Kind::kPause}, inv, in, result, at_ms);
    } else if (f == "start-partition") {
      BeginPartition(inv, in, result, at_ms);
    } else if (f == "stop-partition") {
      End({Kind::kPartition}, inv, in, result, at_ms);
    } else if (f == "isolate") {
      BeginPartition(inv, in, result, at_ms);
    } else if (f == "recover" || f == "heal") {
      End({Kind::kPartition, Kind::kKill, Kind::kPause}, inv, in, result, at_ms);
    } else if (f == "start") {
      Start(inv, in, result, at_ms, combined);
    } else if (f == "stop") {
      End(bare_kinds_, inv, in, result, at_ms);
    } else {
      Error(line,
            fmt::format("nemesis :{} {} is not a fault faultline can replay (it replays kill, "
                        "pause, restart and partitions)",
                        f, Show(in)));
    }
  }

  void Finish() {
    for (size_t i : open_) {
      Warn(out_->faults[i].line,
           fmt::format(":{} is not ended within the history", out_->faults[i].jepsen_f));
    }
    std::stable_sort(
        out_->faults.begin(), out_->faults.end(),
        [](const NemesisFault& a, const NemesisFault& b) { return a.offset_ms < b.offset_ms; });
    std::stable_sort(out_->issues.begin(), out_->issues.end(),
                     [](const NemesisIssue& a, const NemesisIssue& b) { return a.line < b.line; });
  }

 private:
  void Error(int line, std::string message) { out_->issues.push_back({line, true, message}); }
  void Warn(int line, std::string message) { out_->issues.push_back({line, false, message}); }

  void Note(const std::vector<std::string>& nodes) {
    out_->nodes.insert(nodes.begin(), nodes.end());
  }

  size_t Add(NemesisFault fault) {
    Note(fault.targets);
    for (const auto& [node, drops] : fault.grudge) {
      out_->nodes.insert(node);
      out_->nodes.insert(drops.begin(), drops.end());
    }
    out_->faults.push_back(std::move(fault));
    if (out_->faults.back().kind != Kind::kRestart) open_.push_back(out_->faults.size() - 1);
    return out_->faults.size() - 1;
  }

  // kill / pause / restart: the nodes it hit (result map), else the nodes or node spec it asked.
  void Begin(Kind kind, const Entry& inv, const EdnValue& in, const EdnValue& result,
             int64_t at_ms) {
    NemesisFault fault;
    fault.kind = kind;
    fault.offset_ms = at_ms;
    fault.jepsen_f = inv.f;
    fault.line = inv.line;
    if (kind == Kind::kRestart) fault.duration_ms = 0;
    if (auto hit = ResultNodes(result)) {
      fault.targets = *hit;
    } else if (in.type == EdnValue::Type::kKeyword && IsNodeSpec(in.s)) {
      fault.target_spec = in.s;
    } else if (auto asked = NodeList(in); asked && !asked->empty()) {
      fault.targets = *asked;
    } else if (in.IsNil()) {
      Warn(inv.line, fmt::format(":{} names no node and no node spec", inv.f));
    } else {
      Error(inv.line, fmt::format(":{} {}: not a node spec or node list", inv.f, Show(in)));
      return;
    }
    Add(std::move(fault));
  }

  void BeginPartition(const Entry& inv, const EdnValue& in, const EdnValue& result, int64_t at_ms) {
    NemesisFault fault;
    fault.kind = Kind::kPartition;
    fault.offset_ms = at_ms;
    fault.jepsen_f = inv.f;
    fault.line = inv.line;
    if (auto g = RecordedGrudge(result)) {
      fault.has_grudge = true;
      fault.grudge = std::move(*g);
    } else if (auto g2 = RecordedGrudge(in, true)) {
      fault.has_grudge = true;
      fault.grudge = std::move(*g2);
    } else if (in.type == EdnValue::Type::kKeyword && IsPartitionSpec(in.s)) {
      fault.partition_spec = in.s;
    } else if (!in.IsNil()) {
      Error(inv.line,
            fmt::format(":{} {}: neither a grudge nor a partition spec", inv.f, Show(in)));
      return;
    }  // else nothing was recorded: neither has_grudge nor partition_spec (the harness decides)
    for (size_t i : open_) {
      if (out_->faults[i].kind != Kind::kPartition) continue;
      Warn(inv.line, fmt::format("a partition starts while the one of line {} is active: that "
                                 "one is taken as healed here",
                                 out_->faults[i].line));
      Close(i, inv, at_ms);
      break;
    }
    Add(std::move(fault));
  }

  // Jepsen's generic :start: a partitioner, a node-start-stopper (kill), hammer-time (pause), or
  // (combined package, which also has :kill ops) starting killed nodes again.
  void Start(const Entry& inv, const EdnValue& in, const EdnValue& result, int64_t at_ms,
             bool combined) {
    if (ResultsSay(result, "kill")) {
      bare_kinds_ = {Kind::kKill};
      Begin(Kind::kKill, inv, in, result, at_ms);
    } else if (ResultsSay(result, "paus")) {
      bare_kinds_ = {Kind::kPause};
      Begin(Kind::kPause, inv, in, result, at_ms);
    } else if (RecordedGrudge(result)) {
      bare_kinds_ = {Kind::kPartition};
      BeginPartition(inv, in, result, at_ms);
    } else if (combined || ResultsSay(result, "start")) {
      End({Kind::kKill}, inv, in, result, at_ms);
    } else if (options_.bare_start_means == "partition") {
      bare_kinds_ = {Kind::kPartition};
      BeginPartition(inv, in, result, at_ms);
    } else if (options_.bare_start_means == "kill" || options_.bare_start_means == "pause") {
      const Kind kind = options_.bare_start_means == "kill" ? Kind::kKill : Kind::kPause;
      bare_kinds_ = {kind};
      Begin(kind, inv, in, result, at_ms);
    } else {
      Error(inv.line, fmt::format(":start completed with {}: cannot tell whether it partitioned, "
                                  "killed or paused (say which with --start-means)",
                                  Show(result)));
      bare_kinds_.clear();
    }
  }

  // Ends the open faults of `kinds` that hit the named nodes (every one for :all, nil or a
  // partition heal).
  void End(const std::vector<Kind>& kinds, const Entry& inv, const EdnValue& in,
           const EdnValue& result, int64_t at_ms) {
    std::optional<std::vector<std::string>> nodes = ResultNodes(result);
    if (!nodes && !in.IsNil() && !in.IsKeyword("all")) {
      if (auto asked = NodeList(in); asked && !asked->empty()) nodes = asked;
    }
    if (nodes) Note(*nodes);
    bool any = false;
    for (size_t k = 0; k < open_.size();) {
      NemesisFault& fault = out_->faults[open_[k]];
      const bool kind_matches = std::find(kinds.begin(), kinds.end(), fault.kind) != kinds.end();
      const bool hits = !nodes || fault.kind == Kind::kPartition || fault.targets.empty() ||
                        std::any_of(fault.targets.begin(), fault.targets.end(), [&](auto& n) {
                          return std::find(nodes->begin(), nodes->end(), n) != nodes->end();
                        });
      if (kind_matches && hits) {
        Close(open_[k], inv, at_ms);
        any = true;
        continue;  // Close removed open_[k]
      }
      ++k;
    }
    if (!any && !kinds.empty()) {
      Warn(inv.line, fmt::format(":{} {} ends no active fault", inv.f, Show(in)));
    } else if (kinds.empty()) {
      Error(inv.line, fmt::format(":{} ends a :start that was not converted", inv.f));
    }
  }

  void Close(size_t index, const Entry& inv, int64_t at_ms) {
    NemesisFault& fault = out_->faults[index];
    fault.duration_ms = std::max<int64_t>(0, at_ms - fault.offset_ms);
    fault.end_line = inv.line;
    open_.erase(std::find(open_.begin(), open_.end(), index));
  }

  const NemesisImportOptions& options_;
  NemesisSchedule* out_;
  std::vector<size_t> open_;      // faults begun and not yet ended
  std::vector<Kind> bare_kinds_;  // what the last generic :start began (for :stop)
};

}  // namespace

std::string_view NemesisFaultKindName(NemesisFault::Kind kind) {
  switch (kind) {
    case Kind::kKill:
      return "kill";
    case Kind::kPause:
      return "pause";
    case Kind::kPartition:
      return "partition";
    case Kind::kRestart:
      return "restart";
  }
  return "?";
}

Result<NemesisSchedule> ImportJepsenNemesis(std::string_view text, const std::string& source,
                                            const NemesisImportOptions& options) {
  std::vector<EdnValue> forms;
  std::vector<const EdnValue*> maps;
  Status read = ReadJepsenOps(text, source, &forms, &maps);
  if (!read.ok()) return read;
  // An empty file (or one of whitespace and comments) is no history: converting it to an empty
  // schedule with exit 0 hid a wrong path or a truncated download.
  if (maps.empty()) {
    return Status::InvalidArgument(fmt::format(
        "{}: no ops: not a Jepsen history (expected op maps such as {{:type :invoke, :f :kill, "
        ":process :nemesis}})",
        source));
  }
  NemesisSchedule out;
  std::vector<Entry> entries;
  bool combined = false;  // the combined package: :kill / :pause ops, so :start restarts nodes
  for (const EdnValue* m : maps) {
    if (m->type != EdnValue::Type::kMap) {
      return Status::InvalidArgument(fmt::format("{}:{}: expected an op map", source, m->line));
    }
    const EdnValue* time = m->Get("time");
    if (time != nullptr && time->type == EdnValue::Type::kInt) {
      out.end_ms = std::max(out.end_ms, time->i / 1'000'000);
    }
    const EdnValue* process = m->Get("process");
    if (process == nullptr || !process->IsKeyword("nemesis")) continue;
    const EdnValue* type = m->Get("type");
    const EdnValue* f = m->Get("f");
    if (type == nullptr || f == nullptr || type->type != EdnValue::Type::kKeyword ||
        f->type != EdnValue::Type::kKeyword) {
      return Status::InvalidArgument(
          fmt::format("{}:{}: nemesis op needs a keyword :type and :f", source, m->line));
    }
    Entry e;
    e.line = m->line;
    e.type = type->s;
    e.f = f->s;
    e.value = m->Get("value") != nullptr ? m->Get("value") : &Nil();
    if (time != nullptr && time->type == EdnValue::Type::kInt) e.time_ns = time->i;
    combined = combined || e.f == "kill" || e.f == "pause";
    entries.push_back(e);
  }
  out.nemesis_ops = static_cast<int>(entries.size());
  Converter conv(options, &out);
  for (size_t i = 0; i < entries.size(); ++i) {
    // The nemesis runs one op at a time: an entry followed by one with the same :f is its
    // completion (unless that one is itself an :invoke).
    const Entry* done = nullptr;
    if (i + 1 < entries.size() && entries[i + 1].f == entries[i].f &&
        entries[i + 1].type != "invoke") {
      done = &entries[i + 1];
    }
    conv.Op(entries[i], done, combined);
    if (done != nullptr) ++i;
  }
  conv.Finish();
  return out;
}

}  // namespace faultline::checkers
