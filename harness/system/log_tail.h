// Incremental reading of a node's log file as the run goes, for EventImporters.
//
// LogTail returns the complete lines appended to a file since the last call (a line still being
// written, with no newline yet, is kept for the next call). The file may not exist yet (the node
// has not started) and is appended across restarts; if it shrinks (replaced), reading starts over.
// TailImporter turns those lines into NodeEvents with a per-system line parser, counting lines
// the parser rejects; on Finish a trailing partial line (torn by SIGKILL) is parsed once too.
//
// ParseJsonEventLine is the JSON-lines event format (docs/contracts.md section 3) that zabd writes
// and the fake system imitates: one object per line with a string `type` and an integer `ts_ms`;
// `node` defaults to the file's node.
//
// Thread-safety: not thread-safe; one importer per node, polled by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checkers/history.h"
#include "harness/cluster/node.h"
#include "harness/system/system.h"

namespace faultline::harness {

class LogTail {
 public:
  explicit LogTail(std::string path) : path_(std::move(path)) {}
  // New complete lines (without their newline). With `flush`, a trailing partial line too.
  std::vector<std::string> ReadLines(bool flush = false);

 private:
  std::string path_;
  uint64_t offset_ = 0;
  std::string partial_;
};

// nullopt = not an event (skipped and counted).
using EventLineParser = std::function<std::optional<checkers::NodeEvent>(std::string_view line)>;

class TailImporter final : public EventImporter {
 public:
  TailImporter(std::string path, EventLineParser parse) : tail_(std::move(path)), parse_(parse) {}
  Batch Poll() override { return Parse(tail_.ReadLines(false)); }
  Batch Finish() override { return Parse(tail_.ReadLines(true)); }

 private:
  Batch Parse(const std::vector<std::string>& lines);
  LogTail tail_;
  EventLineParser parse_;
};

std::optional<checkers::NodeEvent> ParseJsonEventLine(std::string_view line, NodeId node);

}  // namespace faultline::harness
