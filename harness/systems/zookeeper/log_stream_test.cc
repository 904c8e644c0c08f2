// The streaming importer on the real logs of testdata/zookeeper, fed as a run would write them.
#include "harness/systems/zookeeper/log_stream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace faultline::harness::zookeeper {
namespace {

struct TimedLine {
  int64_t ts_ms;
  int64_t node;
  std::string text;
};

// Every line of the three real logs in (roughly) the order the servers wrote them: by the time of
// the record a line belongs to.
std::vector<TimedLine> Interleaved(std::map<int64_t, std::string>* whole) {
  std::vector<TimedLine> out;
  for (int64_t id = 1; id <= 3; ++id) {
    std::ifstream in(std::string(FAULTLINE_SOURCE_DIR) +
                     "/testdata/zookeeper/kill-partition-pause/node-" + std::to_string(id) +
                     ".log");
    std::stringstream ss;
    ss << in.rdbuf();
    (*whole)[id] = ss.str();
    std::stringstream lines(ss.str());
    int64_t ts = 0;
    for (std::string line; std::getline(lines, line);) {
      if (auto r = ParseLogLine(line)) ts = r->ts_ms;
      out.push_back({ts, id, line});
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const TimedLine& a, const TimedLine& b) { return a.ts_ms < b.ts_ms; });
  return out;
}

TEST(ZooKeeperLogStream, EventsHandedOutAsTheRunGoesAreExactlyTheFinalImport) {
  std::map<int64_t, std::string> whole;
  const auto lines = Interleaved(&whole);
  const LogImportResult final_import = ImportServerLogs(whole);
  for (size_t step : {1u, 7u, 50u, 400u}) {
    ZkLogStream stream;
    std::map<int64_t, std::vector<checkers::NodeEvent>> got;
    size_t mid_run = 0;
    for (size_t i = 0; i < lines.size(); i += step) {
      for (size_t j = i; j < std::min(lines.size(), i + step); ++j) {
        stream.AddLines(lines[j].node, {lines[j].text});
      }
      for (int64_t id = 1; id <= 3; ++id) {
        auto batch = stream.Take(id);
        mid_run += batch.size();
        got[id].insert(got[id].end(), batch.begin(), batch.end());
      }
    }
    stream.MarkComplete();
    for (int64_t id = 1; id <= 3; ++id) {
      auto batch = stream.Take(id);
      got[id].insert(got[id].end(), batch.begin(), batch.end());
    }
    std::map<int64_t, std::vector<checkers::NodeEvent>> want;
    for (const auto& e : final_import.events) want[e.node].push_back(e);
    for (int64_t id = 1; id <= 3; ++id) {
      ASSERT_EQ(got[id].size(), want[id].size()) << "step " << step << " node " << id;
      for (size_t k = 0; k < want[id].size(); ++k) {
        EXPECT_EQ(got[id][k].fields, want[id][k].fields) << "step " << step << " node " << id;
      }
    }
    // Most events are settled long before the end (the run's terms close as it goes).
    EXPECT_GT(mid_run, final_import.events.size() * 3 / 4) << "step " << step;
  }
}

TEST(ZooKeeperLogStream, AFollowersEventsWaitForItsLeadersLog) {
  std::map<int64_t, std::string> whole;
  const auto lines = Interleaved(&whole);
  ZkLogStream stream;
  // Only node 1's log so far: it followed someone, but who and in which epoch is in node 3's log.
  for (const auto& l : lines) {
    if (l.node == 1 && l.ts_ms < 1796159737000) stream.AddLines(1, {l.text});
  }
  auto early = stream.Take(1);
  for (const auto& e : early) EXPECT_NE(e.type, "sync_received") << e.fields.Dump();
  for (const auto& l : lines) {
    if (l.node == 3 && l.ts_ms < 1796159738000) stream.AddLines(3, {l.text});
  }
  auto later = stream.Take(1);
  bool joined = false;
  for (const auto& e : later) {
    if (e.type == "sync_received") {
      EXPECT_EQ(e.fields["leader"].get<int64_t>(), 3);
      EXPECT_EQ(e.fields["epoch"].get<int64_t>(), 1);
      joined = true;
    }
  }
  EXPECT_TRUE(joined);
}

}  // namespace
}  // namespace faultline::harness::zookeeper
