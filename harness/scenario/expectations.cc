// Expectation verdicts (record.h EvaluateExpectations).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>

#include "checkers/checkers.h"
#include "harness/scenario/record.h"
#include "harness/scenario/wait.h"

namespace faultline::harness::scenario {
namespace {

std::string Shown(const std::optional<std::string>& v) { return v ? *v : "nil"; }

const OpRecord* FindRecord(const ScenarioRecord& rec, const std::string& name) {
  for (const OpRecord& r : rec.ops) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

std::string ClientView(const OpRecord& r) {
  std::string s = fmt::format("{} was {} for the client", r.name,
                              r.op.open() ? "open" : checkers::OutcomeName(r.op.outcome));
  if (!r.error.empty()) s += " (" + r.error + ")";
  return s;
}

// Nodes, by final value of `key`: which hold `value`, which do not, which could not be read.
struct Presence {
  std::vector<NodeId> have, lack, unread;
  std::map<NodeId, std::string> values;
};

Presence PresenceOf(const ScenarioRecord& rec, const std::string& key, const std::string& value) {
  Presence p;
  for (NodeId id = 1; id <= rec.nodes; ++id) {
    auto n = rec.final_values.find(id);
    if (n == rec.final_values.end() || !n->second.count(key)) {
      p.unread.push_back(id);
      continue;
    }
    const std::optional<std::string>& v = n->second.at(key);
    p.values[id] = Shown(v);
    (v && *v == value ? p.have : p.lack).push_back(id);
  }
  return p;
}

ExpectationResult EvalOp(const Scenario& s, const ScenarioRecord& rec, const Expectation& e) {
  ExpectationResult r;
  const Step* step = s.FindOp(e.op);
  const OpRecord* op = FindRecord(rec, e.op);
  if (!op) {
    r.detail = e.op + " was never submitted";
    return r;
  }
  Presence p = PresenceOf(rec, step->key, step->value);
  std::string view = ClientView(*op);
  if (!p.unread.empty()) {
    r.detail = fmt::format("{}; the final read of {} failed on {}: cannot judge", view, step->key,
                           NodeNames(p.unread));
    return r;
  }
  std::string observed;
  if (p.lack.empty()) {
    observed = "kept";
  } else if (p.have.empty()) {
    observed = "lost";
  } else {
    observed = "divergent";
  }
  std::string where;
  for (const auto& [id, v] : p.values) {
    where += fmt::format("{}n{} {}={}", where.empty() ? "" : ", ", id, step->key, v);
  }
  r.held = observed == e.outcome || (e.outcome == "either" && observed != "divergent");
  r.detail =
      fmt::format("{}; final values after the settle phase: {}: {}", view, where,
                  observed == "divergent"
                      ? fmt::format("divergent ({} have {}={}, {} do not)", NodeNames(p.have),
                                    step->key, step->value, NodeNames(p.lack))
                      : observed);
  return r;
}

bool ExcludedRead(const Scenario& s, const OpRecord& r) {
  if (r.op.f != checkers::Fn::kRead) return false;
  std::string mode = r.read_mode.empty() ? s.read_mode : r.read_mode;
  return mode != "linearizable";
}

ExpectationResult EvalLinearizable(const Scenario& s, const ScenarioRecord& rec) {
  ExpectationResult r;
  checkers::History h;
  h.model = "cas-register";
  h.source = s.name;
  int excluded = 0;
  for (const OpRecord& o : rec.ops) {
    if (ExcludedRead(s, o)) {
      ++excluded;
      continue;
    }
    h.ops.push_back(o.op);
  }
  // The final reads are taken after every node agreed (and restarted): reads of the final state.
  for (const checkers::Op& o : rec.final_reads) h.ops.push_back(o);
  checkers::ModelOptions model;
  model.kind = checkers::ModelKind::kCasRegister;
  checkers::Budget budget;
  budget.time_limit_ms = 20'000;
  budget.threads = 1;
  checkers::LinearizabilityResult lr = checkers::CheckLinearizable(h, model, budget);
  r.held = lr.verdict == checkers::Verdict::kValid;
  r.detail = fmt::format(
      "{} ops ({} scenario ops, {} final reads; {} local/sync reads excluded): "
      "{}",
      h.ops.size(), h.ops.size() - rec.final_reads.size(), rec.final_reads.size(), excluded,
      checkers::VerdictName(lr.verdict));
  if (!lr.reason.empty()) r.detail += " (" + lr.reason + ")";
  for (const auto& a : lr.anomalies) r.detail += "; " + a.description;
  return r;
}

// Looks at decisions logged before the expect step itself ran (before `cutoff_ms`).
ExpectationResult EvalSync(const ScenarioRecord& rec, const Expectation& e, int64_t cutoff_ms) {
  ExpectationResult r;
  std::vector<NodeId> nodes;
  for (const std::string& t : e.node.terms) {
    if (t.size() >= 2 && t[0] == 'n' && std::isdigit(static_cast<unsigned char>(t[1]))) {
      nodes.push_back(std::stoi(t.substr(1)));
    } else if (auto b = rec.bindings.find(t); b != rec.bindings.end()) {
      nodes.insert(nodes.end(), b->second.begin(), b->second.end());
    } else {
      r.detail = fmt::format(
          "sync.node '{}' must be n<k> or a binding (roles change by the end "
          "of the run)",
          t);
      return r;
    }
  }
  if (nodes.size() != 1) {
    r.detail =
        fmt::format("sync.node '{}' resolved to {} nodes, expected one", e.node.text, nodes.size());
    return r;
  }
  NodeId node = nodes[0];
  const checkers::NodeEvent* last = nullptr;
  for (const auto& [id, events] : rec.events) {
    for (const auto& ev : events) {
      if (ev.type != "sync_decision" || checkers::FieldInt(ev.fields, "peer", 0) != node) continue;
      if (cutoff_ms && ev.ts_ms > cutoff_ms) continue;
      if (!last || ev.ts_ms >= last->ts_ms) last = &ev;
    }
  }
  if (!last) {
    r.detail = fmt::format("no leader logged a sync decision for n{} before this step", node);
    return r;
  }
  std::string mode = last->fields.Str("mode", "");
  int64_t first_sent = checkers::FieldInt(last->fields, "first_sent", 0),
          last_sent = checkers::FieldInt(last->fields, "last_sent", 0);
  r.detail = fmt::format(
      "n{} -> n{}: {} (peer_zxid {}, leader_zxid {}, trunc_to {}, sent {}..{})", last->node, node,
      mode, Zx(checkers::FieldInt(last->fields, "peer_zxid", 0)),
      Zx(checkers::FieldInt(last->fields, "leader_zxid", 0)),
      Zx(checkers::FieldInt(last->fields, "trunc_to", 0)), Zx(first_sent), Zx(last_sent));
  r.held = std::find(e.modes.begin(), e.modes.end(), mode) != e.modes.end();
  if (!r.held) r.detail += "; expected " + fmt::format("{}", fmt::join(e.modes, " or "));
  auto zxids = ResolveOpZxids(rec.ops, rec.events);
  auto check_range = [&](const std::string& op, bool is_first) {
    if (op.empty()) return;
    auto it = zxids.find(op);
    if (it == zxids.end()) {
      r.held = false;
      r.detail += fmt::format("; the zxid of {} is unknown", op);
      return;
    }
    bool inside = first_sent != 0 && first_sent <= it->second && it->second <= last_sent;
    r.detail += fmt::format("; {} ({}) {} the range sent", op, Zx(it->second),
                            inside ? "is inside" : "is NOT inside");
    (void)is_first;
    r.held = r.held && inside;
  };
  check_range(e.first_op, true);
  check_range(e.last_op, false);
  return r;
}

ExpectationResult EvalInvariants(const ScenarioRecord& rec) {
  ExpectationResult r;
  std::vector<checkers::NodeEvent> all;
  for (const auto& [id, events] : rec.events) all.insert(all.end(), events.begin(), events.end());
  checkers::InvariantResult ir = checkers::CheckZabInvariants(all, rec.t0_ms);
  r.held = ir.verdict == checkers::Verdict::kValid;
  r.detail = fmt::format("{} events: {}", ir.events_checked, checkers::VerdictName(ir.verdict));
  if (!ir.reason.empty()) r.detail += " (" + ir.reason + ")";
  for (const auto& a : ir.anomalies) r.detail += "; " + a.description;
  return r;
}

ExpectationResult EvalAckedKept(const ScenarioRecord& rec) {
  ExpectationResult r;
  r.held = true;
  int checked = 0;
  for (const OpRecord& w : rec.ops) {
    if (w.op.f == checkers::Fn::kRead || w.op.outcome != checkers::Outcome::kOk) continue;
    ++checked;
    // Later writes to the same key (not certainly failed) may legitimately replace it.
    std::set<std::string> allowed = {*w.op.value};
    for (const OpRecord& later : rec.ops) {
      if (later.op.f != checkers::Fn::kRead && later.op.key == w.op.key &&
          later.op.invoke_ns > w.op.invoke_ns && later.op.outcome != checkers::Outcome::kFail) {
        allowed.insert(*later.op.value);
      }
    }
    for (NodeId id = 1; id <= rec.nodes; ++id) {
      auto n = rec.final_values.find(id);
      if (n == rec.final_values.end() || !n->second.count(w.op.key)) {
        r.held = false;
        r.detail += fmt::format("n{}: final read of {} failed; ", id, w.op.key);
        continue;
      }
      const auto& v = n->second.at(w.op.key);
      if (!v || !allowed.count(*v)) {
        r.held = false;
        r.detail += fmt::format("{} ({}={}, ok) is missing on n{} (it has {}); ", w.name, w.op.key,
                                *w.op.value, id, Shown(v));
      }
    }
  }
  if (r.held) r.detail = fmt::format("every ok write ({}) is on every node", checked);
  return r;
}

ExpectationResult EvalRead(const ScenarioRecord& rec, const Expectation& e) {
  ExpectationResult r;
  const OpRecord* rd = FindRecord(rec, e.op);
  if (!rd) {
    r.detail = e.op + " was never submitted";
    return r;
  }
  if (rd->op.outcome != checkers::Outcome::kOk) {
    r.held = e.outcome == "either";
    r.detail = ClientView(*rd) + ": no value observed";
    return r;
  }
  const OpRecord* latest = nullptr;
  for (const OpRecord& w : rec.ops) {
    if (w.op.f == checkers::Fn::kRead || w.op.key != rd->op.key) continue;
    if (w.op.outcome == checkers::Outcome::kOk && w.op.complete_ns < rd->op.invoke_ns &&
        (!latest || w.op.complete_ns > latest->op.complete_ns)) {
      latest = &w;
    }
  }
  std::set<std::string> fresh_values;
  if (latest) fresh_values.insert(*latest->op.value);
  for (const OpRecord& w : rec.ops) {
    // A write concurrent with or newer than the latest acknowledged one may also be seen.
    if (w.op.f != checkers::Fn::kRead && w.op.key == rd->op.key &&
        w.op.outcome != checkers::Outcome::kFail &&
        (!latest || w.op.invoke_ns > latest->op.invoke_ns)) {
      fresh_values.insert(*w.op.value);
    }
  }
  bool fresh = rd->op.value ? fresh_values.count(*rd->op.value) > 0 : latest == nullptr;
  r.held = e.outcome == "either" || (e.outcome == "fresh") == fresh;
  r.detail = fmt::format(
      "{} (n{}, {} read) observed {}={}; the latest acknowledged write before "
      "it: {}: {}",
      e.op, rd->target, rd->read_mode.empty() ? "default" : rd->read_mode, rd->op.key,
      Shown(rd->op.value),
      latest ? fmt::format("{} ({})", latest->name, *latest->op.value) : "none",
      fresh ? "fresh" : "stale");
  return r;
}

}  // namespace

std::vector<ExpectationResult> EvaluateExpectations(const Scenario& scenario,
                                                    const ScenarioRecord& record) {
  std::vector<ExpectationResult> out;
  for (const Step& step : scenario.steps) {
    if (step.kind != StepKind::kExpect) continue;
    const Expectation& e = step.expectation;
    ExpectationResult r;
    switch (e.kind) {
      case ExpectKind::kOp:
        r = EvalOp(scenario, record, e);
        break;
      case ExpectKind::kLinearizable:
        r = EvalLinearizable(scenario, record);
        break;
      case ExpectKind::kSync: {
        auto at = record.step_ms.find(step.index);
        r = EvalSync(record, e, at != record.step_ms.end() ? at->second : record.settle_ms);
        break;
      }
      case ExpectKind::kInvariants:
        r = EvalInvariants(record);
        break;
      case ExpectKind::kAckedKept:
        r = EvalAckedKept(record);
        break;
      case ExpectKind::kRead:
        r = EvalRead(record, e);
        break;
    }
    r.step = step.index;
    r.text = step.text;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace faultline::harness::scenario
