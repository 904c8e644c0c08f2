#include "harness/shrink/target.h"

#include <fmt/format.h>

namespace faultline::harness::shrink {
namespace {

bool IsLostWrite(const checkers::Anomaly& a) { return a.checker == "lost-write"; }

}  // namespace

Result<MatchLevel> ParseMatchLevel(const std::string& text) {
  if (text == "checker") return MatchLevel::kChecker;
  if (text == "key") return MatchLevel::kKey;
  if (text == "write") return MatchLevel::kWrite;
  return Status::InvalidArgument(
      fmt::format("--match: '{}' is not one of checker, key, write", text));
}

const char* MatchLevelName(MatchLevel level) {
  switch (level) {
    case MatchLevel::kChecker:
      return "checker";
    case MatchLevel::kKey:
      return "key";
    case MatchLevel::kWrite:
      return "write";
  }
  return "?";
}

Result<AnomalyTarget> TargetOf(const std::vector<CheckRecord>& checks, const std::string& checker) {
  for (const CheckRecord& c : checks) {
    if (c.verdict != "invalid" || (!checker.empty() && c.checker != checker)) continue;
    AnomalyTarget t;
    t.checker = c.checker;
    t.description = c.reason;
    for (const checkers::Anomaly& a : c.anomalies) {
      if (a.observation) continue;
      t.key = a.key;
      t.description = a.description;
      if (IsLostWrite(a) && !a.ops.empty()) t.write_op = a.ops.front();
      break;
    }
    return t;
  }
  if (!checker.empty()) return Status::NotFound("the run has no " + checker + " anomaly");
  return Status::NotFound("the run has no anomaly (no invalid check)");
}

AttemptMatch Compare(const AnomalyTarget& target, const std::vector<CheckRecord>& checks) {
  AttemptMatch m;
  for (const CheckRecord& c : checks) {
    if (c.verdict != "invalid" || c.checker != target.checker) continue;
    m.same_checker = true;
    m.checker = c.checker;
    for (const checkers::Anomaly& a : c.anomalies) {
      if (a.observation) continue;
      const bool key = !target.key.empty() && a.key == target.key;
      const bool write = target.write_op >= 0 && IsLostWrite(a) && !a.ops.empty() &&
                         a.ops.front() == target.write_op;
      // Best first: the same write, then the same key, then any.
      const int score = write ? 3 : key ? 2 : 1;
      const int best = m.same_write ? 3 : m.same_key ? 2 : m.anomaly ? 1 : 0;
      if (score > best) {
        m.anomaly = &a;
        m.same_key = key || write;
        m.same_write = write;
      }
    }
  }
  return m;
}

bool Reproduces(const AnomalyTarget& target, const AttemptMatch& m, MatchLevel level) {
  if (!m.same_checker) return false;
  const bool has_key = !target.key.empty();
  switch (level) {
    case MatchLevel::kChecker:
      return true;
    case MatchLevel::kKey:
      return !has_key || m.same_key;
    case MatchLevel::kWrite:
      if (target.write_op >= 0) return m.same_write;
      return !has_key || m.same_key;
  }
  return false;
}

std::string DescribeMatch(const AnomalyTarget& target, const AttemptMatch& m) {
  if (!m.same_checker) return fmt::format("no {} anomaly", target.checker);
  if (m.same_write) {
    return fmt::format("same lost write (op {}, key {})", target.write_op, target.key);
  }
  if (m.same_key) return fmt::format("{}, same key ({})", target.checker, target.key);
  if (!target.key.empty() && m.anomaly) {
    return fmt::format("{}, other key ({})", target.checker, m.anomaly->key);
  }
  return target.checker;
}

}  // namespace faultline::harness::shrink
