#include "harness/report/evidence.h"

#include <fmt/format.h>

#include <algorithm>
#include <regex>
#include <set>

#include "checkers/zab/zxid.h"

namespace faultline::harness::report {
namespace {

bool Covers(const checkers::NodeEvent& e, int64_t z) {
  return checkers::FieldInt(e.fields, "first") <= z && z <= checkers::FieldInt(e.fields, "last");
}

// zxids as the invariant checker prints them (checkers/zab/zxid.h ZxidString).
std::optional<int64_t> ParseZxid(const std::string& s) {
  static const std::regex kPair(R"(^\(?(\d+)[,|:](\d+)\)?$)");
  std::smatch m;
  if (s.rfind("0x", 0) == 0) return static_cast<int64_t>(std::stoull(s.substr(2), nullptr, 16));
  if (std::regex_match(s, m, kPair)) return (std::stoll(m[1]) << 32) | std::stoll(m[2]);
  if (!s.empty() && std::all_of(s.begin(), s.end(), ::isdigit)) return std::stoll(s);
  return std::nullopt;
}

std::set<int64_t> NodesNamed(const std::string& text) {
  static const std::regex kNode(R"(node (\d+))");
  std::set<int64_t> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kNode);
       it != std::sregex_iterator(); ++it) {
    out.insert(std::stoll((*it)[1]));
  }
  return out;
}

}  // namespace

std::optional<int64_t> CulpritOp(const checkers::Anomaly& a) {
  static const std::regex kMarked(R"((^|\n)\s*\* op (\d+) )");
  std::smatch m;
  if (std::regex_search(a.detail, m, kMarked)) return std::stoll(m[2]);
  return std::nullopt;
}

ZxidTrail TrailOf(int64_t z, const std::vector<checkers::NodeEvent>& events) {
  ZxidTrail t;
  t.zxid = z;
  std::map<int64_t, ZxidTrail::NodeTrail> nodes;
  auto node = [&](int64_t id) -> ZxidTrail::NodeTrail& {
    auto& n = nodes[id];
    n.node = id;
    return n;
  };
  std::vector<const checkers::NodeEvent*> sorted;
  for (const auto& e : events) sorted.push_back(&e);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto* a, const auto* b) { return a->ts_ms < b->ts_ms; });
  for (const checkers::NodeEvent* e : sorted) {
    const auto& f = e->fields;
    if (e->type == "logged" && Covers(*e, z)) {
      auto& n = node(e->node);
      if (!n.logged_ms) n.logged_ms = e->ts_ms;
    } else if (e->type == "committed" && Covers(*e, z)) {
      auto& n = node(e->node);
      if (!n.committed_ms) n.committed_ms = e->ts_ms;
    } else if (e->type == "truncate") {
      int64_t lo = checkers::FieldInt(f, "removed_first"),
              hi = checkers::FieldInt(f, "removed_last");
      if (lo < 0) lo = checkers::FieldInt(f, "keep_up_to") + 1;
      if (lo <= z && z <= hi && nodes.count(e->node)) {
        auto& n = node(e->node);
        n.removed_ms = e->ts_ms;
        n.removed_how = fmt::format("truncate to {}",
                                    checkers::ZxidString(checkers::FieldInt(f, "keep_up_to")));
      }
    } else if (e->type == "sync_decision") {
      int64_t leader_zxid = checkers::FieldInt(f, "leader_zxid"),
              peer_zxid = checkers::FieldInt(f, "peer_zxid");
      std::string mode = f.Str("mode");
      if (leader_zxid < z && peer_zxid >= z && mode != "DIFF") {
        ZxidTrail::Decision d;
        d.ts_ms = e->ts_ms;
        d.leader = e->node;
        d.peer = checkers::FieldInt(f, "peer");
        d.mode = mode;
        d.text = fmt::format(
            "leader n{} chose {} for n{} (peer at {}, leader at {}{})", e->node, mode, d.peer,
            checkers::ZxidString(peer_zxid), checkers::ZxidString(leader_zxid),
            checkers::FieldInt(f, "trunc_to") >= 0
                ? ", trunc to " + checkers::ZxidString(checkers::FieldInt(f, "trunc_to"))
                : "");
        t.decisions.push_back(std::move(d));
      }
    } else if (e->type == "snapshot_installed") {
      auto it = nodes.find(e->node);
      if (it != nodes.end() && it->second.logged_ms && !it->second.removed_ms &&
          checkers::FieldInt(f, "zxid") < z) {
        // A SNAP below z replaced this node's state: z is gone from it.
        it->second.removed_ms = e->ts_ms;
        it->second.removed_how = "SNAP to " + checkers::ZxidString(checkers::FieldInt(f, "zxid"));
      }
    }
  }
  for (auto& [id, n] : nodes) t.nodes.push_back(std::move(n));
  return t;
}

std::vector<const checkers::NodeEvent*> InvariantEvidence(
    const checkers::Anomaly& a, const std::vector<checkers::NodeEvent>& events, size_t max_lines) {
  std::vector<const checkers::NodeEvent*> out;
  const std::string& d = a.description;
  std::smatch m;
  auto pick = [&](auto pred) {
    for (const auto& e : events) {
      if (pred(e)) out.push_back(&e);
    }
  };
  static const std::regex kTwoLeaders(R"(two established leaders in epoch (\d+))");
  static const std::regex kTruncated(
      R"(node (\d+) truncated at (\d+) ms .* removing zxid (\S+) .*?that node (\d+) committed)");
  static const std::regex kRestarted(R"(node (\d+) restarted at (\d+) ms)");
  static const std::regex kEpochs(R"(node (\d+) at (\d+) ms: currentEpoch)");
  static const std::regex kDiverge(
      R"(committed sequences diverge: node (\d+) committed (\S+) .*?but node (\d+) committed past)");
  if (std::regex_search(d, m, kTwoLeaders)) {
    int64_t epoch = std::stoll(m[1]);
    pick([&](const auto& e) {
      return (e.type == "established" || e.type == "elected" || e.type == "newleader") &&
             checkers::FieldInt(e.fields, "epoch") == epoch;
    });
  } else if (std::regex_search(d, m, kTruncated)) {
    int64_t node = std::stoll(m[1]), ts = std::stoll(m[2]), other = std::stoll(m[4]);
    std::optional<int64_t> z = ParseZxid(m[3]);
    pick([&](const auto& e) {
      if (e.node == node && e.type == "truncate" && e.ts_ms == ts) return true;
      if (z && e.node == other && e.type == "committed" && Covers(e, *z)) return true;
      if (e.type == "sync_decision" && checkers::FieldInt(e.fields, "peer") == node &&
          e.ts_ms <= ts && e.ts_ms >= ts - 5000)
        return true;
      return e.node == node && e.type == "sync_received" && e.ts_ms <= ts && e.ts_ms >= ts - 5000;
    });
  } else if (std::regex_search(d, m, kRestarted)) {
    int64_t node = std::stoll(m[1]), ts = std::stoll(m[2]);
    const checkers::NodeEvent* last_commit = nullptr;
    for (const auto& e : events) {
      if (e.node == node && e.type == "committed" && e.ts_ms < ts &&
          (!last_commit || checkers::FieldInt(e.fields, "last") >
                               checkers::FieldInt(last_commit->fields, "last"))) {
        last_commit = &e;
      }
    }
    if (last_commit) out.push_back(last_commit);
    pick([&](const auto& e) { return e.node == node && e.type == "start" && e.ts_ms == ts; });
  } else if (std::regex_search(d, m, kEpochs)) {
    int64_t node = std::stoll(m[1]), ts = std::stoll(m[2]);
    pick([&](const auto& e) {
      return e.node == node && e.ts_ms <= ts &&
             (e.type == "accepted_epoch" || e.type == "current_epoch" || e.type == "start");
    });
  } else if (std::regex_search(d, m, kDiverge)) {
    int64_t with = std::stoll(m[1]), without = std::stoll(m[3]);
    std::optional<int64_t> z = ParseZxid(m[2]);
    if (z) {
      // The commit of z on one node; on the other, the commits on either side of z.
      pick([&](const auto& e) { return e.node == with && e.type == "committed" && Covers(e, *z); });
      const checkers::NodeEvent *before = nullptr, *after = nullptr;
      for (const auto& e : events) {
        if (e.node != without || e.type != "committed") continue;
        int64_t first = checkers::FieldInt(e.fields, "first"),
                last = checkers::FieldInt(e.fields, "last");
        if (last < *z && (!before || last > checkers::FieldInt(before->fields, "last")))
          before = &e;
        if (first > *z && (!after || first < checkers::FieldInt(after->fields, "first")))
          after = &e;
      }
      if (before) out.push_back(before);
      if (after) out.push_back(after);
      pick([&](const auto& e) {
        return e.node == without && (e.type == "truncate" || e.type == "snapshot_installed" ||
                                     e.type == "sync_received");
      });
    }
  }
  if (out.empty()) {
    // Unrecognised: the named nodes' protocol events within a second of the anomaly.
    std::set<int64_t> named = NodesNamed(d);
    int64_t at_ms = a.start_ns / 1'000'000;
    pick([&](const auto& e) {
      return (named.empty() || named.count(e.node)) && e.type != "logged" && e.type != "vote" &&
             std::llabs(e.ts_ms - at_ms) <= 1000;
    });
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto* x, const auto* y) { return x->ts_ms < y->ts_ms; });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (out.size() > max_lines) out.resize(max_lines);
  return out;
}

std::string EventFields(const checkers::NodeEvent& e) {
  static const std::set<std::string> kZxidNames = {"first",         "last",         "keep_up_to",
                                                   "removed_first", "removed_last", "first_sent",
                                                   "last_sent",     "trunc_to"};
  std::string out;
  for (const auto& [name, value] : e.fields) {
    if (name == "ts_ms" || name == "node" || name == "type") continue;
    bool zxid = kZxidNames.count(name) > 0 || name.find("zxid") != std::string::npos;
    std::string text;
    const std::optional<int64_t> number = e.fields.Int(name);
    if (zxid && number && *number > 0) {
      text = fmt::format("0x{:x}", *number);
    } else if (const auto* s = std::get_if<std::string>(&value)) {
      text = *s;
    } else {
      text = checkers::DumpValue(value);
    }
    out += (out.empty() ? "" : " ") + name + "=" + text;
  }
  return out;
}

std::string WithOffsets(const std::string& text, int64_t t0_ms) {
  // Unix ms followed by "ms", or bare unix ns (19 digits).
  static const std::regex kUnixTime("\\b(1[0-9]{12}) ms\\b|\\b(1[0-9]{18})\\b");
  std::string out;
  size_t copied = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kUnixTime);
       it != std::sregex_iterator(); ++it) {
    bool ns = (*it)[2].matched;
    int64_t ms = ns ? std::stoll((*it)[2].str()) / 1'000'000 : std::stoll((*it)[1].str());
    if (std::llabs(ms - t0_ms) > 86'400'000) continue;
    out += text.substr(copied, static_cast<size_t>(it->position()) - copied);
    double s = ns ? static_cast<double>(std::stoll((*it)[2].str()) - t0_ms * 1'000'000) / 1e9
                  : static_cast<double>(ms - t0_ms) / 1e3;
    out += fmt::format("{}{:.2f}s", s < 0 ? "-" : "+", std::abs(s));
    copied = static_cast<size_t>(it->position() + it->length());
  }
  return out + text.substr(copied);
}

}  // namespace faultline::harness::report
