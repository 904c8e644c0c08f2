#include "server/runtime/event_log.h"

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

void JsonEventLog::Write(const zab::Event& event) {
  nlohmann::json fields = nlohmann::json::object();
  for (const auto& [name, value] : event.fields) {
    std::visit([&](const auto& v) { fields[name] = v; }, value);
  }
  WriteLine(file_, now_ms_(), node_id_, event.type, std::move(fields));
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
