#include "harness/run/event_ingest.h"

#include <fstream>
#include <nlohmann/json.hpp>

namespace faultline::harness {

IngestCounts IngestEventLog(HistoryStore& store, int64_t run_id, NodeId node,
                            const std::string& path) {
  IngestCounts counts;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("type") || !j["type"].is_string() || !j.contains("ts_ms") ||
        !j["ts_ms"].is_number_integer()) {
      ++counts.skipped;
      continue;
    }
    checkers::NodeEvent e;
    e.node = j.contains("node") && j["node"].is_number_integer() ? j["node"].get<int64_t>()
                                                                 : static_cast<int64_t>(node);
    e.ts_ms = j["ts_ms"].get<int64_t>();
    e.type = j["type"].get<std::string>();
    e.fields = std::move(j);
    store.RecordNodeEvent(run_id, e);
    ++counts.events;
  }
  return counts;
}

}  // namespace faultline::harness
