#include "harness/report/run_view.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace faultline::harness::report {
namespace {

namespace fs = std::filesystem;

template <typename T>
T Scalar(const YAML::Node& n, T fallback) {
  if (!n || !n.IsScalar()) return fallback;
  try {
    return n.as<T>();
  } catch (const YAML::Exception&) {
    return fallback;
  }
}

}  // namespace

SpecFacts ReadSpecFacts(const std::string& spec_yaml) {
  SpecFacts f;
  YAML::Node root;
  try {
    root = YAML::Load(spec_yaml);
  } catch (const YAML::Exception&) {
    return f;
  }
  if (!root.IsMap()) return f;
  YAML::Node system = root["system"];
  if (system && system.IsMap()) {
    f.system = Scalar<std::string>(system["kind"], "zabd");
    f.nodes = Scalar<int>(system["nodes"], 0);
    f.read_mode = Scalar<std::string>(system["read_mode"], "");
  }
  if (f.nodes == 0) f.nodes = Scalar<int>(root["nodes"], 0);  // scenario files
  if (f.read_mode.empty()) f.read_mode = Scalar<std::string>(root["read_mode"], "");
  YAML::Node workload = root["workload"];
  if (workload && workload.IsMap()) f.workload = Scalar<std::string>(workload["type"], "");
  f.concurrency = Scalar<int>(root["concurrency"], 0);
  f.rate = Scalar<double>(root["rate"], 0);
  f.time_limit = Scalar<std::string>(root["time_limit"], "");
  YAML::Node nemesis = root["nemesis"];
  if (nemesis && nemesis.IsMap()) {
    if (nemesis["kinds"] && nemesis["kinds"].IsSequence()) {
      for (const auto& k : nemesis["kinds"]) f.nemesis_kinds.push_back(Scalar<std::string>(k, ""));
    }
    if (nemesis["schedule"] && nemesis["schedule"].IsSequence()) {
      for (const auto& e : nemesis["schedule"]) {
        std::string k = e.IsMap() ? Scalar<std::string>(e["kind"], "") : "";
        if (!k.empty() &&
            std::find(f.nemesis_kinds.begin(), f.nemesis_kinds.end(), k) == f.nemesis_kinds.end()) {
          f.nemesis_kinds.push_back(k);
        }
      }
    }
  }
  return f;
}

std::vector<checkers::NodeEvent> ReadFolderEvents(const std::string& folder) {
  std::vector<checkers::NodeEvent> out;
  std::error_code ec;
  if (folder.empty() || !fs::is_directory(folder, ec)) return out;
  std::vector<fs::path> logs;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    fs::path log = entry.path() / "events.jsonl";
    if (entry.path().filename().string().rfind("node-", 0) == 0 && fs::exists(log, ec)) {
      logs.push_back(log);
    }
  }
  std::sort(logs.begin(), logs.end());
  for (const fs::path& log : logs) {
    std::ifstream in(log);
    for (std::string line; std::getline(in, line);) {
      nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_object() || !j["type"].is_string() || !j["ts_ms"].is_number_integer() ||
          !j["node"].is_number_integer()) {
        continue;  // a torn last line after SIGKILL
      }
      checkers::NodeEvent e;
      e.node = j["node"].get<int64_t>();
      e.ts_ms = j["ts_ms"].get<int64_t>();
      e.type = j["type"].get<std::string>();
      e.fields = checkers::FieldList::FromJson(j);
      out.push_back(std::move(e));
    }
  }
  return out;
}

Result<RunView> LoadRunView(HistoryStore& store, int64_t run_id, const std::string& store_path) {
  RunView v;
  v.store_path = store_path;
  Result<RunRecord> run = store.GetRun(run_id);
  if (!run.ok()) return run.status();
  v.run = std::move(run).value();
  v.spec = ReadSpecFacts(v.run.spec_text);
  if (!v.run.system.empty()) v.spec.system = v.run.system;
  Result<checkers::History> h = store.LoadHistory(run_id);
  if (!h.ok()) return h.status();
  v.history = std::move(h).value();
  Result<std::vector<FaultRecord>> faults = store.LoadFaults(run_id);
  if (!faults.ok()) return faults.status();
  v.faults = std::move(faults).value();
  Result<std::vector<CheckRecord>> checks = store.LoadChecks(run_id);
  if (!checks.ok()) return checks.status();
  v.checks = std::move(checks).value();
  v.events_source = "store";
  if (v.history.node_events.empty()) {
    v.history.node_events = ReadFolderEvents(v.run.folder);
    v.events_source = v.history.node_events.empty() ? "none" : "run folder";
  }
  v.t0_ns = v.run.started_ms * 1'000'000;
  // Drawn up to the last thing that happened in the cluster, not to the end of the check phase.
  int64_t last = v.t0_ns + 1'000'000'000;
  for (const auto& op : v.history.ops)
    last = std::max(last, op.open() ? op.invoke_ns : op.complete_ns);
  for (const auto& e : v.history.node_events) last = std::max(last, e.ts_ms * 1'000'000);
  for (const auto& f : v.history.faults) {
    last = std::max(last, f.stop_ns == checkers::kOpenNs ? f.start_ns : f.stop_ns);
  }
  v.end_ns = last;
  return v;
}

}  // namespace faultline::harness::report
