#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "harness/generator/op_generator.h"
#include "harness/generator/workers.h"

namespace faultline::harness {
namespace {

using checkers::Fn;
using checkers::Outcome;

WorkloadSpec Register(int keys) {
  WorkloadSpec w;
  w.keys = keys;
  return w;
}

TEST(OpGenerator, SameSeedGivesTheSameStream) {
  OpGenerator a(Register(5), 0, 42), b(Register(5), 0, 42), c(Register(5), 0, 43);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    checkers::Op x = a.Next().op, y = b.Next().op, z = c.Next().op;
    ASSERT_EQ(x.index, y.index);
    ASSERT_EQ(x.f, y.f);
    ASSERT_EQ(x.key, y.key);
    ASSERT_EQ(x.value, y.value);
    ASSERT_EQ(x.expected, y.expected);
    differs |= x.key != z.key || x.f != z.f;
  }
  EXPECT_TRUE(differs) << "another seed should give another stream";
}

TEST(OpGenerator, WriteValuesAreUniqueAndCasExpectsAnEarlierValueOfItsKey) {
  OpGenerator g(Register(3), 0, 7);
  std::map<std::string, std::set<std::string>> written;
  std::set<std::string> all_values;
  int cas = 0, reads = 0;
  for (int i = 0; i < 5000; ++i) {
    checkers::Op op = g.Next().op;
    if (op.f == Fn::kRead) {
      ++reads;
      EXPECT_FALSE(op.value.has_value());
      continue;
    }
    ASSERT_TRUE(op.value.has_value());
    EXPECT_TRUE(all_values.insert(*op.value).second) << "duplicate value " << *op.value;
    if (op.f == Fn::kCas) {
      ++cas;
      ASSERT_TRUE(op.expected.has_value());
      EXPECT_TRUE(written[op.key].count(*op.expected)) << "cas expects a value never written";
    }
    written[op.key].insert(*op.value);
  }
  EXPECT_GT(cas, 0);
  EXPECT_GT(reads, 0);
}

TEST(OpGenerator, ZeroReadWeightGivesNoReads) {
  WorkloadSpec w = Register(2);
  w.read_weight = 0;
  OpGenerator g(w, 0, 1);
  for (int i = 0; i < 1000; ++i) EXPECT_NE(g.Next().op.f, Fn::kRead);
}

TEST(OpGenerator, DueOffsetsFollowTheRate) {
  OpGenerator g(Register(2), 100, 1);  // 100 ops/s -> op n due at n * 10 ms
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(g.Next().due, std::chrono::milliseconds(10 * i));
  }
  OpGenerator unlimited(Register(2), 0, 1);
  unlimited.Next();
  EXPECT_EQ(unlimited.Next().due, std::chrono::nanoseconds(0));
}

TEST(OpGenerator, SetWorkloadAddsFreshElementsAndFinalReadListsThemAll) {
  WorkloadSpec w;
  w.kind = WorkloadKind::kSet;
  OpGenerator g(w, 0, 1);
  for (int i = 0; i < 5; ++i) {
    checkers::Op op = g.Next().op;
    EXPECT_EQ(op.f, Fn::kAdd);
    EXPECT_EQ(op.value, std::to_string(i));
  }
  std::vector<checkers::Op> finals = g.FinalReads();
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0].f, Fn::kReadSet);
  EXPECT_EQ(finals[0].elements.size(), 5u);
}

TEST(OpGenerator, RegisterFinalReadsCoverEveryKey) {
  OpGenerator g(Register(4), 0, 1);
  std::vector<checkers::Op> finals = g.FinalReads();
  ASSERT_EQ(finals.size(), 4u);
  EXPECT_EQ(finals[3].key, "k3");
}

// Answers ok, except every op whose index is divisible by 3 is info and by 5 is fail.
class ScriptedClient : public Client {
 public:
  OpResult Invoke(const checkers::Op& op, std::chrono::milliseconds) override {
    OpResult r;
    r.outcome = op.index % 3 == 0   ? Outcome::kInfo
                : op.index % 5 == 0 ? Outcome::kFail
                                    : Outcome::kOk;
    if (op.f == Fn::kRead && r.outcome == Outcome::kOk) r.value = "x";
    r.zxid = op.index;
    return r;
  }
  int64_t node() const override { return 2; }
};

class TempDb {
 public:
  TempDb() {
    std::string t = (std::filesystem::temp_directory_path() / "generator_test.XXXXXX").string();
    dir_ = mkdtemp(t.data());
  }
  ~TempDb() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string path() const { return dir_ + "/h.db"; }

 private:
  std::string dir_;
};

TEST(Workers, EveryInvokedOpIsCompletedAndInfoStartsANewProcess) {
  TempDb db;
  auto store = HistoryStore::Open(db.path());
  ASSERT_TRUE(store.ok());
  RunRecord run;
  run.suite = "t";
  int64_t run_id = *(*store)->CreateRun(run);
  OpGenerator gen(Register(3), 0, 5);
  WorkerOptions options;
  options.run_id = run_id;
  options.concurrency = 4;
  Workers workers(
      &gen, store->get(), [](int) { return std::unique_ptr<Client>(new ScriptedClient()); },
      options);
  workers.Start(std::chrono::steady_clock::now());
  while (workers.counts().total() < 2000) std::this_thread::yield();
  workers.Stop();
  workers.Join();
  ASSERT_TRUE((*store)->Flush().ok());

  OpCounts counts = workers.counts();
  checkers::History h = *(*store)->LoadHistory(run_id);
  ASSERT_EQ(static_cast<int64_t>(h.ops.size()), counts.total());
  std::map<int64_t, std::vector<const checkers::Op*>> by_process;
  int64_t info = 0;
  for (const auto& op : h.ops) {
    ASSERT_FALSE(op.open()) << "op " << op.index << " never completed";
    EXPECT_LT(op.invoke_ns, op.complete_ns);
    EXPECT_EQ(op.node, 2);
    by_process[op.process].push_back(&op);
    if (op.outcome == Outcome::kInfo) ++info;
  }
  EXPECT_EQ(info, counts.info);
  for (const auto& [process, ops] : by_process) {
    // A process runs one op at a time, and an info op is its last.
    for (size_t i = 0; i < ops.size(); ++i) {
      if (i + 1 < ops.size()) {
        EXPECT_NE(ops[i]->outcome, Outcome::kInfo)
            << "process " << process << " went on after info";
      }
    }
  }
  EXPECT_GT(by_process.size(), 4u);
}

TEST(Workers, StopBeforeAnyDueOpInvokesNothingMore) {
  TempDb db;
  auto store = HistoryStore::Open(db.path());
  ASSERT_TRUE(store.ok());
  int64_t run_id = *(*store)->CreateRun(RunRecord{});
  OpGenerator gen(Register(3), 0.001, 5);  // op 1 is due after 1000 s
  WorkerOptions options;
  options.run_id = run_id;
  options.concurrency = 2;
  Workers workers(
      &gen, store->get(), [](int) { return std::unique_ptr<Client>(new ScriptedClient()); },
      options);
  workers.Start(std::chrono::steady_clock::now());
  while (workers.counts().total() < 1) std::this_thread::yield();
  workers.Stop();
  workers.Join();  // returns although the next ops are due far in the future
  EXPECT_EQ(workers.counts().total(), 1);
}

}  // namespace
}  // namespace faultline::harness
