// Tests of the suite-level simulator (`faultline sim`): the world's processes, network and clock,
// the simulated client's outcomes, the spec refusals, and whole simulated runs — the same seed
// gives the same history byte for byte, a zabd fault point is found, a recorded run's schedule is
// replayed.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <thread>

#include "harness/history/history_store.h"
#include "harness/run/interrupt.h"
#include "harness/run/schedule.h"
#include "harness/sim/sim_client.h"
#include "harness/sim/sim_command.h"
#include "harness/sim/sim_config.h"
#include "harness/sim/sim_run.h"
#include "harness/sim/sim_seeds.h"
#include "harness/sim/world.h"
#include "server/core/testing/cluster.h"

namespace faultline::harness::sim {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("faultline-sim-test-" + std::to_string(::getpid()) + "-" + std::to_string(next_++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string path(const std::string& name = "") const { return (path_ / name).string(); }

 private:
  static inline int next_ = 0;
  fs::path path_;
};

WorldOptions Options(uint64_t seed = 1) {
  WorldOptions o;
  o.seed = seed;
  o.base.tick_time_ms = 50;
  return o;
}

// The node leading in BROADCAST (serving), once there is one.
std::optional<NodeId> Serving(World& w) {
  std::optional<uint64_t> l;
  w.RunUntil(w.now_ms() + 10000, [&] { return (l = w.cluster().Leader()).has_value(); });
  if (!l) return std::nullopt;
  return static_cast<NodeId>(*l);
}

TestSpec Spec(const std::string& yaml) {
  Result<TestSpec> s = ParseTestSpec(yaml, "test.yaml");
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : TestSpec{};
}

// A short register suite with one fault of each process kind and two partitions.
constexpr const char* kShortSuite = R"(
name: sim-short
system: {kind: zabd, nodes: 3, tick_time_ms: 50}
workload: {type: register, keys: 3}
concurrency: 4
rate: 100
op_timeout: 1s
time_limit: 8s
nemesis:
  schedule:
    - {at: 1s, kind: kill, target: leader, duration: 1s}
    - {at: 2500ms, kind: partition, shape: isolate-leader, duration: 1500ms}
    - {at: 4500ms, kind: pause, target: random, duration: 1s}
    - {at: 6s, kind: partition, shape: random-halves, duration: 1s}
)";

// ---------------------------------------------------------------- the world

TEST(SimWorld, ElectsALeaderOnSimulatedTime) {
  World w(Options());
  std::vector<checkers::NodeEvent> events;
  w.on_event = [&](const checkers::NodeEvent& e) { events.push_back(e); };
  w.Start();
  Result<NodeId> leader = w.Control().FindLeader(std::chrono::milliseconds(10000));
  ASSERT_TRUE(leader.ok()) << leader.status().ToString();
  EXPECT_LT(w.now_ms(), 10000u + 1000u);
  // Every node logged a start record first, with what recovery found.
  for (NodeId id = 1; id <= 3; ++id) {
    auto first =
        std::find_if(events.begin(), events.end(), [&](const auto& e) { return e.node == id; });
    ASSERT_NE(first, events.end());
    EXPECT_EQ(first->type, "start");
    EXPECT_EQ(checkers::FieldInt(first->fields, "last_zxid"), 0);
  }
}

TEST(SimWorld, KilledNodeIsRefusedTwiceAndRestartsFromItsDisk) {
  World w(Options());
  std::vector<std::string> types;
  w.on_event = [&](const checkers::NodeEvent& e) {
    if (e.node == 2) types.push_back(e.type);
  };
  w.Start();
  ASSERT_TRUE(w.Control().FindLeader(std::chrono::milliseconds(10000)).ok());
  ClusterControl& c = w.Control();
  EXPECT_TRUE(c.Kill(2).ok());
  EXPECT_EQ(c.State(2), NodeState::kKilled);
  EXPECT_FALSE(w.up(2));
  EXPECT_EQ(c.Kill(2).code(), StatusCode::kUnavailable);   // not running
  EXPECT_EQ(c.Pause(2).code(), StatusCode::kUnavailable);  // not running
  EXPECT_EQ(c.Kill(7).code(), StatusCode::kInvalidArgument);
  const uint64_t before = w.incarnation(2);
  EXPECT_TRUE(c.Start(2).ok());
  EXPECT_EQ(c.State(2), NodeState::kRunning);
  EXPECT_GT(w.incarnation(2), before);
  EXPECT_EQ(std::count(types.begin(), types.end(), "start"), 2);
  EXPECT_EQ(c.Start(2).code(), StatusCode::kUnavailable);  // already running
}

TEST(SimWorld, PausedNodeGetsNothingUntilResumedThenCatchesUp) {
  World w(Options());
  w.Start();
  std::optional<NodeId> leader = Serving(w);
  ASSERT_TRUE(leader.has_value());
  const NodeId follower = *leader == 1 ? 2 : 1;
  ASSERT_TRUE(w.Control().Pause(follower).ok());
  const zab::Zxid before = w.cluster().peer(follower).status().last_committed;
  uint64_t rid = w.SubmitWrite(*leader, kv::Op{kv::OpType::kSet, "k", "v", ""});
  w.RunUntil(w.now_ms() + 500, [&] { return w.Reply(*leader, rid).has_value(); });
  ASSERT_TRUE(w.Reply(*leader, rid).has_value());  // the other follower makes the quorum
  w.RunUntil(w.now_ms() + 300);
  EXPECT_EQ(w.cluster().peer(follower).status().last_committed, before);  // still asleep
  ASSERT_TRUE(w.Control().Resume(follower).ok());
  w.RunUntil(w.now_ms() + 300);
  EXPECT_GT(w.cluster().peer(follower).status().last_committed, before);  // its links delivered
}

TEST(SimWorld, GrudgeCutsExactlyItsLinksAndHealRestoresThem) {
  World w(Options());
  w.Start();
  Grudge g = IsolateNode({1, 2, 3}, 2);
  ASSERT_TRUE(w.Network().Apply(g).ok());
  EXPECT_TRUE(w.cluster().blocked(1, 2));
  EXPECT_TRUE(w.cluster().blocked(2, 3));
  EXPECT_FALSE(w.cluster().blocked(1, 3));
  ASSERT_TRUE(w.Network().Apply(OneWayLinks({{1, 3}})).ok());  // replaces the grudge
  EXPECT_FALSE(w.cluster().blocked(1, 2));
  EXPECT_TRUE(w.cluster().blocked(1, 3));
  EXPECT_FALSE(w.cluster().blocked(3, 1));
  ASSERT_TRUE(w.Network().Heal().ok());
  EXPECT_FALSE(w.cluster().blocked(1, 3));
  EXPECT_TRUE(w.Network().SupportsLinkFaults());  // delay / loss: see the link-fault test
}

// ---------------------------------------------------------------- the client

checkers::Op Write(const std::string& key, const std::string& value) {
  checkers::Op op;
  op.f = checkers::Fn::kWrite;
  op.key = key;
  op.value = value;
  return op;
}

TEST(SimClientTest, OutcomesFollowZabdClient) {
  World w(Options());
  w.Start();
  std::optional<NodeId> leader = Serving(w);
  ASSERT_TRUE(leader.has_value());
  SimClient client(&w, *leader, zab::ReadMode::kLinearizable);
  OpResult ok = client.Invoke(Write("k", "1"), std::chrono::milliseconds(1000));
  EXPECT_EQ(ok.outcome, checkers::Outcome::kOk) << ok.error;
  ASSERT_TRUE(ok.zxid.has_value());

  checkers::Op cas;
  cas.f = checkers::Fn::kCas;
  cas.key = "k";
  cas.expected = "nope";
  cas.value = "2";
  OpResult mismatch = client.Invoke(cas, std::chrono::milliseconds(1000));
  EXPECT_EQ(mismatch.outcome, checkers::Outcome::kFail);
  EXPECT_EQ(mismatch.error, "cas mismatch");

  checkers::Op read;
  read.f = checkers::Fn::kRead;
  read.key = "k";
  OpResult r = client.Invoke(read, std::chrono::milliseconds(1000));
  EXPECT_EQ(r.outcome, checkers::Outcome::kOk);
  EXPECT_EQ(r.value, std::optional<std::string>("1"));

  // Down: refused at once, certainly not applied.
  ASSERT_TRUE(w.Control().Kill(*leader).ok());
  const uint64_t t = w.now_ms();
  OpResult refused = client.Invoke(Write("k", "3"), std::chrono::milliseconds(1000));
  EXPECT_EQ(refused.outcome, checkers::Outcome::kFail);
  EXPECT_EQ(w.now_ms(), t);
}

TEST(SimClientTest, OpInFlightWhenItsNodeDiesIsInfoAndSilenceIsATimeout) {
  World w(Options());
  w.Start();
  std::optional<NodeId> leader = Serving(w);
  ASSERT_TRUE(leader.has_value());
  // Isolated leader: the write is proposed and never committed.
  ASSERT_TRUE(w.Network().Apply(IsolateNode({1, 2, 3}, *leader)).ok());
  SimClient client(&w, *leader, zab::ReadMode::kLinearizable);
  client.Begin(Write("k", "1"), w.now_ms() + 5000);
  w.RunUntil(w.now_ms() + 20);
  ASSERT_TRUE(client.busy());
  ASSERT_TRUE(w.Control().Kill(*leader).ok());
  std::optional<OpResult> r = client.Poll();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->outcome, checkers::Outcome::kInfo);

  // A paused node holds the op; with no resume it is a timeout (info), never a fail.
  ASSERT_TRUE(w.Network().Heal().ok());
  ASSERT_TRUE(w.Control().Start(*leader).ok());
  const NodeId other = *leader == 3 ? 2 : 3;
  ASSERT_TRUE(w.Control().Pause(other).ok());
  SimClient paused(&w, other, zab::ReadMode::kLinearizable);
  const uint64_t t = w.now_ms();
  OpResult timeout = paused.Invoke(Write("k", "2"), std::chrono::milliseconds(400));
  EXPECT_EQ(timeout.outcome, checkers::Outcome::kInfo);
  EXPECT_EQ(timeout.error, "timeout");
  EXPECT_EQ(w.now_ms(), t + 400);
}

// ---------------------------------------------------------------- disk, crashes and link faults

// A leader that dies in the middle of its flush has already sent the PROPOSAL (it goes out before
// the leader's fsync, node_runtime.h "Overlap"): TCP delivers what was written, so the followers
// log a txn the dead leader may never have synced (the leader-fsync-overlap case).
TEST(SimWorld, WhatACrashedNodeSentIsStillDelivered) {
  zab::Config base;
  base.tick_time_ms = 50;
  zab::testing::Cluster c(3, base, 1);
  c.net().delay_ms_max = 3;
  c.net().deliver_after_crash = true;  // as the suite simulator runs
  ASSERT_TRUE(c.RunUntil([&] { return c.Leader().has_value(); }, 10000));
  const uint64_t l = *c.Leader();
  c.RunFor(100);
  std::vector<uint64_t> followers;
  for (uint64_t id = 1; id <= 3; ++id) {
    if (id != l) followers.push_back(id);
  }
  const zab::Zxid before = c.peer(followers[0]).status().last_logged;
  c.StepAndCrash(l, zab::ClientWrite{999, zab::testing::SetOp("k", "v")});
  ASSERT_FALSE(c.up(l));
  c.RunFor(30);
  bool logged = false;
  for (uint64_t f : followers) logged |= c.peer(f).status().last_logged > before;
  EXPECT_TRUE(logged) << "the PROPOSAL sent before the crash was dropped";
}

// Disk latency (cluster.h): an fsync takes simulated time; while it runs the writes are on the
// disk but not durable and nothing it certifies is released (no reply); a power cut then loses
// them, a process death keeps them (the page cache survives a SIGKILL).
TEST(SimWorld, AnFsyncTakesSimulatedTimeAPowerCutDuringItLosesTheWritesAKillKeepsThem) {
  zab::Config base;
  base.tick_time_ms = 50;
  zab::testing::Cluster c(3, base, 1);
  ASSERT_TRUE(c.RunUntil([&] { return c.Leader().has_value(); }, 10000));
  const uint64_t l = *c.Leader();
  c.RunFor(100);
  c.disk().fsync_ms_min = c.disk().fsync_ms_max = 200;
  std::vector<uint64_t> f;
  for (uint64_t id = 1; id <= 3; ++id) {
    if (id != l) f.push_back(id);
  }
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round);
    const uint64_t rid = c.Write(l, zab::testing::SetOp("k", std::to_string(round)));
    const zab::Zxid z = c.peer(l).status().last_logged;
    c.RunFor(100);  // the PROPOSAL reached both followers; every fsync still runs
    EXPECT_FALSE(c.ReplyFor(l, rid).has_value()) << "a reply before any fsync completed";
    for (uint64_t id : f) {
      EXPECT_EQ(c.peer(id).status().last_logged, z);  // written
      EXPECT_LT(c.durable(id).last_logged(), z);      // not durable
    }
    if (round == 0) {
      c.RunFor(150);  // every fsync completed: ACKs, COMMIT, the reply
      ASSERT_TRUE(c.ReplyFor(l, rid).has_value());
      EXPECT_EQ(c.ReplyFor(l, rid)->status, zab::ReplyStatus::kOk);
      for (uint64_t id : f) EXPECT_EQ(c.durable(id).last_logged(), z);
      continue;
    }
    c.Crash(f[0]);                       // power cut
    c.Crash(f[1], /*power_cut=*/false);  // process death
    EXPECT_LT(c.durable(f[0]).last_logged(), z);
    EXPECT_EQ(c.durable(f[1]).last_logged(), z);
  }
}

// delay / loss faults on the simulated links, as the proxy makes them: a delayed link delivers
// late (in order), a lossy one not at all, Heal() clears both; bad values are refused.
TEST(SimWorld, LinkDelayAndLossActOnTheirLinkAndHealClearsThem) {
  World w(Options());
  w.Start();
  std::optional<NodeId> leader = Serving(w);
  ASSERT_TRUE(leader.has_value());
  w.RunUntil(w.now_ms() + 100);
  const NodeId slow = *leader % 3 + 1;
  const NodeId other = 6 - *leader - slow;  // ids 1..3
  Partitioner& net = w.Network();
  EXPECT_TRUE(net.SupportsLinkFaults());
  EXPECT_EQ(net.SetDelay(*leader, slow, -1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(net.SetLoss(*leader, slow, 1.5).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(net.SetDelay(*leader, *leader, 5).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(net.SetDelay(*leader, slow, 100).ok());  // below sync_limit: it stays a follower
  ASSERT_TRUE(net.SetLoss(*leader, other, 1.0).ok());
  const zab::Zxid slow_before = w.cluster().peer(slow).status().last_logged;
  const zab::Zxid other_before = w.cluster().peer(other).status().last_logged;
  w.SubmitWrite(*leader, zab::testing::SetOp("k", "v"));
  w.RunUntil(w.now_ms() + 60);
  EXPECT_EQ(w.cluster().peer(slow).status().last_logged, slow_before);  // still on its way
  w.RunUntil(w.now_ms() + 200);
  EXPECT_GT(w.cluster().peer(slow).status().last_logged, slow_before);
  EXPECT_EQ(w.cluster().peer(other).status().last_logged, other_before);  // lost
  ASSERT_TRUE(net.Heal().ok());  // clears the loss too: the cut-off follower catches up
  const zab::Zxid leader_now = w.cluster().peer(*leader).status().last_logged;
  w.RunUntil(w.now_ms() + 5000,
             [&] { return w.cluster().peer(other).status().last_logged >= leader_now; });
  EXPECT_GE(w.cluster().peer(other).status().last_logged, leader_now);
}

// ---------------------------------------------------------------- the spec

TEST(SimConfigTest, TakesTheZabdKeysAndFaultPoints) {
  TestSpec s = Spec(R"(
system: {kind: zabd, nodes: 3, tick_time_ms: 20, sync_limit: 7,
         extra_flags: [--fault, commit-without-quorum, --fault=zk-1154, --power-loss-sim]}
)");
  Result<SimSetup> setup = SimSetupFor(s);
  ASSERT_TRUE(setup.ok()) << setup.status().ToString();
  EXPECT_EQ(setup->base.tick_time_ms, 20u);
  EXPECT_EQ(setup->base.sync_limit_ticks, 7u);
  EXPECT_EQ(setup->base.init_limit_ticks, 10u);  // the zabd system's default
  EXPECT_EQ(setup->base.faults, (std::set<std::string>{"commit-without-quorum", "zk-1154"}));
}

TEST(SimConfigTest, RefusesWhatItCannotSimulateNamingIt) {
  auto error = [](const std::string& yaml) {
    Result<SimSetup> r = SimSetupFor(Spec(yaml));
    return r.ok() ? std::string("ok") : r.status().message();
  };
  EXPECT_NE(error("system: {kind: fake}\n").find("zabd only"), std::string::npos);
  EXPECT_NE(error("system: {kind: zabd, extra_flags: [--fault, nope]}\n")
                .find("unknown fault point 'nope'"),
            std::string::npos);
  EXPECT_NE(error("system: {kind: zabd, extra_flags: [--repair]}\n").find("'--repair'"),
            std::string::npos);
  EXPECT_NE(error("system: {kind: zabd, extra_flags: [--fault]}\n").find("needs a fault point"),
            std::string::npos);
  EXPECT_EQ(error("nemesis: {kinds: [kill, delay, loss]}\n"), "ok");  // every kind simulated
  EXPECT_NE(error("system: {kind: zabd, tick_time_ms: 0}\n").find("tick_time_ms"),
            std::string::npos);
}

TEST(SimCommand, SeedRanges) {
  EXPECT_EQ(*ParseSeedRange("7"), (std::pair<uint64_t, uint64_t>{7, 7}));
  EXPECT_EQ(*ParseSeedRange("1..100"), (std::pair<uint64_t, uint64_t>{1, 100}));
  for (const char* bad : {"", "0", "x", "5..2", "1..", "..3", "-1", "1...3"}) {
    EXPECT_FALSE(ParseSeedRange(bad).ok()) << bad;
  }
}

// `--jobs` is checked by CLI11's Range(1, 64): out of range or not a number is refused with a
// message naming the flag, and the command does not run; the bounds themselves are accepted (the
// command runs and exits 2 on the missing suite).
TEST(SimCommand, JobsOutOfRangeIsRefusedNamingTheFlagAndNothingRuns) {
  auto parse = [](const std::string& jobs, std::string* error) {
    CLI::App app{"faultline"};
    int exit_code = -1;
    const std::string store = "/nonexistent/store.db";
    const std::string results = "/nonexistent/results";
    AddSimCommand(app, &exit_code, &store, &results);
    std::vector<std::string> argv = {"sim", "/nonexistent/suite.yaml", "--jobs", jobs};
    std::reverse(argv.begin(), argv.end());  // CLI11 parses a reversed vector
    try {
      app.parse(argv);
    } catch (const CLI::ParseError& e) {
      *error = e.what();
    }
    return exit_code;
  };
  for (const char* bad : {"0", "65", "-1", "x", "99999999999999999999"}) {
    std::string error;
    EXPECT_EQ(parse(bad, &error), -1) << "command ran with --jobs " << bad;
    EXPECT_NE(error.find("--jobs"), std::string::npos) << bad << ": " << error;
  }
  for (const char* good : {"1", "64"}) {
    std::string error;
    EXPECT_EQ(parse(good, &error), 2) << "--jobs " << good << ": " << error;
    EXPECT_EQ(error, "") << good;
  }
}

// Found by a hostile try: `faultline sim quick.yaml --time-limit 5s` ran 1 of the 6 scheduled
// faults and said nothing of the other 5. The command now says which will not run.
TEST(SimCommand, ATimeLimitThatCutsTheScheduleSaysWhichFaultsWillNotRun) {
  TempDir dir;
  CLI::App app{"faultline"};
  int exit_code = -1;
  const std::string store = dir.path("h.db");
  const std::string results = dir.path("results");
  AddSimCommand(app, &exit_code, &store, &results);
  std::vector<std::string> argv = {
      "sim", std::string(FAULTLINE_SOURCE_DIR) + "/workloads/quick.yaml", "--time-limit", "5s"};
  std::reverse(argv.begin(), argv.end());  // CLI11 parses a reversed vector
  testing::internal::CaptureStdout();
  app.parse(argv);
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_EQ(exit_code, 0) << out;
  EXPECT_NE(out.find("note: 5 scheduled faults start at or after the time limit (5000 ms) and "
                     "will not run: nemesis.schedule[1] ("),
            std::string::npos)
      << out;
}

// ---------------------------------------------------------------- whole runs

struct Simulated {
  SimOutcome outcome;
  std::string history;
  std::string schedule_json;
};

Simulated Simulate(HistoryStore& store, const TempDir& dir, const TestSpec& spec, uint64_t seed) {
  SimRunOptions o;
  o.spec = spec;
  o.spec.seed = seed;
  o.results_dir = dir.path("results");
  std::ostringstream out;
  o.out = &out;
  Simulated s;
  s.outcome = RunSim(store, o);
  EXPECT_NE(s.outcome.run.run_id, 0) << out.str();
  Result<std::string> h = HistoryFingerprint(store, s.outcome.run.run_id);
  EXPECT_TRUE(h.ok()) << h.status().ToString();
  if (h.ok()) s.history = *h;
  Result<RunRecord> run = store.GetRun(s.outcome.run.run_id);
  if (run.ok()) s.schedule_json = run->schedule_json;
  return s;
}

// Found by a hostile try: Ctrl-C (or SIGTERM) during a long simulated run did nothing; only the
// seeds after it were not started, so `--time-limit 2562047788015h` could not be stopped but by
// SIGKILL. Now the world asks once per instant and the run ends marked interrupted, with what it
// recorded kept. (The interrupt latches for the process: it runs in a child.)
TEST(SimRunDeathTest, AnInterruptEndsALongSimulatedRunMarkedInterruptedWithItsHistoryKept) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        TempDir dir;
        auto store = HistoryStore::Open(dir.path("s.db"));
        if (!store.ok()) std::_Exit(90);
        SimRunOptions o;
        o.spec = Spec(kShortSuite);
        o.spec.time_limit_ms = 3'600'000;  // an hour: minutes of wall time if nothing stops it
        o.spec.seed = 3;
        o.results_dir = dir.path("results");
        std::ostringstream out;
        o.out = &out;
        std::thread signal([] {
          std::this_thread::sleep_for(std::chrono::milliseconds(300));
          RequestInterrupt();  // as SIGINT's handler does
        });
        SimOutcome r = RunSim(**store, o);
        signal.join();
        Result<RunRecord> run = (*store)->GetRun(r.run.run_id);
        Result<checkers::History> h = (*store)->LoadHistory(r.run.run_id);
        if (!run.ok() || !h.ok()) std::_Exit(91);
        if (!r.run.interrupted || r.run.exit_code != 2) std::_Exit(92);
        if (run->status != "interrupted") std::_Exit(93);
        if (r.simulated_ms >= 3'600'000) std::_Exit(94);                  // it ran the whole hour
        if (static_cast<int64_t>(h->ops.size()) < r.ops) std::_Exit(95);  // recorded ops lost
        if (out.str().find("interrupted") == std::string::npos) std::_Exit(96);
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(SimRun, SameSeedGivesTheSameHistoryByteForByte) {
  TempDir dir;
  auto a = HistoryStore::Open(dir.path("a.db"));
  auto b = HistoryStore::Open(dir.path("b.db"));
  ASSERT_TRUE(a.ok() && b.ok());
  TestSpec spec = Spec(kShortSuite);
  Simulated first = Simulate(**a, dir, spec, 7);
  Simulated again = Simulate(**b, dir, spec, 7);  // another store, another process state
  Simulated same_store = Simulate(**a, dir, spec, 7);
  Simulated other = Simulate(**a, dir, spec, 8);
  ASSERT_FALSE(first.history.empty());
  EXPECT_EQ(first.outcome.run.verdict, "valid");
  EXPECT_GT(first.outcome.ops, 500);
  EXPECT_EQ(first.outcome.faults_applied, 4);
  EXPECT_EQ(first.history, again.history);  // byte for byte
  EXPECT_EQ(first.history, same_store.history);
  EXPECT_NE(first.history, other.history);
  // The record is what real runs record: ops, faults and node events in the store.
  auto run = (*a)->GetRun(first.outcome.run.run_id);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->system, kSimSystemKind);
  EXPECT_EQ(run->status, kRunFinished);
  EXPECT_NE(first.history.find("event 1 "), std::string::npos);
  EXPECT_NE(first.history.find("\"type\":\"established\""), std::string::npos);
  EXPECT_NE(first.history.find("fault 1 partition"), std::string::npos);
}

// `faultline sim --jobs N`: seeds run at once share only the store, so each seed's history is
// the one it has run alone; results come back in seed order; a stop starts no further seed.
TEST(SimRun, SeedsRunAtOnceEachGiveTheHistoryTheyGiveAloneInSeedOrder) {
  TempDir dir;
  auto one = HistoryStore::Open(dir.path("one.db"));
  auto two = HistoryStore::Open(dir.path("two.db"));
  ASSERT_TRUE(one.ok() && two.ok());
  SimRunOptions o;
  o.spec = Spec(kShortSuite);
  o.results_dir = dir.path("results");
  auto collect = [&](HistoryStore& store, int jobs, uint64_t stop_after) {
    std::vector<std::pair<uint64_t, int64_t>> seen;  // (seed, run id)
    RunSeeds(store, o, 3, 6, jobs, [&](const SeedResult& r) {
      seen.emplace_back(r.seed, r.outcome.run.run_id);
      return r.seed != stop_after;
    });
    EXPECT_TRUE(store.Flush().ok());
    return seen;
  };
  auto alone = collect(**one, 1, 0);
  auto together = collect(**two, 3, 0);
  ASSERT_EQ(alone.size(), 4u);
  ASSERT_EQ(together.size(), 4u);
  for (size_t i = 0; i < alone.size(); ++i) {
    EXPECT_EQ(alone[i].first, 3 + i);
    EXPECT_EQ(together[i].first, 3 + i);  // reported in seed order, whichever finished first
    Result<std::string> a = HistoryFingerprint(**one, alone[i].second);
    Result<std::string> b = HistoryFingerprint(**two, together[i].second);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(*a, *b) << "seed " << alone[i].first;
  }
  // Stopped at seed 4 with one job: seeds 5 and 6 never start.
  auto stopped = collect(**one, 1, 4);
  ASSERT_EQ(stopped.size(), 2u);
  EXPECT_EQ(stopped.back().first, 4u);
}

// The checkers judge the history the simulator kept in memory (no reload): it is exactly what
// the store reads back for the run.
TEST(SimRun, JudgesTheInMemoryHistoryWhichEqualsTheStoredOne) {
  TempDir dir;
  auto store = HistoryStore::Open(dir.path("s.db"));
  ASSERT_TRUE(store.ok());
  SimRunOptions o;
  o.spec = Spec(kShortSuite);
  o.spec.seed = 3;
  o.results_dir = dir.path("results");
  std::ostringstream out;
  o.out = &out;
  std::optional<checkers::History> judged;
  o.on_judge = [&](const checkers::History& h) { judged = h; };
  SimOutcome s = RunSim(**store, o);
  ASSERT_NE(s.run.run_id, 0) << out.str();
  ASSERT_TRUE(judged.has_value());
  Result<checkers::History> stored = (*store)->LoadHistory(s.run.run_id);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(judged->source, stored->source);
  EXPECT_EQ(judged->model, stored->model);
  EXPECT_EQ(judged->read_mode, stored->read_mode);
  // The checkers name times as offsets from the run's start (RunTimeText): the judged history's
  // origin is the run row's start, as LoadHistory gives it for a real run.
  EXPECT_GT(judged->origin_ms, 0);
  EXPECT_EQ(judged->origin_ms, stored->origin_ms);
  ASSERT_EQ(judged->ops.size(), stored->ops.size());
  ASSERT_GT(judged->ops.size(), 100u);
  for (size_t i = 0; i < judged->ops.size(); ++i) {
    const checkers::Op& a = judged->ops[i];
    const checkers::Op& b = stored->ops[i];
    SCOPED_TRACE("op " + std::to_string(b.index));
    EXPECT_EQ(a.index, b.index);
    EXPECT_EQ(a.process, b.process);
    EXPECT_EQ(a.f, b.f);
    EXPECT_EQ(a.key, b.key);
    EXPECT_EQ(a.value, b.value);
    EXPECT_EQ(a.expected, b.expected);
    EXPECT_EQ(a.elements, b.elements);
    EXPECT_EQ(a.invoke_ns, b.invoke_ns);
    EXPECT_EQ(a.complete_ns, b.complete_ns);
    EXPECT_EQ(a.outcome, b.outcome);
    EXPECT_EQ(a.zxid, b.zxid);
    EXPECT_EQ(a.node, b.node);
  }
  ASSERT_EQ(judged->faults.size(), stored->faults.size());
  ASSERT_GE(judged->faults.size(), 4u);
  for (size_t i = 0; i < judged->faults.size(); ++i) {
    EXPECT_EQ(judged->faults[i].kind, stored->faults[i].kind);
    EXPECT_EQ(judged->faults[i].targets, stored->faults[i].targets);
    EXPECT_EQ(judged->faults[i].start_ns, stored->faults[i].start_ns);
    EXPECT_EQ(judged->faults[i].stop_ns, stored->faults[i].stop_ns);
    EXPECT_EQ(judged->faults[i].description, stored->faults[i].description);
  }
  ASSERT_EQ(judged->node_events.size(), stored->node_events.size());
  for (size_t i = 0; i < judged->node_events.size(); ++i) {
    EXPECT_EQ(judged->node_events[i].node, stored->node_events[i].node);
    EXPECT_EQ(judged->node_events[i].ts_ms, stored->node_events[i].ts_ms);
    EXPECT_EQ(judged->node_events[i].type, stored->node_events[i].type);
    EXPECT_EQ(judged->node_events[i].fields, stored->node_events[i].fields);
  }
}

// commit-without-quorum: a leader that commits on its own ACK acknowledges writes that an isolated
// leader could never commit; the checkers see them lost or unlinearizable. The correct server
// passes the same seeds.
TEST(SimRun, FindsTheCommitWithoutQuorumFaultPointAndTheCorrectServerPasses) {
  TempDir dir;
  auto store = HistoryStore::Open(dir.path("s.db"));
  ASSERT_TRUE(store.ok());
  const std::string suite = R"(
name: sim-commit-without-quorum
system: {kind: zabd, nodes: 3, tick_time_ms: 50, extra_flags: [--fault, commit-without-quorum]}
workload: {type: register, keys: 3}
concurrency: 6
rate: 200
time_limit: 8s
nemesis: {kinds: [partition], shapes: [isolate-leader], interval: 1500ms, duration: 2s}
)";
  Simulated faulty = Simulate(**store, dir, Spec(suite), 1);
  EXPECT_EQ(faulty.outcome.run.verdict, "invalid");
  EXPECT_FALSE(faulty.outcome.first_checker.empty());
  std::string correct_suite = suite;
  correct_suite.replace(correct_suite.find(", extra_flags"),
                        std::string(", extra_flags: [--fault, commit-without-quorum]").size(), "");
  Simulated correct = Simulate(**store, dir, Spec(correct_suite), 1);
  EXPECT_EQ(correct.outcome.run.verdict, "valid") << correct.outcome.first_checker;
}

TEST(SimRun, ReplaysARecordedRunsScheduleWithItsExactCuts) {
  TempDir dir;
  auto store = HistoryStore::Open(dir.path("s.db"));
  ASSERT_TRUE(store.ok());
  // A recorded run (as `faultline run` stores one): its spec, seed and realized schedule, in
  // which node 3 was killed and the partition cut node 1 off, then a delay the simulator lacks.
  RunRecord r;
  r.suite = "recorded";
  r.system = "zabd";
  r.seed = 42;
  r.spec_text = SpecToYaml(Spec(R"(
name: recorded
system: {kind: zabd, nodes: 3}
workload: {type: register, keys: 2}
concurrency: 3
rate: 50
time_limit: 6s
nemesis: {kinds: [kill, partition, delay]}
)"));
  Result<int64_t> id = (*store)->CreateRun(r);
  ASSERT_TRUE(id.ok());
  std::vector<RealizedFault> realized(3);
  realized[0].planned.at_ms = 1000;
  realized[0].planned.fault.kind = FaultKind::kKill;
  realized[0].planned.fault.target = Target{TargetKind::kRandomNode, {}};
  realized[0].planned.duration_ms = 1000;
  realized[0].applied = true;
  realized[0].nodes = {3};
  realized[1].planned.at_ms = 3000;
  realized[1].planned.fault.kind = FaultKind::kPartition;
  realized[1].planned.fault.shape = PartitionShape::kIsolateLeader;
  realized[1].planned.duration_ms = 1000;
  realized[1].applied = true;
  realized[1].nodes = {1};
  realized[1].links = {{1, 2}, {1, 3}, {2, 1}, {3, 1}};
  realized[2].planned.at_ms = 4500;
  realized[2].planned.fault.kind = FaultKind::kDelay;
  realized[2].planned.duration_ms = 500;
  ASSERT_TRUE((*store)->SetSchedule(*id, ScheduleToJson(realized).dump()).ok());
  ASSERT_TRUE((*store)->FinishRun(*id, kRunFinished, "invalid", "").ok());

  Result<SimInput> in = SimInputFromRun(**store, *id);
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ(in->spec.seed, 42u);
  ASSERT_EQ(in->spec.nemesis.schedule.size(), 3u);  // the delay too
  EXPECT_TRUE(in->notes.empty());
  const FaultSpec& cut = in->spec.nemesis.schedule[1].fault;
  EXPECT_EQ(cut.shape, PartitionShape::kLinks);
  EXPECT_EQ(cut.links.size(), 4u);

  SimRunOptions o;
  o.spec = in->spec;
  o.replay_of = *id;
  o.results_dir = dir.path("results");
  std::ostringstream out;
  o.out = &out;
  SimOutcome s = RunSim(**store, o);
  ASSERT_NE(s.run.run_id, 0) << out.str();
  EXPECT_EQ(s.faults_applied, 3);
  auto run = (*store)->GetRun(s.run.run_id);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->replay_of, std::optional<int64_t>(*id));
  EXPECT_EQ(run->seed, 42u);
  auto faults = (*store)->LoadFaults(s.run.run_id);
  ASSERT_TRUE(faults.ok());
  ASSERT_GE(faults->size(), 2u);
  EXPECT_EQ((*faults)[0].kind, "kill");
  EXPECT_EQ((*faults)[0].targets, std::vector<int64_t>{3});
  EXPECT_EQ((*faults)[1].kind, "partition");
  EXPECT_NE((*faults)[1].description.find("1 drops {2,3}"), std::string::npos)
      << (*faults)[1].description;
}

}  // namespace
}  // namespace faultline::harness::sim
