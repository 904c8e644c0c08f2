// String names of the history and checker enums (the jsonl format and the CLI use them).
#include <fmt/format.h>

#include <array>
#include <utility>

#include "checkers/checkers.h"
#include "checkers/history.h"

namespace faultline::checkers {
namespace {
constexpr std::array<std::pair<Fn, std::string_view>, 13> kFnNames = {{
    {Fn::kRead, "read"},
    {Fn::kWrite, "write"},
    {Fn::kCas, "cas"},
    {Fn::kDelete, "delete"},
    {Fn::kAdd, "add"},
    {Fn::kReadSet, "read-set"},
    {Fn::kAcquire, "acquire"},
    {Fn::kRelease, "release"},
    {Fn::kTxn, "txn"},
    {Fn::kGet, "get"},
    {Fn::kPut, "put"},
    {Fn::kAppend, "append"},
    {Fn::kCasMismatch, "cas-mismatch"},
}};
constexpr std::array<std::pair<ModelKind, std::string_view>, 6> kModelNames = {{
    {ModelKind::kRegister, "register"},
    {ModelKind::kCasRegister, "cas-register"},
    {ModelKind::kKv, "kv"},
    {ModelKind::kSet, "set"},
    {ModelKind::kMutex, "mutex"},
    {ModelKind::kMultiRegister, "multi-register"},
}};
}  // namespace

std::string_view FnName(Fn f) {
  for (const auto& [k, v] : kFnNames) {
    if (k == f) return v;
  }
  return "?";
}
std::optional<Fn> FnFromName(std::string_view name) {
  for (const auto& [k, v] : kFnNames) {
    if (v == name) return k;
  }
  return std::nullopt;
}
std::string_view OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kFail:
      return "fail";
    case Outcome::kInfo:
      return "info";
  }
  return "?";
}
std::optional<Outcome> OutcomeFromName(std::string_view name) {
  if (name == "ok") return Outcome::kOk;
  if (name == "fail") return Outcome::kFail;
  if (name == "info") return Outcome::kInfo;
  return std::nullopt;
}
std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kValid:
      return "valid";
    case Verdict::kInvalid:
      return "invalid";
    case Verdict::kUnknown:
      return "unknown";
  }
  return "?";
}
Verdict CombineVerdicts(Verdict a, Verdict b) {
  if (a == Verdict::kInvalid || b == Verdict::kInvalid) return Verdict::kInvalid;
  if (a == Verdict::kUnknown || b == Verdict::kUnknown) return Verdict::kUnknown;
  return Verdict::kValid;
}
std::string_view ModelKindName(ModelKind m) {
  for (const auto& [k, v] : kModelNames) {
    if (k == m) return v;
  }
  return "?";
}
bool ParseModelKind(std::string_view name, ModelKind* out) {
  for (const auto& [k, v] : kModelNames) {
    if (v == name) {
      *out = k;
      return true;
    }
  }
  return false;
}

std::string RunTimeText(int64_t ts_ms, int64_t origin_ms) {
  if (origin_ms <= 0) return fmt::format("{} ms", ts_ms);
  return fmt::format("+{:.2f}s", static_cast<double>(ts_ms - origin_ms) / 1000.0);
}

}  // namespace faultline::checkers
