// The narrative of a scenario run (record.h Narrate): what happened, from the client's replies
// and every node's event log, so a reader can answer "why was w1 kept / lost".
#include <fmt/format.h>

#include <algorithm>

#include "harness/scenario/record.h"
#include "harness/scenario/wait.h"

namespace faultline::harness::scenario {
namespace {

std::vector<const checkers::NodeEvent*> OfType(const ScenarioRecord& rec, const std::string& type) {
  std::vector<const checkers::NodeEvent*> out;
  for (const auto& [id, events] : rec.events) {
    for (const auto& e : events) {
      if (e.type == type) out.push_back(&e);
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto* a, const auto* b) { return a->ts_ms < b->ts_ms; });
  return out;
}

std::string At(const ScenarioRecord& rec, int64_t ts_ms) {
  double s = (ts_ms - rec.t0_ms) / 1000.0;
  return fmt::format("{}{:.2f}s", s < 0 ? "" : "+", s);
}

// Whether `node` logged `zxid` at or before `until_ms` (and when it first did).
std::optional<int64_t> LoggedAt(const ScenarioRecord& rec, NodeId node, int64_t zxid,
                                int64_t until_ms) {
  auto it = rec.events.find(node);
  if (it == rec.events.end()) return std::nullopt;
  for (const auto& e : it->second) {
    if (e.ts_ms > until_ms) break;
    if (e.type == "logged" && checkers::FieldInt(e.fields, "first", 0) <= zxid &&
        zxid <= checkers::FieldInt(e.fields, "last", 0)) {
      return e.ts_ms;
    }
  }
  return std::nullopt;
}

std::string OpStory(const Scenario& s, const ScenarioRecord& rec, const OpRecord& r,
                    const std::map<std::string, int64_t>& zxids) {
  const Step* step = s.FindOp(r.name);
  std::string what = r.op.f == checkers::Fn::kRead ? "GET " + r.op.key
                     : r.op.f == checkers::Fn::kCas
                         ? fmt::format("CAS {} {}->{}", r.op.key, step->expected, step->value)
                         : fmt::format("{}={}", r.op.key, step->value);
  std::string out = fmt::format("{} ({}) to n{} was {} for the client", r.name, what, r.target,
                                r.op.open() ? "open" : checkers::OutcomeName(r.op.outcome));
  if (r.op.f == checkers::Fn::kRead && r.op.outcome == checkers::Outcome::kOk) {
    out += fmt::format(" (observed {}, {} read)", r.op.value ? *r.op.value : "nil",
                       r.read_mode.empty() ? s.read_mode : r.read_mode);
  }
  if (!r.error.empty()) out += " (" + r.error + ")";
  auto z = zxids.find(r.name);
  if (r.op.f == checkers::Fn::kRead) return out;
  if (z == zxids.end()) return out + "; no node is known to have logged it";
  int64_t zxid = z->second;
  std::vector<NodeId> logged, truncated;
  for (const auto& [id, events] : rec.events) {
    if (LoggedAt(rec, id, zxid, INT64_MAX)) logged.push_back(id);
    for (const auto& e : events) {
      if (e.type == "truncate" && checkers::FieldInt(e.fields, "removed_first", 0) <= zxid &&
          zxid <= checkers::FieldInt(e.fields, "removed_last", 0)) {
        truncated.push_back(id);
        break;
      }
    }
  }
  out += fmt::format(
      "; zxid {} ({}); logged on {}", Zx(zxid),
      r.op.zxid ? "from the reply" : "from n" + std::to_string(r.leader_at_submit) + "'s log",
      NodeNames(logged, "no node"));
  if (!truncated.empty()) out += "; truncated on " + NodeNames(truncated, "no node");
  int64_t epoch = zxid >> 32;
  if (r.op.outcome == checkers::Outcome::kOk) {
    return out + fmt::format("; committed in epoch {} before the reply", epoch);
  }
  // Unacknowledged: the first leader established in a later epoch (during the steps) decided its
  // fate. Did it hold the txn when it won?
  for (const auto* e : OfType(rec, "established")) {
    if (checkers::FieldInt(e->fields, "epoch", 0) <= epoch) continue;
    if (rec.settle_ms && e->ts_ms >= rec.settle_ms) break;
    NodeId leader = static_cast<NodeId>(checkers::FieldInt(e->fields, "leader", 0));
    bool had = LoggedAt(rec, leader, zxid, e->ts_ms).has_value();
    out += fmt::format("; n{} won the election of epoch {} {}", leader,
                       checkers::FieldInt(e->fields, "epoch", 0),
                       had ? "holding it, so it was committed in the sync"
                           : "without it, so the new epoch does not contain it");
    break;
  }
  return out;
}

}  // namespace

std::string Narrate(const Scenario& s, const ScenarioRecord& rec,
                    const std::vector<ExpectationResult>& results) {
  std::string out = "steps:\n";
  for (const auto& l : rec.step_lines) out += "  " + l + "\n";

  out += "leaders (established epochs, from the event logs):\n";
  for (const auto* e : OfType(rec, "established")) {
    out += fmt::format("  {} epoch {}: n{} established with quorum {}\n", At(rec, e->ts_ms),
                       checkers::FieldInt(e->fields, "epoch", 0),
                       checkers::FieldInt(e->fields, "leader", 0), e->fields.Str("quorum", "?"));
  }
  // Step-downs of established epochs; failed attempts (epoch 0: discovery never finished) are
  // only counted, they repeat every initLimit while no quorum can form.
  int failed_attempts = 0;
  for (const auto* e : OfType(rec, "step_down")) {
    if (checkers::FieldInt(e->fields, "epoch", 0) == 0) {
      ++failed_attempts;
      continue;
    }
    out += fmt::format("  {} n{} stepped down from epoch {}: {}\n", At(rec, e->ts_ms), e->node,
                       checkers::FieldInt(e->fields, "epoch", 0), e->fields.Str("reason", ""));
  }
  if (failed_attempts > 0) {
    out += fmt::format("  ({} election attempts gave up before establishing an epoch)\n",
                       failed_attempts);
  }

  auto syncs = OfType(rec, "sync_decision");
  auto truncs = OfType(rec, "truncate");
  if (!syncs.empty() || !truncs.empty()) out += "sync decisions and truncations:\n";
  for (const auto* e : syncs) {
    out += fmt::format(
        "  {} n{} -> n{}: {} (peer at {}, leader at {}, committed log {}..{}{}, sent {}..{})\n",
        At(rec, e->ts_ms), e->node, checkers::FieldInt(e->fields, "peer", 0),
        e->fields.Str("mode", "?"), Zx(checkers::FieldInt(e->fields, "peer_zxid", 0)),
        Zx(checkers::FieldInt(e->fields, "leader_zxid", 0)),
        Zx(checkers::FieldInt(e->fields, "min_zxid", 0)),
        Zx(checkers::FieldInt(e->fields, "max_zxid", 0)),
        checkers::FieldInt(e->fields, "trunc_to", 0)
            ? ", trunc to " + Zx(checkers::FieldInt(e->fields, "trunc_to", 0))
            : "",
        Zx(checkers::FieldInt(e->fields, "first_sent", 0)),
        Zx(checkers::FieldInt(e->fields, "last_sent", 0)));
  }
  for (const auto* e : truncs) {
    out +=
        fmt::format("  {} n{} truncated its log to {}: removed {}..{} ({} txns)\n",
                    At(rec, e->ts_ms), e->node, Zx(checkers::FieldInt(e->fields, "keep_up_to", 0)),
                    Zx(checkers::FieldInt(e->fields, "removed_first", 0)),
                    Zx(checkers::FieldInt(e->fields, "removed_last", 0)),
                    checkers::FieldInt(e->fields, "removed_count", 0));
  }

  auto zxids = ResolveOpZxids(rec.ops, rec.events);
  if (!rec.ops.empty()) out += "operations:\n";
  for (const OpRecord& r : rec.ops) out += "  " + OpStory(s, rec, r, zxids) + "\n";

  if (!results.empty()) out += "expectations:\n";
  for (const auto& r : results) {
    out +=
        fmt::format("  {} step {} {}: {}\n", r.held ? "HOLDS" : "FAILS", r.step, r.text, r.detail);
  }
  return out;
}

}  // namespace faultline::harness::scenario
