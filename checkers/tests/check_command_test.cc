#include "checkers/cli/check_command.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace faultline::checkers {
namespace {

const std::string kData = FAULTLINE_SOURCE_DIR "/testdata/";

// Runs `check ARGS...` in-process; returns the exit code and the captured stdout.
std::pair<int, std::string> RunCheck(std::vector<std::string> args, RunLoader loader = nullptr) {
  CLI::App app;
  int exit_code = -1;
  AddCheckCommand(app, &exit_code, std::move(loader));
  args.insert(args.begin(), "check");
  std::reverse(args.begin(), args.end());
  ::testing::internal::CaptureStdout();
  app.parse(args);
  return {exit_code, ::testing::internal::GetCapturedStdout()};
}

TEST(CheckCommand, OneVerdictLinePerFileAndInvalidWinsTheExitCode) {
  auto [code, out] =
      RunCheck({"--format", "etcd-log", kData + "etcd/ok.log", kData + "etcd/bad.log"});
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("etcd/ok.log: valid"), std::string::npos) << out;
  EXPECT_NE(out.find("etcd/bad.log: invalid"), std::string::npos) << out;
}

TEST(CheckCommand, ValidFilesExitZero) {
  auto [code, out] = RunCheck({"--format", "porcupine-kv", kData + "porcupine/c01-ok.txt"});
  EXPECT_EQ(code, 0) << out;
}

TEST(CheckCommand, UnreadableInputExitsTwoWithItsName) {
  auto [code, out] = RunCheck({"--format", "jsonl", kData + "no-such-file.jsonl"});
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("no-such-file.jsonl: error"), std::string::npos) << out;
}

TEST(CheckCommand, RunsNeedALoader) {
  auto [code, out] = RunCheck({"7"});
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("runs need the faultline binary"), std::string::npos) << out;
}

// Found trying `faultline check random.bin` and `faultline check /nonexistent`: both said
// "'...' is not a run id (see `faultline runs`) nor a history file", for a file that exists
// (it needs --format) and for one that does not.
TEST(CheckCommand, AnInputThatIsNeitherARunIdNorAHistoryFileSaysWhichItIs) {
  const std::string file = ::testing::TempDir() + "/history.bin";
  std::ofstream(file) << "x";
  RunLoader never = [](const std::string&) -> Result<LoadedRun> {
    ADD_FAILURE() << "loader called";
    return Status::InvalidArgument("no");
  };
  auto [code, out] = RunCheck({file, "/no/such/history"}, never);
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("'" + file + "' names no history format by its suffix"), std::string::npos)
      << out;
  EXPECT_NE(out.find("give --format jsonl|jepsen-edn|porcupine-kv|etcd-log"), std::string::npos);
  EXPECT_NE(out.find("'/no/such/history' is neither a run id (see `faultline runs`) nor a file"),
            std::string::npos)
      << out;
  std::filesystem::remove(file);
}

TEST(CheckCommand, RunLoaderIsCalledForRunInputs) {
  RunLoader loader = [](const std::string& run) -> Result<LoadedRun> {
    History h;
    h.model = "register";
    Op w;
    w.f = Fn::kWrite;
    w.value = "1";
    w.invoke_ns = 0;
    w.complete_ns = 1;
    w.outcome = Outcome::kOk;
    h.ops.push_back(w);
    return LoadedRun{h, {}, ""};
  };
  auto [code, out] = RunCheck({"--format", "run", "r1"}, loader);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("r1: valid (model register"), std::string::npos) << out;
}

TEST(CheckCommand, JsonOutputIsOneObjectPerInput) {
  auto [code, out] = RunCheck(
      {"--json", "--model", "cas-register", kData + "knossos/cas-register/bad/bad-analysis.edn"});
  EXPECT_EQ(code, 1);
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["verdict"], "invalid");
  EXPECT_EQ(j["linearizability"]["keys"][0]["verdict"], "invalid");
  EXPECT_FALSE(j["linearizability"]["anomalies"][0]["detail"].get<std::string>().empty());
}

TEST(CheckCommand, LocalReadModeChecksSessionOrderInsteadOfLinearizableReads) {
  // A stale read by another client is fine for local reads; lost writes need a final read.
  RunLoader loader = [](const std::string&) -> Result<LoadedRun> {
    History h;
    h.read_mode = ReadMode::kLocal;
    auto add = [&](int64_t p, Fn f, std::string v, int64_t a, int64_t b, int64_t zxid) {
      Op op;
      op.index = static_cast<int64_t>(h.ops.size());
      op.process = p;
      op.f = f;
      op.value = v;
      op.invoke_ns = a;
      op.complete_ns = b;
      op.outcome = Outcome::kOk;
      op.zxid = zxid;
      h.ops.push_back(op);
    };
    add(1, Fn::kWrite, "a", 0, 10, 1);
    add(1, Fn::kWrite, "b", 20, 30, 2);
    add(2, Fn::kRead, "a", 40, 50, 1);    // stale but allowed
    add(3, Fn::kRead, "b", 100, 110, 2);  // final read
    return LoadedRun{h, {}, ""};
  };
  auto [code, out] = RunCheck({"--format", "run", "local-run"}, loader);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("session order: valid"), std::string::npos) << out;
  EXPECT_NE(out.find("lost writes: valid"), std::string::npos) << out;
}

TEST(CheckCommand, OwnJsonlHistoryGetsLostWriteForensicsAndInvariants) {
  auto [code, out] = RunCheck({kData + "jsonl/lost-write.jsonl"});
  EXPECT_EQ(code, 1);
  // Linearizability already fails (the final read is stale); durability says why.
  EXPECT_NE(out.find("lost writes: invalid"), std::string::npos) << out;
  EXPECT_NE(out.find("removed by sync decision: leader node 2 chose TRUNC for peer 1"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("partition 1"), std::string::npos) << out;
  EXPECT_NE(out.find("zab invariants: invalid"), std::string::npos) << out;
  EXPECT_NE(out.find("node 1 truncated at 82 ms"), std::string::npos) << out;
}

// A small valid zabd-like history: a write, then a final read of it.
History WriteThenRead() {
  History h;
  h.model = "cas-register";
  auto add = [&](Fn f, std::string v, int64_t a, int64_t b) {
    Op op;
    op.index = static_cast<int64_t>(h.ops.size());
    op.process = op.index;
    op.f = f;
    op.key = "k";
    op.value = v;
    op.invoke_ns = a;
    op.complete_ns = b;
    op.outcome = Outcome::kOk;
    op.zxid = 4294967297;
    h.ops.push_back(op);
  };
  add(Fn::kWrite, "1", 0, 10);
  add(Fn::kRead, "1", 20, 30);
  return h;
}

const std::vector<std::string> kZabdPromises = {"linearizability", "lost-writes", "zab-invariants"};

TEST(CheckCommand, EmptyHistoryFileSaysNothingToCheckAndExitsTwo) {
  std::string path =
      (std::filesystem::temp_directory_path() / ("empty-" + std::to_string(getpid()) + ".jsonl"))
          .string();
  std::ofstream(path).close();
  auto [code, out] = RunCheck({path});
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("nothing to check"), std::string::npos) << out;
  EXPECT_EQ(out.find("valid"), std::string::npos) << out;
  auto [jcode, jout] = RunCheck({"--json", path});
  EXPECT_EQ(jcode, 2);
  auto j = nlohmann::json::parse(jout);
  EXPECT_EQ(j["verdict"], "unknown");
  EXPECT_EQ(j["nothing_to_check"], true);
  std::filesystem::remove(path);
}

TEST(CheckCommand, EmptyRunSaysNothingToCheck) {
  RunLoader loader = [](const std::string&) -> Result<LoadedRun> {
    return LoadedRun{History{}, kZabdPromises, ""};
  };
  auto [code, out] = RunCheck({"--format", "run", "7"}, loader);
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("7: nothing to check"), std::string::npos) << out;
}

TEST(CheckCommand, PromisedZabInvariantsWithoutNodeEventsCouldNotRunAndTheRunIsUnknown) {
  // A crashed run's history: ops are in the store, its node events never reached it.
  RunLoader loader = [](const std::string&) -> Result<LoadedRun> {
    return LoadedRun{WriteThenRead(), kZabdPromises, ""};
  };
  auto [code, out] = RunCheck({"--format", "run", "3"}, loader);
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("3: unknown"), std::string::npos) << out;
  EXPECT_NE(out.find("zab-invariants: could not run: 0 node events"), std::string::npos) << out;
  auto [jcode, jout] = RunCheck({"--json", "--format", "run", "3"}, loader);
  auto j = nlohmann::json::parse(jout);
  EXPECT_EQ(j["verdict"], "unknown");
  ASSERT_EQ(j["not_run"].size(), 1u);
  EXPECT_EQ(j["not_run"][0]["checker"], "zab-invariants");
}

TEST(CheckCommand, PromisedZabInvariantsWithNodeEventsRunAndTheRunIsValid) {
  RunLoader loader = [](const std::string&) -> Result<LoadedRun> {
    History h = WriteThenRead();
    NodeEvent e;
    e.node = 1;
    e.ts_ms = 1;
    e.type = "committed";
    e.fields = {{"ts_ms", 1},          {"node", 1},          {"type", "committed"},
                {"first", 4294967297}, {"last", 4294967297}, {"count", 1}};
    h.node_events.push_back(e);
    return LoadedRun{h, kZabdPromises, ""};
  };
  auto [code, out] = RunCheck({"--format", "run", "4"}, loader);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("zab invariants: valid"), std::string::npos) << out;
  EXPECT_EQ(out.find("could not run"), std::string::npos) << out;
}

TEST(CheckCommand, RunThatNeverReachedItsFinalReadsCannotBeJudgedForLostWrites) {
  RunLoader loader = [](const std::string&) -> Result<LoadedRun> {
    return LoadedRun{WriteThenRead(),
                     {"linearizability", "lost-writes"},
                     "the run is crashed: it never reached its final reads"};
  };
  auto [code, out] = RunCheck({"--format", "run", "5"}, loader);
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("lost-writes: could not run: the run is crashed"), std::string::npos) << out;
  EXPECT_EQ(out.find("lost writes: valid"), std::string::npos) << out;
}

TEST(CheckCommand, ForeignHistoryWithoutNodeEventsRequiresNoZabChecks) {
  auto [code, out] = RunCheck({"--format", "porcupine-kv", kData + "porcupine/c01-ok.txt"});
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out.find("could not run"), std::string::npos) << out;
}

}  // namespace
}  // namespace faultline::checkers
