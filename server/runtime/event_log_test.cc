// JsonEventLog: one JSON object per line with ts_ms, node and type (contracts.md 3).
#include "server/runtime/event_log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

namespace runtime {
namespace {

std::string AllText(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string all;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) all.append(buf, n);
  return all;
}

std::vector<nlohmann::json> Lines(std::FILE* f) {
  std::vector<nlohmann::json> out;
  std::istringstream in(AllText(f));
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

TEST(JsonEventLogTest, EveryRecordIsOneLineWithTimeNodeTypeAndItsFields) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  uint64_t now = 1234;
  JsonEventLog log(f, 7, [&] { return now; });
  log.Write(zab::Event{"committed", {{"first", uint64_t{1}}, {"last", uint64_t{3}}}});
  now = 1300;
  log.Write(zab::Event{"step_down", {{"reason", std::string("lost quorum")}, {"x", int64_t{-1}}}});
  log.EndBatch();
  auto lines = Lines(f);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["ts_ms"], 1234);
  EXPECT_EQ(lines[0]["node"], 7);
  EXPECT_EQ(lines[0]["type"], "committed");
  EXPECT_EQ(lines[0]["last"], 3);
  EXPECT_EQ(lines[1]["ts_ms"], 1300);
  EXPECT_EQ(lines[1]["reason"], "lost quorum");
  EXPECT_EQ(lines[1]["x"], -1);
  std::fclose(f);
}


TEST(JsonEventLogTest, ALineIsByteForByteWhatNlohmannJsonPrintsForTheSameObject) {
  // Write() prints without building a json object (perf); the text must not change.
  std::vector<zab::Event> events = {
      zab::Event{"committed",
                 {{"first", uint64_t{1}},
                  {"last", uint64_t{3}},
                  {"count", uint64_t{3}},
                  {"digest", uint64_t{18446744073709551615ull}}}},
      zab::Event{"step_down",
                 {{"reason", std::string("say \"no\"\n\tback\\slash \x01")}, {"x", int64_t{-42}}}},
      zab::Event{"odd",
                 {{"zeta", uint64_t{1}},
                  {"alpha", uint64_t{2}},
                  {"zeta", uint64_t{3}},
                  {"type", std::string("shadowed")},
                  {"node", int64_t{-1}}}},
      zab::Event{"empty", {}},
  };
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  JsonEventLog log(f, 9, [] { return uint64_t{777}; });
  std::string want;
  for (const zab::Event& e : events) {
    log.Write(e);
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [name, value] : e.fields) {
      std::visit([&](const auto& v) { j[name] = v; }, value);
    }
    j["ts_ms"] = 777;
    j["node"] = 9;
    j["type"] = e.type;
    want += j.dump() + "\n";
  }
  EXPECT_EQ(AllText(f), want);
  std::fclose(f);
}

TEST(JsonEventLogTest, TheStartRecordNamesFaultsTailsAndRemovedFilesOnlyWhenThereAreAny) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  JsonEventLog log(f, 1, [] { return uint64_t{5}; });
  StartRecord plain;
  plain.pid = 42;
  plain.last_zxid = (uint64_t{2} << 32) | 9;
  plain.records_loaded = 9;
  log.WriteStart(plain);
  StartRecord torn = plain;
  torn.torn_tail_truncated = true;
  torn.torn_tail_file = "log/log.0000000200000001";
  torn.torn_tail_offset = 77;
  torn.faults = "zk-1154";
  torn.repaired_epoch_files = "acceptedEpoch";
  torn.zero_tail_bytes = 1048499;
  torn.removed_files = "log/log.0000000300000001,currentEpoch.tmp";
  log.WriteStart(torn);
  log.WriteStorageError("sync", "EIO");
  auto lines = Lines(f);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["type"], "start");
  EXPECT_EQ(lines[0]["pid"], 42);
  EXPECT_EQ(lines[0]["last_zxid"], plain.last_zxid);
  EXPECT_EQ(lines[0]["torn_tail_truncated"], false);
  EXPECT_FALSE(lines[0].contains("faults"));
  EXPECT_FALSE(lines[0].contains("torn_tail_file"));
  EXPECT_FALSE(lines[0].contains("repaired_epoch_files"));
  EXPECT_FALSE(lines[0].contains("zero_tail_bytes"));
  EXPECT_FALSE(lines[0].contains("removed_files"));
  EXPECT_EQ(lines[1]["zero_tail_bytes"], 1048499);
  EXPECT_EQ(lines[1]["removed_files"], "log/log.0000000300000001,currentEpoch.tmp");
  EXPECT_EQ(lines[1]["repaired_epoch_files"], "acceptedEpoch");
  EXPECT_EQ(lines[1]["faults"], "zk-1154");
  EXPECT_EQ(lines[1]["torn_tail_offset"], 77);
  EXPECT_EQ(lines[2]["type"], "storage_error");
  EXPECT_EQ(lines[2]["op"], "sync");
  std::fclose(f);
}

}  // namespace
}  // namespace runtime
