#include "harness/system/log_tail.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace faultline::harness {
namespace {

class TempFile {
 public:
  TempFile() {
    std::string t = (std::filesystem::temp_directory_path() / "log_tail_test.XXXXXX").string();
    dir_ = mkdtemp(t.data());
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string path() const { return dir_ + "/events.jsonl"; }
  void Append(const std::string& text) { std::ofstream(path(), std::ios::app) << text; }

 private:
  std::string dir_;
};

TEST(LogTail, AMissingFileIsNoLinesAndAPartialLineWaitsForItsNewline) {
  TempFile f;
  LogTail tail(f.path());
  EXPECT_TRUE(tail.ReadLines().empty());
  f.Append("one\ntw");
  EXPECT_EQ(tail.ReadLines(), std::vector<std::string>{"one"});
  EXPECT_TRUE(tail.ReadLines().empty());
  f.Append("o\nthree");
  EXPECT_EQ(tail.ReadLines(), std::vector<std::string>{"two"});
  EXPECT_EQ(tail.ReadLines(/*flush=*/true), std::vector<std::string>{"three"});
}

TEST(LogTail, AFileReplacedByAShorterOneIsReadFromTheStart) {
  TempFile f;
  LogTail tail(f.path());
  f.Append("aaaaaaaa\nbbbbbbbb\n");
  EXPECT_EQ(tail.ReadLines().size(), 2u);
  std::ofstream(f.path(), std::ios::trunc) << "c\n";
  EXPECT_EQ(tail.ReadLines(), std::vector<std::string>{"c"});
}

EventLineParser Json(NodeId node) {
  return [node](std::string_view l) { return ParseJsonEventLine(l, node); };
}

// Moved from the run loop's event_ingest test: the same file, read incrementally.
TEST(TailImporter, EveryEventIsImportedAsItIsWrittenAndATornLastLineIsSkipped) {
  TempFile f;
  TailImporter importer(f.path(), Json(2));
  f.Append(R"({"ts_ms": 10, "node": 2, "type": "start", "pid": 42})"
           "\n");
  EventImporter::Batch first = importer.Poll();
  ASSERT_EQ(first.events.size(), 1u);
  EXPECT_EQ(first.events[0].type, "start");
  EXPECT_EQ(first.events[0].fields["pid"], 42);
  f.Append(R"({"ts_ms": 11, "type": "elected", "leader": 2, "epoch": 1})"
           "\n\n");                                       // no node
  f.Append(R"({"ts_ms": 12, "node": 2, "type": "comm)");  // torn by SIGKILL
  EventImporter::Batch second = importer.Poll();
  ASSERT_EQ(second.events.size(), 1u);
  EXPECT_EQ(second.events[0].node, 2);  // taken from the file's node
  EXPECT_EQ(second.events[0].ts_ms, 11);
  EXPECT_EQ(second.skipped, 0);  // the torn line may still be completed
  EventImporter::Batch last = importer.Finish();
  EXPECT_TRUE(last.events.empty());
  EXPECT_EQ(last.skipped, 1);
}

TEST(TailImporter, ATornLineFollowedByTheNextIncarnationsLinesCostsOneLine) {
  TempFile f;
  TailImporter importer(f.path(), Json(1));
  f.Append(R"({"ts_ms": 1, "type": "lo)");
  EXPECT_TRUE(importer.Poll().events.empty());
  f.Append(R"({"ts_ms": 2, "type": "start"})"
           "\n");  // restarted node appends to the torn line
  f.Append(R"({"ts_ms": 3, "type": "role"})"
           "\n");
  EventImporter::Batch b = importer.Poll();
  EXPECT_EQ(b.skipped, 1);
  ASSERT_EQ(b.events.size(), 1u);
  EXPECT_EQ(b.events[0].type, "role");
}

}  // namespace
}  // namespace faultline::harness
