// ZkLogStream: the ZooKeeper log importer (log_import.h) as the run goes. Every node's log lines
// come in as they are written; Take(node) hands out that node's events once they are settled
// (more text cannot change them: the join with the other nodes' logs is done), each event once and
// in log order. MarkComplete, once the nodes have stopped, settles everything left.
//
// Each Take after new lines re-runs the (cheap, already parsed) import over everything read so
// far; events handed out are never revised, because only settled events are handed out.
//
// Thread-safety: thread-safe (one mutex); one stream serves every node's EventImporter.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "harness/systems/zookeeper/log_import.h"

namespace faultline::harness::zookeeper {

class ZkLogStream {
 public:
  // Complete lines of `node`'s log, in order (without their newline). Returns how many of them
  // look like records but do not parse.
  int AddLines(int64_t node, const std::vector<std::string>& lines);
  // `node`'s settled events not handed out before.
  std::vector<checkers::NodeEvent> Take(int64_t node);
  void MarkComplete();
  LogImportStats stats();

 private:
  void ImportIfChanged();  // with mu_ held

  std::mutex mu_;
  std::map<int64_t, std::vector<LogLine>> lines_;
  std::map<int64_t, size_t> taken_;  // node -> events of that node handed out
  bool complete_ = false;
  bool changed_ = true;
  std::map<int64_t, std::vector<std::pair<checkers::NodeEvent, bool>>> events_;  // (event, settled)
  LogImportStats stats_;
};

}  // namespace faultline::harness::zookeeper
