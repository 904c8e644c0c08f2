// runtime::JsonEventLog — zabd's event log: one JSON object per line (docs/contracts.md section
// 3), `{"ts_ms": <unix ms>, "node": <id>, "type": "<type>", ...fields}`.
//
// Contract:
//  * Write() renders one core event (runtime::EventSink); EndBatch() flushes the stdio buffer,
//    so a reader (the harness ingests as the run goes) sees whole lines, once per batch.
//  * WriteStart / WriteStorageError write the records zabd itself adds (the core knows nothing
//    of processes and recovery) and flush at once: they are the first and the last word.
//  * ts_ms comes from the clock given at construction (the wall clock in zabd; a simulated one
//    elsewhere). The file is borrowed: the caller opens it (append mode) and closes it.
//  * Never throws; a failed write is not retried (the event log is evidence, not state).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "server/runtime/node_runtime.h"

namespace runtime {

// The `start` record: what recovery found (contracts.md 3).
struct StartRecord {
  int64_t pid = 0;
  uint64_t last_zxid = 0;
  uint32_t accepted_epoch = 0;
  uint32_t current_epoch = 0;
  uint64_t snapshot_zxid = 0;
  uint64_t records_loaded = 0;
  bool torn_tail_truncated = false;
  std::string torn_tail_file;  // only when torn_tail_truncated
  uint64_t torn_tail_offset = 0;
  // Zeros recovery cut off the last segment's end (space reserved ahead of the log, never data):
  // absent from the record when 0.
  uint64_t zero_tail_bytes = 0;
  // Leftovers recovery deleted (RecoveryReport::removed_files), comma-separated; absent when none.
  std::string removed_files;
  std::string repaired_epoch_files;  // zabd --repair recreated these; absent when empty
  std::string faults;                // "zk-1154,zk-4643"; absent from the record when empty
  bool power_loss_sim = false;       // zabd --power-loss-sim; absent from the record when false
};

class JsonEventLog final : public EventSink {
 public:
  JsonEventLog(std::FILE* file, uint64_t node_id, std::function<uint64_t()> now_ms);

  void Write(const zab::Event& event) override;
  void EndBatch() override;
  void WriteStart(const StartRecord& start);
  void WriteStorageError(const std::string& op, const std::string& error);

 private:
  struct Item {
    std::string_view name;
    const std::variant<int64_t, uint64_t, std::string>* value;  // null: ts_ms, node or type
    uint64_t number;                                            // of ts_ms, node
    std::size_t order;                                          // a later duplicate wins
  };
  std::FILE* file_;
  uint64_t node_id_;
  std::function<uint64_t()> now_ms_;
  std::string line_;         // scratch, reused by every Write
  std::vector<Item> items_;  // scratch
};

}  // namespace runtime
