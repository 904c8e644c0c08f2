#include "harness/system/log_tail.h"

#include <fstream>
#include <nlohmann/json.hpp>

namespace faultline::harness {

std::vector<std::string> LogTail::ReadLines(bool flush) {
  std::vector<std::string> lines;
  std::ifstream in(path_, std::ios::binary);
  if (in) {
    in.seekg(0, std::ios::end);
    const uint64_t size = static_cast<uint64_t>(in.tellg());
    if (size < offset_) {  // replaced by a shorter file: start over
      offset_ = 0;
      partial_.clear();
    }
    in.seekg(static_cast<std::streamoff>(offset_));
    std::string chunk(size - offset_, '\0');
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    chunk.resize(static_cast<size_t>(in.gcount()));
    offset_ += chunk.size();
    partial_ += chunk;
    size_t start = 0;
    for (size_t nl = partial_.find('\n'); nl != std::string::npos;
         nl = partial_.find('\n', start)) {
      lines.push_back(partial_.substr(start, nl - start));
      start = nl + 1;
    }
    partial_.erase(0, start);
  }
  if (flush && !partial_.empty()) {
    lines.push_back(std::move(partial_));
    partial_.clear();
  }
  return lines;
}

EventImporter::Batch TailImporter::Parse(const std::vector<std::string>& lines) {
  Batch batch;
  for (const std::string& line : lines) {
    if (line.empty()) continue;
    if (std::optional<checkers::NodeEvent> e = parse_(line)) {
      batch.events.push_back(std::move(*e));
    } else {
      ++batch.skipped;
    }
  }
  return batch;
}

std::optional<checkers::NodeEvent> ParseJsonEventLine(std::string_view line, NodeId node) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string() || !j.contains("ts_ms") ||
      !j["ts_ms"].is_number_integer()) {
    return std::nullopt;
  }
  checkers::NodeEvent e;
  e.node = j.contains("node") && j["node"].is_number_integer() ? j["node"].get<int64_t>()
                                                               : static_cast<int64_t>(node);
  e.ts_ms = j["ts_ms"].get<int64_t>();
  e.type = j["type"].get<std::string>();
  e.fields = checkers::FieldList::FromJson(j);
  return e;
}

}  // namespace faultline::harness
