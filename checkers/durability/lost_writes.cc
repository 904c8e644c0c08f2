// Lost acknowledged writes, with forensics from the node event logs.
//
// Per key, the final read is the last ok read whose invoke follows the completion of every ok
// write of that key (the harness reads every key after healing). A key without one is not
// checked. An ok write W is lost when the final read shows a write V that W must follow:
// zxid(W) > zxid(V) when both are known, otherwise V is ok and W was invoked after V completed
// (an info V may take effect any time after its invoke, so it may follow W). A final read of
// nil loses every ok write not possibly followed by a delete. Sets: every ok add must be in the
// final read-set.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "checkers/checkers.h"
#include "checkers/zab/zxid.h"

namespace faultline::checkers {
namespace {

constexpr int64_t kFaultWindowNs = 10'000'000'000;  // faults up to 10 s after the ack count

bool IsRegisterWrite(const Op& op) {
  return op.f == Fn::kWrite || op.f == Fn::kPut || op.f == Fn::kCas || op.f == Fn::kDelete;
}

// Which nodes logged / committed zxid z, and which truncations and sync decisions removed it.
std::string Forensics(int64_t z, const std::vector<NodeEvent>& events, int64_t origin_ms) {
  std::vector<std::string> logged, committed, removed, syncs;
  for (const NodeEvent& ev : events) {
    const auto& f = ev.fields;
    if (ev.type == "logged" || ev.type == "committed") {
      if (FieldInt(f, "first") <= z && z <= FieldInt(f, "last")) {
        (ev.type == "logged" ? logged : committed)
            .push_back(fmt::format("node {} at {}", ev.node, RunTimeText(ev.ts_ms, origin_ms)));
      }
    } else if (ev.type == "truncate") {
      int64_t lo = FieldInt(f, "removed_first"), hi = FieldInt(f, "removed_last");
      if (lo < 0) lo = FieldInt(f, "keep_up_to") + 1;
      if (lo <= z && z <= hi) {
        removed.push_back(fmt::format("node {} truncated to {} at {} (removed {} txns)", ev.node,
                                      ZxidString(FieldInt(f, "keep_up_to")),
                                      RunTimeText(ev.ts_ms, origin_ms),
                                      FieldInt(f, "removed_count")));
      }
    } else if (ev.type == "sync_decision") {
      // The leader lacked z and the peer had it: this sync removed z from the peer.
      int64_t leader = FieldInt(f, "leader_zxid"), peer = FieldInt(f, "peer_zxid");
      std::string mode = f.Str("mode");
      if (leader < z && peer >= z && mode != "DIFF") {
        syncs.push_back(
            fmt::format("leader node {} chose {} for peer {} at {} (peer_zxid {}, "
                        "leader_zxid {}, trunc_to {})",
                        ev.node, mode, FieldInt(f, "peer"), RunTimeText(ev.ts_ms, origin_ms),
                        ZxidString(peer),
                        ZxidString(leader), ZxidString(FieldInt(f, "trunc_to"))));
      }
    }
  }
  auto list = [](const std::vector<std::string>& v) {
    return v.empty() ? std::string("none") : fmt::format("{}", fmt::join(v, "; "));
  };
  return fmt::format(
      "logged by: {}\ncommitted by: {}\nremoved by truncate: {}\nremoved by sync "
      "decision: {}\n",
      list(logged), list(committed), list(removed), list(syncs));
}

// An op's or fault's time (ns) in a message: the offset from the run's start when the history
// knows it, else the history's own ns.
std::string NsText(const History& h, int64_t ns) {
  return h.origin_ms > 0 ? RunTimeText(ns / 1'000'000, h.origin_ms) : std::to_string(ns);
}

std::string FaultsAround(const History& h, int64_t from, int64_t to) {
  std::vector<std::string> out;
  for (const Fault& f : h.faults) {
    if (f.start_ns <= to && f.stop_ns >= from) {
      out.push_back(fmt::format(
          "{} {} [{} .. {}] {}", f.kind, fmt::join(f.targets, ","), NsText(h, f.start_ns),
          f.stop_ns == kOpenNs ? std::string("never healed") : NsText(h, f.stop_ns), f.description));
    }
  }
  return out.empty() ? "faults around: none\n"
                     : fmt::format("faults around:\n  {}\n", fmt::join(out, "\n  "));
}

}  // namespace

LostWriteResult CheckLostWrites(const History& h) {
  LostWriteResult result;
  std::map<std::string, std::vector<const Op*>> by_key;
  for (const Op& op : h.ops) by_key[op.key].push_back(&op);
  int checked_keys = 0, unchecked_keys = 0;
  for (const auto& [key, ops] : by_key) {
    int64_t last_write_done = std::numeric_limits<int64_t>::min();
    bool has_writes = false;
    for (const Op* op : ops) {
      if (op->ok() && (IsRegisterWrite(*op) || op->f == Fn::kAdd)) {
        has_writes = true;
        last_write_done = std::max(last_write_done, op->complete_ns);
      }
    }
    if (!has_writes) continue;
    const Op* final_read = nullptr;
    for (const Op* op : ops) {
      bool read = op->f == Fn::kRead || op->f == Fn::kGet || op->f == Fn::kReadSet;
      if (read && op->ok() && op->invoke_ns > last_write_done &&
          (final_read == nullptr || op->invoke_ns > final_read->invoke_ns)) {
        final_read = op;
      }
    }
    if (final_read == nullptr) {
      ++unchecked_keys;
      continue;
    }
    ++checked_keys;
    // The write the final read observed (values are unique per key), ok or info.
    const Op* visible = nullptr;
    if (final_read->f != Fn::kReadSet && final_read->value) {
      for (const Op* op : ops) {
        if (IsRegisterWrite(*op) && op->f != Fn::kDelete && op->outcome != Outcome::kFail &&
            op->value == final_read->value) {
          visible = op;
        }
      }
    }
    for (const Op* w : ops) {
      if (!w->ok() || !(IsRegisterWrite(*w) || w->f == Fn::kAdd)) continue;
      ++result.writes_checked;
      bool lost = false;
      std::string why;
      if (w->f == Fn::kAdd) {
        lost = final_read->f == Fn::kReadSet &&
               std::find(final_read->elements.begin(), final_read->elements.end(),
                         w->value.value_or("")) == final_read->elements.end();
        why = "missing from the final read-set";
      } else if (final_read->f == Fn::kReadSet || w == visible) {
        continue;
      } else if (visible != nullptr) {
        // Real time orders W after V only when V certainly took effect before its completion:
        // an info (or never completed) write may take effect at any point after its invoke,
        // so it may have followed W and W is not lost.
        lost = (w->zxid && visible->zxid) ? *w->zxid > *visible->zxid
                                          : visible->ok() && w->invoke_ns > visible->complete_ns;
        why = fmt::format(
            "the final read (op {}) shows {} written by op {}{}, which this write "
            "follows",
            final_read->index, final_read->value.value_or("nil"), visible->index,
            visible->zxid ? " at " + ZxidString(*visible->zxid) : "");
      } else if (!final_read->value) {
        // Final read of nil: lost unless a delete may follow the write.
        bool deleted = std::any_of(ops.begin(), ops.end(), [&](const Op* d) {
          // An info delete may take effect at any point after its invoke, so it may follow W.
          return d->f == Fn::kDelete && d->outcome != Outcome::kFail &&
                 (!d->ok() || d->complete_ns > w->invoke_ns);
        });
        lost = w->f != Fn::kDelete && !deleted;
        why = fmt::format("the final read (op {}) shows the key absent", final_read->index);
      }
      if (!lost) continue;
      Anomaly a;
      a.checker = "lost-write";
      a.key = key;
      a.start_ns = w->invoke_ns;
      a.end_ns = final_read->complete_ns;
      a.ops = {w->index, final_read->index};
      a.description = fmt::format(
          "acknowledged {} of {} to key {:?} by process {} (op {}, acknowledged at {}{}) is lost: "
          "{}",
          FnName(w->f), w->value.value_or("nil"), key, w->process, w->index, NsText(h, w->complete_ns),
          w->zxid ? ", zxid " + ZxidString(*w->zxid) : "", why);
      a.detail = w->zxid ? Forensics(*w->zxid, h.node_events, h.origin_ms)
                         : std::string("zxid unknown: no node-log forensics\n");
      a.detail += FaultsAround(h, w->invoke_ns, w->complete_ns + kFaultWindowNs);
      result.anomalies.push_back(std::move(a));
    }
  }
  if (!result.anomalies.empty()) {
    result.verdict = Verdict::kInvalid;
    result.reason = fmt::format("{} acknowledged writes lost", result.anomalies.size());
  } else if (checked_keys == 0 && unchecked_keys > 0) {
    result.verdict = Verdict::kUnknown;
    result.reason = "no key has a final read after its last acknowledged write";
  } else if (unchecked_keys > 0) {
    result.reason = fmt::format("{} keys without a final read were not checked", unchecked_keys);
  }
  return result;
}

}  // namespace faultline::checkers
