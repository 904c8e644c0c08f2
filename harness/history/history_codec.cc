#include "harness/history/history_codec.h"

#include <yaml-cpp/yaml.h>

#include <array>
#include <utility>

#include "harness/spec/test_spec.h"

namespace faultline::harness {
namespace {

constexpr std::array<std::pair<checkers::Fn, std::string_view>, 12> kFnNames = {{
    {checkers::Fn::kRead, "read"},
    {checkers::Fn::kWrite, "write"},
    {checkers::Fn::kCas, "cas"},
    {checkers::Fn::kDelete, "delete"},
    {checkers::Fn::kAdd, "add"},
    {checkers::Fn::kReadSet, "read-set"},
    {checkers::Fn::kAcquire, "acquire"},
    {checkers::Fn::kRelease, "release"},
    {checkers::Fn::kTxn, "txn"},
    {checkers::Fn::kGet, "get"},
    {checkers::Fn::kPut, "put"},
    {checkers::Fn::kAppend, "append"},
}};

}  // namespace

std::string_view FnToText(checkers::Fn f) {
  for (const auto& [fn, name] : kFnNames) {
    if (fn == f) return name;
  }
  return "read";
}

checkers::Fn FnFromText(std::string_view text) {
  for (const auto& [fn, name] : kFnNames) {
    if (name == text) return fn;
  }
  return checkers::Fn::kRead;
}

std::string_view OutcomeToText(checkers::Outcome o) {
  switch (o) {
    case checkers::Outcome::kOk:
      return "ok";
    case checkers::Outcome::kFail:
      return "fail";
    case checkers::Outcome::kInfo:
      return "info";
  }
  return "info";
}

checkers::Outcome OutcomeFromText(std::string_view text) {
  if (text == "ok") return checkers::Outcome::kOk;
  if (text == "fail") return checkers::Outcome::kFail;
  return checkers::Outcome::kInfo;
}

void DescribeRunModel(const std::string& spec_text, checkers::History* history) {
  history->model = "cas-register";
  Result<TestSpec> spec = ParseTestSpec(spec_text, "stored spec");
  if (!spec.ok()) return;
  history->model = spec->workload.kind == WorkloadKind::kSet ? "set" : "cas-register";
  const std::string& m = spec->system.read_mode;
  history->read_mode = m == "local"  ? checkers::ReadMode::kLocal
                       : m == "sync" ? checkers::ReadMode::kSync
                                     : checkers::ReadMode::kLinearizable;
}

std::string SystemOfSpec(const std::string& spec_text) {
  try {
    YAML::Node root = YAML::Load(spec_text);
    if (!root.IsMap()) return "";
    YAML::Node system = root["system"];
    if (system && system.IsMap() && system["kind"] && system["kind"].IsScalar()) {
      return system["kind"].as<std::string>();
    }
    return "zabd";
  } catch (const YAML::Exception&) {
    return "";
  }
}

}  // namespace faultline::harness
