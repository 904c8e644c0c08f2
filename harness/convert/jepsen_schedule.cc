#include "harness/convert/jepsen_schedule.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <set>

#include "harness/net/grudge.h"

namespace faultline::harness {
namespace {

using checkers::NemesisFault;
using checkers::NemesisIssue;
using Kind = NemesisFault::Kind;

constexpr int64_t kTailMs = 5000;  // the run goes on this long after the last fault ends

// n3 -> 3; nullopt when the name does not end in a number.
std::optional<int> TrailingNumber(const std::string& name) {
  size_t a = name.size();
  while (a > 0 && std::isdigit(static_cast<unsigned char>(name[a - 1]))) --a;
  if (a == name.size()) return std::nullopt;
  int v = 0;
  auto [end, ec] = std::from_chars(name.data() + a, name.data() + name.size(), v);
  if (ec != std::errc() || v < 1) return std::nullopt;
  return v;
}

std::string Ids(const std::vector<int>& ids) { return fmt::format("{}", fmt::join(ids, ",")); }

std::string Describe(const checkers::NodeGrudge& g) {
  std::vector<std::string> parts;
  for (const auto& [node, drops] : g) {
    parts.push_back(fmt::format("{} drops {{{}}}", node, fmt::join(drops, " ")));
  }
  return parts.empty() ? "no grudge" : fmt::format("{}", fmt::join(parts, "; "));
}

class Mapper {
 public:
  Mapper(const JepsenConvertOptions& options, const std::map<std::string, int>& ids, int nodes,
         int64_t end_ms, JepsenConversion* out)
      : options_(options), ids_(ids), end_ms_(end_ms), out_(out) {
    for (int i = 1; i <= nodes; ++i) all_.push_back(i);
  }

  void Convert(const NemesisFault& f) {
    ScheduledFault s;
    s.at_ms = f.offset_ms;
    Result<FaultKind> kind = ParseFaultKind(checkers::NemesisFaultKindName(f.kind));
    if (!kind.ok()) {
      Error(f.line, kind.status().message());
      return;
    }
    s.fault.kind = *kind;
    if (f.duration_ms < 0) {
      s.duration_ms = std::max<int64_t>(1, end_ms_ - f.offset_ms);
      Warn(f.line, fmt::format("lasts until the history ends ({} ms)", s.duration_ms));
    } else {
      s.duration_ms = std::max<int64_t>(1, f.duration_ms);
    }
    bool ok = f.kind == Kind::kPartition ? Partition(f, &s) : Process(f, &s);
    if (!ok) return;
    out_->spec.nemesis.schedule.push_back(s);
    const bool partition = s.fault.kind == FaultKind::kPartition;
    const std::string target =
        !partition || ShapeUsesTarget(s.fault.shape) ? TargetText(s.fault.target) + " " : "";
    const std::string shape = partition ? std::string(PartitionShapeName(s.fault.shape)) + " " : "";
    origins_.push_back(fmt::format("line {}: :{} -> {} {}{}{} at {} ms for {} ms", f.line,
                                   f.jepsen_f, FaultKindName(s.fault.kind), target, shape,
                                   f.end_line > 0 ? fmt::format("(ended line {})", f.end_line) : "",
                                   s.at_ms, s.duration_ms));
  }

  const std::vector<std::string>& origins() const { return origins_; }

 private:
  void Warn(int line, std::string m) { out_->issues.push_back({line, false, std::move(m)}); }
  void Error(int line, std::string m) { out_->issues.push_back({line, true, std::move(m)}); }

  std::vector<int> IdsOf(const std::vector<std::string>& names) const {
    std::vector<int> out;
    for (const std::string& n : names) out.push_back(ids_.at(n));
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  // Targets are typed in a ScheduledFault (harness/nemesis/fault.h); these names always parse.
  static void SetTarget(ScheduledFault* s, const std::string& text) {
    s->fault.target = *ParseTarget(text);
  }

  bool Process(const NemesisFault& f, ScheduledFault* s) {
    if (!f.targets.empty()) {
      SetTarget(s, Ids(IdsOf(f.targets)));
      return true;
    }
    const std::string& spec = f.target_spec;
    if (spec == "one") {
      SetTarget(s, "random");
    } else if (spec == "minority" || spec == "majority" || spec == "all") {
      SetTarget(s, spec);
    } else if (spec == "primaries") {
      SetTarget(s, "leader");
      Warn(f.line, "node spec :primaries becomes the leader (a zabd cluster has one primary)");
    } else if (spec == "minority-third") {
      if (all_.size() < 4) {
        Warn(f.line,
             fmt::format(":minority-third of {} nodes is no node: not scheduled", all_.size()));
        return false;
      }
      SetTarget(s, "random");
      Warn(f.line, ":minority-third (one node of 5) becomes one random node");
    } else {
      SetTarget(s, "random");
      Warn(f.line, fmt::format(":{} names no node: one random node", f.jepsen_f));
    }
    return true;
  }

  bool Partition(const NemesisFault& f, ScheduledFault* s) {
    if (!f.has_grudge) return PartitionFromSpec(f, s);
    Grudge g;
    for (const auto& [node, drops] : f.grudge) {
      for (const std::string& d : drops) {
        if (d != node) g[ids_.at(node)].insert(ids_.at(d));
      }
    }
    for (int x : all_) {
      if (g == IsolateNode(all_, x)) return Shape(s, "isolate-node", std::to_string(x));
      if (g == OneWayIsolate(all_, x)) return Shape(s, "one-way", std::to_string(x));
    }
    if (g == Halves(all_)) return Shape(s, "halves", "");
    if (g == MajoritiesRing(all_)) return Shape(s, "majorities-ring", "");
    if (g == Bridge(all_)) return Shape(s, "bridge", "");
    const size_t minority = MinoritySide(g);
    if (options_.approximate && minority == all_.size() / 2) {
      Warn(f.line, fmt::format("grudge {} is a minority/majority split of other nodes than "
                               "faultline's halves: approximated by random-halves",
                               Describe(f.grudge)));
      return Shape(s, "random-halves", "");
    }
    Error(f.line,
          fmt::format("partition grudge {} is none of faultline's shapes (isolate-node, one-way, "
                      "halves, majorities-ring, bridge in node-id order), and a suite cannot "
                      "give an explicit grudge (nemesis.schedule has no grudge field): not "
                      "converted{}",
                      Describe(f.grudge),
                      minority == all_.size() / 2 ? " (--approximate: random-halves)" : ""));
    return false;
  }

  // The size of the smaller side when `g` cuts the cluster into two sides completely (each node
  // drops exactly the other side); 0 otherwise.
  size_t MinoritySide(const Grudge& g) const {
    std::set<int> side_a;
    for (int x : all_) {
      if (x == all_.front() || !Drops(g, all_.front(), x)) side_a.insert(x);
    }
    for (int x : all_) {
      const bool in_a = side_a.count(x) > 0;
      for (int y : all_) {
        if (x == y) continue;
        const bool other_side = in_a != (side_a.count(y) > 0);
        if (Drops(g, y, x) != other_side) return 0;
      }
    }
    const size_t a = side_a.size();
    return a == all_.size() ? 0 : std::min(a, all_.size() - a);
  }

  bool PartitionFromSpec(const NemesisFault& f, ScheduledFault* s) {
    const std::string& p = f.partition_spec;
    if (p == "one") return Shape(s, "isolate-node", "random");
    if (p == "majority") return Shape(s, "random-halves", "");
    if (p == "majorities-ring") {
      Warn(f.line, ":majorities-ring: faultline's ring is in node-id order, Jepsen's shuffled");
      return Shape(s, "majorities-ring", "");
    }
    if (p == "primaries") {
      Warn(f.line, ":primaries becomes isolate-leader (a zabd cluster has one primary)");
      return Shape(s, "isolate-leader", "");
    }
    if (p == "minority-third" && all_.size() >= 4) {
      Warn(f.line, ":minority-third (one node of 5) becomes isolate-node of a random node");
      return Shape(s, "isolate-node", "random");
    }
    if (p == "minority-third") {
      Warn(f.line,
           fmt::format(":minority-third of {} nodes isolates no node: not scheduled", all_.size()));
      return false;
    }
    if (options_.approximate) {
      Warn(f.line, fmt::format(":{} records no grudge: approximated by isolate-node of a random "
                               "node",
                               f.jepsen_f));
      return Shape(s, "isolate-node", "random");
    }
    Error(f.line, fmt::format(":{} records neither a grudge nor a partition spec, so its shape "
                              "is unknown: not converted (--approximate: isolate-node random)",
                              f.jepsen_f));
    return false;
  }

  static bool Shape(ScheduledFault* s, const char* shape, const std::string& target) {
    s->fault.shape = *ParsePartitionShape(shape);
    if (!target.empty()) SetTarget(s, target);
    return true;
  }

  const JepsenConvertOptions& options_;
  const std::map<std::string, int>& ids_;
  int64_t end_ms_;
  JepsenConversion* out_;
  std::vector<int> all_;
  std::vector<std::string> origins_;
};

// Node ids for every name the schedule mentions (see the header). Adds a warning when names
// are numbered in sorted order.
Result<std::map<std::string, int>> AssignIds(const std::set<std::string>& names,
                                             const JepsenConvertOptions& options,
                                             std::vector<NemesisIssue>* issues) {
  if (!options.node_ids.empty()) {
    for (const std::string& n : names) {
      if (options.node_ids.count(n) == 0) {
        return Status::InvalidArgument(
            fmt::format("--nodes: the history names node {:?}, which has no id there", n));
      }
    }
    return options.node_ids;
  }
  std::map<std::string, int> ids;
  std::set<int> used;
  bool numbered = true;
  for (const std::string& n : names) {
    auto k = TrailingNumber(n);
    numbered = numbered && k && used.insert(*k).second;
    if (numbered) ids[n] = *k;
  }
  if (numbered) return ids;
  ids.clear();
  std::vector<std::string> parts;
  for (const std::string& n : names) {
    ids[n] = static_cast<int>(ids.size()) + 1;
    parts.push_back(fmt::format("{}={}", n, ids[n]));
  }
  issues->push_back({0, false,
                     fmt::format("node names do not end in distinct numbers: numbered in "
                                 "sorted order ({}); --nodes sets them",
                                 fmt::join(parts, ","))});
  return ids;
}

}  // namespace

Result<std::map<std::string, int>> ParseNodeIds(std::string_view text) {
  std::map<std::string, int> out;
  std::set<int> used;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view part = text.substr(pos, comma - pos);
    pos = comma + 1;
    const size_t eq = part.find('=');
    int id = 0;
    if (eq == std::string_view::npos || eq == 0) {
      return Status::InvalidArgument(fmt::format("--nodes: '{}' is not NAME=ID", part));
    }
    auto [end, ec] = std::from_chars(part.data() + eq + 1, part.data() + part.size(), id);
    if (ec != std::errc() || end != part.data() + part.size() || id < 1) {
      return Status::InvalidArgument(
          fmt::format("--nodes: '{}': the id must be a whole number >= 1", part));
    }
    if (!used.insert(id).second) {
      return Status::InvalidArgument(fmt::format("--nodes: id {} is given twice", id));
    }
    if (!out.emplace(std::string(part.substr(0, eq)), id).second) {
      return Status::InvalidArgument(
          fmt::format("--nodes: node {:?} is given twice", part.substr(0, eq)));
    }
  }
  return out;
}

Result<JepsenConversion> ConvertJepsenHistory(std::string_view text, const std::string& source,
                                              const JepsenConvertOptions& options) {
  checkers::NemesisImportOptions import_options;
  import_options.bare_start_means = options.start_means;
  auto imported = checkers::ImportJepsenNemesis(text, source, import_options);
  if (!imported.ok()) return imported.status();
  std::vector<NemesisIssue> id_issues;
  auto assigned = AssignIds(imported->nodes, options, &id_issues);
  if (!assigned.ok()) return assigned.status();
  std::map<std::string, int> ids = *assigned;
  int largest = 0;
  for (const auto& [name, id] : ids) largest = std::max(largest, id);
  if (largest > 5) {
    return Status::InvalidArgument(fmt::format(
        "node id {} is past 5: faultline runs clusters of 3 or 5 nodes (--nodes maps them)",
        largest));
  }
  if (imported->nodes.empty()) {
    id_issues.push_back({0, false, "the nemesis ops name no node: 5 nodes (Jepsen's default)"});
  }
  const int nodes = imported->nodes.empty() ? 5 : largest <= 3 ? 3 : 5;
  // One conversion under one numbering; `origins` says where each schedule entry came from.
  std::vector<std::string> origins;
  auto convert = [&](const std::map<std::string, int>& numbering) {
    JepsenConversion c;
    c.issues = imported->issues;
    c.issues.insert(c.issues.end(), id_issues.begin(), id_issues.end());
    c.spec.name = "jepsen-" + std::filesystem::path(source).stem().string();
    c.spec.system.nodes = nodes;
    Mapper mapper(options, numbering, nodes, imported->end_ms, &c);
    for (const NemesisFault& f : imported->faults) mapper.Convert(f);
    for (const NemesisIssue& i : c.issues) c.errors += i.error;
    origins = mapper.origins();
    return c;
  };
  JepsenConversion out = convert(ids);
  if (options.renumber && options.node_ids.empty() && out.errors > 0) {
    std::vector<std::string> names;
    std::vector<int> perm;
    for (const auto& [name, id] : ids) {
      names.push_back(name);
      perm.push_back(id);
    }
    std::sort(perm.begin(), perm.end());
    std::map<std::string, int> best = ids;
    int best_errors = out.errors;
    do {  // at most 5! numberings
      std::map<std::string, int> numbering;
      for (size_t k = 0; k < names.size(); ++k) numbering[names[k]] = perm[k];
      const int errors = convert(numbering).errors;
      if (errors < best_errors) {
        best_errors = errors;
        best = numbering;
      }
    } while (std::next_permutation(perm.begin(), perm.end()));
    if (best != ids) {
      std::vector<std::string> parts;
      for (const auto& [name, id] : best) parts.push_back(fmt::format("{}={}", name, id));
      id_issues.push_back({0, false,
                           fmt::format("--renumber: nodes numbered {} so that more partitions "
                                       "are faultline shapes",
                                       fmt::join(parts, ","))});
      ids = best;
    }
    out = convert(ids);
  }
  TestSpec& spec = out.spec;
  int64_t end = imported->end_ms;
  for (const ScheduledFault& s : spec.nemesis.schedule)
    end = std::max(end, s.at_ms + s.duration_ms);
  spec.time_limit_ms = (end + kTailMs + 999) / 1000 * 1000;
  std::stable_sort(out.issues.begin(), out.issues.end(),
                   [](const NemesisIssue& a, const NemesisIssue& b) { return a.line < b.line; });

  std::string head = fmt::format(
      "# Converted by `faultline convert-jepsen` from {}: {} nemesis ops, {} faults scheduled, "
      "{} not converted.\n",
      source, imported->nemesis_ops, spec.nemesis.schedule.size(), out.errors);
  std::vector<std::string> names;
  for (const auto& [name, id] : ids) names.push_back(fmt::format("{}={}", name, id));
  if (!names.empty()) head += fmt::format("# Node ids: {}\n", fmt::join(names, " "));
  for (size_t i = 0; i < origins.size(); ++i) {
    head += fmt::format("# schedule[{}] <- {}\n", i, origins[i]);
  }
  for (const NemesisIssue& i : out.issues) {
    head += fmt::format("# {} {}{}: {}\n", i.error ? "NOT CONVERTED" : "warning", source,
                        i.line > 0 ? fmt::format(":{}", i.line) : "", i.message);
  }
  out.yaml = head + SpecToYaml(spec);
  // The output must be a suite faultline accepts, whatever the history held.
  auto back = ParseTestSpec(out.yaml, spec.name + ".yaml");
  if (!back.ok()) {
    return Status::InvalidArgument("internal: the converted suite does not parse: " +
                                   back.status().message());
  }
  return out;
}

}  // namespace faultline::harness
