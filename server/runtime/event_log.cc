#include "server/runtime/event_log.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>

namespace runtime {

namespace {

void WriteLine(std::FILE* file, uint64_t ts_ms, uint64_t node, const std::string& type,
               nlohmann::json fields) {
  fields["ts_ms"] = ts_ms;
  fields["node"] = node;
  fields["type"] = type;
  std::string line = fields.dump();
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), file);
}

}  // namespace

JsonEventLog::JsonEventLog(std::FILE* file, uint64_t node_id, std::function<uint64_t()> now_ms)
    : file_(file), node_id_(node_id), now_ms_(std::move(now_ms)) {}

// The line nlohmann::json would print for {fields..., ts_ms, node, type} (an object is a
// std::map there: keys sorted, a later duplicate replacing an earlier one), written without
// building that map: this runs for every range event of every batch (perf, issue 8).
void JsonEventLog::Write(const zab::Event& event) {
  items_.clear();
  for (const auto& [name, value] : event.fields) {
    items_.push_back({name, &value, 0, items_.size()});
  }
  const uint64_t ts = now_ms_();
  items_.push_back({"ts_ms", nullptr, ts, items_.size()});
  items_.push_back({"node", nullptr, node_id_, items_.size()});
  items_.push_back({"type", nullptr, 0, items_.size()});
  std::sort(items_.begin(), items_.end(), [](const Item& a, const Item& b) {
    return a.name != b.name ? a.name < b.name : a.order < b.order;
  });
  line_.clear();
  line_.push_back('{');
  auto out = std::back_inserter(line_);
  for (std::size_t i = 0; i < items_.size(); ++i) {
    const Item& it = items_[i];
    if (i + 1 < items_.size() && items_[i + 1].name == it.name) continue;  // the last one wins
    if (line_.size() > 1) line_.push_back(',');
    line_.append(nlohmann::json(std::string(it.name)).dump());
    line_.push_back(':');
    if (it.value == nullptr) {
      if (it.name == "type") {
        line_.append(nlohmann::json(event.type).dump());
      } else {
        fmt::format_to(out, "{}", it.number);
      }
    } else if (const auto* str = std::get_if<std::string>(it.value)) {
      line_.append(nlohmann::json(*str).dump());
    } else {
      std::visit([&](const auto& v) { fmt::format_to(out, "{}", v); }, *it.value);
    }
  }
  line_.append("}\n");
  std::fwrite(line_.data(), 1, line_.size(), file_);
}

void JsonEventLog::EndBatch() { std::fflush(file_); }

void JsonEventLog::WriteStart(const StartRecord& s) {
  nlohmann::json f = {{"pid", s.pid},
                      {"last_zxid", s.last_zxid},
                      {"accepted_epoch", s.accepted_epoch},
                      {"current_epoch", s.current_epoch},
                      {"snapshot_zxid", s.snapshot_zxid},
                      {"records_loaded", s.records_loaded},
                      {"torn_tail_truncated", s.torn_tail_truncated}};
  if (s.torn_tail_truncated) {
    f["torn_tail_file"] = s.torn_tail_file;
    f["torn_tail_offset"] = s.torn_tail_offset;
  }
  if (s.zero_tail_bytes > 0) f["zero_tail_bytes"] = s.zero_tail_bytes;
  if (!s.removed_files.empty()) f["removed_files"] = s.removed_files;
  if (!s.repaired_epoch_files.empty()) f["repaired_epoch_files"] = s.repaired_epoch_files;
  // TEST ONLY fault points (zab::KnownFaults): absent from the record when none is enabled.
  if (!s.faults.empty()) f["faults"] = s.faults;
  if (s.power_loss_sim) f["power_loss_sim"] = true;
  WriteLine(file_, now_ms_(), node_id_, "start", std::move(f));
  std::fflush(file_);
}

void JsonEventLog::WriteStorageError(const std::string& op, const std::string& error) {
  WriteLine(file_, now_ms_(), node_id_, "storage_error", {{"op", op}, {"error", error}});
  std::fflush(file_);
}

}  // namespace runtime
