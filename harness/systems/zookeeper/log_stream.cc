#include "harness/systems/zookeeper/log_stream.h"

namespace faultline::harness::zookeeper {

int ZkLogStream::AddLines(int64_t node, const std::vector<std::string>& lines) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& out = lines_[node];
  int malformed = 0;
  for (const std::string& line : lines) {
    out.push_back(ClassifyLogLine(line));
    if (out.back().kind == LogLine::Kind::kMalformed) ++malformed;
  }
  if (!lines.empty()) changed_ = true;
  return malformed;
}

void ZkLogStream::MarkComplete() {
  std::lock_guard<std::mutex> lock(mu_);
  complete_ = true;
  changed_ = true;
}

void ZkLogStream::ImportIfChanged() {
  if (!changed_) return;
  changed_ = false;
  LogImportResult r = ImportParsedLogs(lines_, complete_);
  events_.clear();
  for (size_t i = 0; i < r.events.size(); ++i) {
    events_[r.events[i].node].emplace_back(std::move(r.events[i]), r.settled[i]);
  }
  stats_ = r.stats;
}

std::vector<checkers::NodeEvent> ZkLogStream::Take(int64_t node) {
  std::lock_guard<std::mutex> lock(mu_);
  ImportIfChanged();
  std::vector<checkers::NodeEvent> out;
  const auto& events = events_[node];
  size_t& taken = taken_[node];
  while (taken < events.size() && events[taken].second) out.push_back(events[taken++].first);
  return out;
}

LogImportStats ZkLogStream::stats() {
  std::lock_guard<std::mutex> lock(mu_);
  ImportIfChanged();
  return stats_;
}

}  // namespace faultline::harness::zookeeper
