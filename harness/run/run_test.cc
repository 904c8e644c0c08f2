#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <set>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "harness/nemesis/fake_cluster.h"
#include "harness/run/event_pump.h"
#include "harness/run/nemesis_loop.h"
#include "harness/run/progress.h"
#include "harness/run/runner.h"
#include "harness/run/scaffold.h"
#include "harness/run/schedule.h"

namespace faultline::harness {
namespace {

TestSpec SpecWith(std::vector<FaultKind> kinds, int64_t time_limit_ms = 60000) {
  TestSpec s;
  s.time_limit_ms = time_limit_ms;
  s.nemesis.kinds = std::move(kinds);
  s.nemesis.targets = {
      {TargetKind::kRandomNode, {}}, {TargetKind::kLeader, {}}, {TargetKind::kMinority, {}}};
  s.nemesis.shapes = {PartitionShape::kHalves, PartitionShape::kIsolateNode,
                      PartitionShape::kBridge};
  s.nemesis.interval_ms = 2000;
  s.nemesis.duration_ms = 1000;
  return s;
}

ScheduledFault Fault(int64_t at, std::string kind, std::string target, std::string shape,
                     int64_t duration_ms) {
  ScheduledFault f;
  f.at_ms = at;
  f.fault.kind = *ParseFaultKind(kind);
  if (!target.empty()) f.fault.target = *ParseTarget(target);
  if (!shape.empty()) f.fault.shape = *ParsePartitionShape(shape);
  f.duration_ms = duration_ms;
  return f;
}

TEST(Schedule, SameSeedRealizesTheSameSchedule) {
  TestSpec s = SpecWith({FaultKind::kKill, FaultKind::kPause, FaultKind::kPartition});
  auto a = RealizeSchedule(s, 9), b = RealizeSchedule(s, 9), c = RealizeSchedule(s, 10);
  ASSERT_EQ(a.size(), b.size());
  bool differs = false;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].at_ms, b[i].at_ms);
    EXPECT_EQ(a[i].fault, b[i].fault);
    differs |= !(a[i].fault == c[i].fault);
  }
  EXPECT_TRUE(differs);
}

TEST(Schedule, GeneratedFaultsAreSpacedAndEndBeforeTheTimeLimit) {
  TestSpec s = SpecWith({FaultKind::kKill}, 10000);
  auto sched = RealizeSchedule(s, 1);
  ASSERT_EQ(sched.size(), 3u);  // at 2, 5 and 8 s; 11 s is past the limit
  EXPECT_EQ(sched[0].at_ms, 2000);
  EXPECT_EQ(sched[1].at_ms, 5000);
  EXPECT_EQ(sched[2].at_ms, 8000);
}

TEST(Schedule, GeneratedPartitionsTakeTheSpecsTargetsForIsolateNode) {
  TestSpec s = SpecWith({FaultKind::kPartition});
  s.nemesis.targets = {{TargetKind::kFollowers, {}}};
  s.nemesis.shapes = {PartitionShape::kIsolateNode};
  auto sched = RealizeSchedule(s, 3);
  ASSERT_FALSE(sched.empty());
  for (const auto& f : sched) {
    EXPECT_EQ(f.fault.shape, PartitionShape::kIsolateNode);
    EXPECT_EQ(f.fault.target.kind, TargetKind::kFollowers);  // never the leader
  }
}

TEST(Schedule, LinkDelayIsARunLongDelayOfEveryLinkUnderTheGeneratedFaults) {
  TestSpec s = SpecWith({FaultKind::kKill}, 10000);
  s.nemesis.link_delay_ms = 40;
  auto sched = RealizeSchedule(s, 1);
  ASSERT_EQ(sched.size(), 4u);  // the delay, then the kills at 2, 5 and 8 s as without it
  EXPECT_EQ(sched[0].at_ms, 0);
  EXPECT_EQ(sched[0].fault.kind, FaultKind::kDelay);
  EXPECT_EQ(sched[0].fault.target.kind, TargetKind::kAll);
  EXPECT_EQ(sched[0].fault.delay_ms, 40);
  EXPECT_EQ(sched[0].duration_ms, 10000);
  EXPECT_EQ(sched[1].at_ms, 2000);
  EXPECT_EQ(sched[1].fault.kind, FaultKind::kKill);
  s.nemesis.kinds.clear();  // alone, it is the whole schedule
  EXPECT_EQ(RealizeSchedule(s, 1).size(), 1u);
}

TEST(Schedule, IntervalJitterSpreadsEachQuietTimeOverASeededWindow) {
  TestSpec s = SpecWith({FaultKind::kPowerLoss}, 30000);
  s.nemesis.interval_ms = 300;
  s.nemesis.duration_ms = 400;
  const auto plain = RealizeSchedule(s, 1);
  s.nemesis.interval_jitter_ms = 200;
  const auto jittered = RealizeSchedule(s, 1);
  ASSERT_GT(jittered.size(), 10u);
  std::set<int64_t> gaps;
  int64_t prev_end = 0;
  for (const auto& f : jittered) {
    const int64_t gap = f.at_ms - prev_end;
    EXPECT_GE(gap, 300);
    EXPECT_LE(gap, 500);
    gaps.insert(gap);
    prev_end = f.at_ms + f.duration_ms;
  }
  EXPECT_GT(gaps.size(), 5u);  // spread, not one offset
  const auto again = RealizeSchedule(s, 1);
  ASSERT_EQ(again.size(), jittered.size());
  for (size_t i = 0; i < again.size(); ++i) EXPECT_EQ(again[i].at_ms, jittered[i].at_ms);
  // Without it, nothing is drawn: a schedule is what it was before the key existed.
  for (size_t i = 0; i < plain.size(); ++i) EXPECT_EQ(plain[i].at_ms, 300 + int64_t(i) * 700);
}

TEST(Schedule, ExplicitScheduleIsTakenVerbatim) {
  TestSpec s = SpecWith({FaultKind::kKill});
  ScheduledFault f;
  f.at_ms = 123;
  f.fault.kind = FaultKind::kPause;
  s.nemesis.schedule = {f};
  auto sched = RealizeSchedule(s, 1);
  ASSERT_EQ(sched.size(), 1u);
  EXPECT_EQ(sched[0].fault.kind, FaultKind::kPause);
}

TEST(Schedule, ReplayTargetsTheNodesTheOriginalRunHit) {
  auto entry = [](int64_t at, std::string kind, std::string target, std::string shape) {
    RealizedFault r;
    r.planned = Fault(at, std::move(kind), std::move(target), std::move(shape), 2000);
    return r;
  };
  RealizedFault kill = entry(1000, "kill", "leader", "");
  kill.applied = true;
  kill.nodes = {2};
  RealizedFault part = entry(5000, "partition", "", "halves");
  part.applied = true;
  part.nodes = {1, 2, 3};
  RealizedFault failed = entry(9000, "pause", "leader", "");
  failed.error = "no leader";
  auto back = ScheduleForReplay(ScheduleToJson({kill, part, failed}).dump());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), 3u);
  EXPECT_EQ(TargetText((*back)[0].fault.target), "2");
  EXPECT_EQ((*back)[0].at_ms, 1000);
  EXPECT_EQ((*back)[1].fault.shape, PartitionShape::kHalves);
  // halves is fixed by node order, not by target
  EXPECT_EQ((*back)[1].fault.target.kind, TargetKind::kRandomNode);
  EXPECT_EQ((*back)[2].fault.target.kind, TargetKind::kLeader);
}

// Regression (found by `faultline shrink RUN --sim` on a `sim --from-run` run): a realized
// explicit-links partition was stored with shape "links", which replay refused as an unknown
// shape, so such a run could not be replayed, shrunk or simulated again.
TEST(Schedule, AnExplicitLinksPartitionReplaysWithItsLinks) {
  RealizedFault cut;
  cut.planned.at_ms = 3000;
  cut.planned.duration_ms = 1000;
  cut.planned.fault.kind = FaultKind::kPartition;
  cut.planned.fault.shape = PartitionShape::kLinks;
  cut.planned.fault.links = {{1, 2}, {2, 1}};
  cut.applied = true;
  cut.nodes = {1, 2};
  cut.links = {{1, 2}, {2, 1}};
  for (bool exact : {false, true}) {
    auto back = ScheduleForReplay(ScheduleToJson({cut}).dump(), exact);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    ASSERT_EQ(back->size(), 1u);
    EXPECT_EQ((*back)[0].fault.shape, PartitionShape::kLinks);
    EXPECT_EQ((*back)[0].fault.links, (std::vector<Link>{{1, 2}, {2, 1}}));
    EXPECT_EQ((*back)[0].fault.target.kind, TargetKind::kRandomNode);
  }
}

TEST(Schedule, AScheduleStoredBeforeTypedFaultsStillReplays) {
  // Runs recorded before typed faults stored "" for default targets and shapes.
  const char* old = R"([{"at_ms":100,"kind":"partition","target":"","shape":"","duration_ms":5,
      "applied":true,"nodes":[1,2,3]},{"at_ms":200,"kind":"pause","target":"","shape":"",
      "duration_ms":5,"applied":false}])";
  auto back = ScheduleForReplay(old);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ((*back)[0].fault.shape, PartitionShape::kIsolateLeader);
  EXPECT_EQ((*back)[1].fault.target.kind, TargetKind::kRandomNode);
  EXPECT_EQ(ScheduleForReplay(R"([{"at_ms":1,"kind":"explode","duration_ms":1}])").status().code(),
            StatusCode::kCorruption);
}

TEST(NetMode, AutoPicksIptablesAsRootProxyWithoutAndNoneWithoutNetworkFaults) {
  EXPECT_EQ(ResolveNetMode(SpecWith({FaultKind::kPartition}), true), "iptables");
  EXPECT_EQ(ResolveNetMode(SpecWith({FaultKind::kPartition}), false), "proxy");
  EXPECT_EQ(ResolveNetMode(SpecWith({FaultKind::kPartition, FaultKind::kDelay}), true), "proxy");
  EXPECT_EQ(ResolveNetMode(SpecWith({FaultKind::kKill}), true), "none");
  TestSpec proxy = SpecWith({FaultKind::kPartition});
  proxy.net = NetMode::kProxy;
  EXPECT_EQ(ResolveNetMode(proxy, true), "proxy");
}

TEST(NetMode, ASystemThatRefusesTheProxyGetsIptablesOrAClearReason) {
  SystemTraits etcd_like;
  etcd_like.proxy_refusal = "it validates its peer URLs";
  EXPECT_EQ(*ChooseNet(NetMode::kAuto, true, false, etcd_like, true, "x"), "iptables");
  Result<std::string> no_root = ChooseNet(NetMode::kAuto, true, false, etcd_like, false, "x");
  ASSERT_FALSE(no_root.ok());
  EXPECT_NE(no_root.status().message().find("partitions without root"), std::string::npos);
  EXPECT_NE(no_root.status().message().find("it validates its peer URLs"), std::string::npos);
  EXPECT_FALSE(ChooseNet(NetMode::kAuto, true, true, etcd_like, true, "x").ok());  // delay
  EXPECT_FALSE(ChooseNet(NetMode::kProxy, false, false, etcd_like, true, "x").ok());
  EXPECT_EQ(*ChooseNet(NetMode::kAuto, false, false, etcd_like, false, "x"), "none");
  SystemTraits no_network;
  no_network.has_peer_network = false;
  EXPECT_FALSE(ChooseNet(NetMode::kAuto, true, false, no_network, true, "x").ok());
}

class TempDb {
 public:
  TempDb() {
    std::string t = (std::filesystem::temp_directory_path() / "run_test.XXXXXX").string();
    dir_ = mkdtemp(t.data());
  }
  ~TempDb() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string path() const { return dir_ + "/h.db"; }
  std::string dir() const { return dir_; }

 private:
  std::string dir_;
};

TEST(NemesisLoop, FaultsAreStartedStoppedAndRecordedWithRoles) {
  TempDb db;
  auto store = HistoryStore::Open(db.path());
  ASSERT_TRUE(store.ok());
  int64_t run = *(*store)->CreateRun(RunRecord{});
  FakeCluster cluster(3, /*leader=*/2);
  FakePartitioner partitioner;
  Nemesis nemesis(cluster, &partitioner);
  std::vector<ScheduledFault> schedule = {Fault(0, "kill", "leader", "", 1),
                                          Fault(1, "partition", "", "halves", 1),
                                          Fault(100000, "pause", "random", "", 1)};  // too late
  FaultRecorder recorder(store->get(), run);
  NemesisLoop loop(&nemesis, &recorder, schedule, /*time_limit_ms=*/50000);
  loop.Start(std::chrono::steady_clock::now());
  while (loop.applied_count() < 2 || !loop.active().empty()) std::this_thread::yield();
  loop.Stop();
  ASSERT_TRUE(loop.StopActive().ok());
  ASSERT_TRUE((*store)->Flush().ok());

  std::vector<FaultRecord> faults = *(*store)->LoadFaults(run);
  ASSERT_EQ(faults.size(), 2u);
  EXPECT_EQ(faults[0].kind, "kill");
  EXPECT_EQ(faults[0].targets, std::vector<int64_t>{2});
  ASSERT_TRUE(faults[0].stop_ns.has_value());
  EXPECT_LE(faults[0].start_ns, *faults[0].stop_ns);
  EXPECT_NE(faults[0].detail_json.find("\"2\":\"leading\""), std::string::npos)
      << faults[0].detail_json;
  // When the kill took effect: after the attempt began, before it was healed.
  const int64_t applied_ns =
      nlohmann::json::parse(faults[0].detail_json).value("applied_ns", int64_t{-1});
  EXPECT_GE(applied_ns, faults[0].start_ns) << faults[0].detail_json;
  EXPECT_LE(applied_ns, *faults[0].stop_ns);
  EXPECT_EQ(faults[1].kind, "partition");
  EXPECT_TRUE(faults[1].stop_ns.has_value());
  EXPECT_NE(faults[1].detail_json.find("grudge"), std::string::npos);
  // The killed leader was started again and the partition healed.
  EXPECT_EQ(cluster.State(2), NodeState::kRunning);
  EXPECT_TRUE(partitioner.grudge.empty());
  std::vector<RealizedFault> realized = loop.realized();
  ASSERT_EQ(realized.size(), 3u);
  EXPECT_TRUE(realized[0].applied);
  EXPECT_EQ(realized[0].roles.at(2), "leading");
  EXPECT_FALSE(realized[2].applied);  // never started: past the time limit
}

TEST(NemesisLoop, FaultStillInForceAtStopIsStoppedByStopActive) {
  TempDb db;
  auto store = HistoryStore::Open(db.path());
  ASSERT_TRUE(store.ok());
  int64_t run = *(*store)->CreateRun(RunRecord{});
  FakeCluster cluster(3, 1);
  Nemesis nemesis(cluster, nullptr);
  FaultRecorder recorder(store->get(), run);
  NemesisLoop loop(&nemesis, &recorder, {Fault(0, "pause", "leader", "", 3600000)}, 50000);
  loop.Start(std::chrono::steady_clock::now());
  while (loop.applied_count() < 1) std::this_thread::yield();
  loop.Stop();
  EXPECT_EQ(cluster.State(1), NodeState::kPaused);
  ASSERT_TRUE(loop.StopActive().ok());
  EXPECT_EQ(cluster.State(1), NodeState::kRunning);
  ASSERT_TRUE((*store)->Flush().ok());
  std::vector<FaultRecord> faults = *(*store)->LoadFaults(run);
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_TRUE(faults[0].stop_ns.has_value());
}

TEST(NemesisLoop, FaultThatCannotBeAppliedIsReportedNotRecorded) {
  TempDb db;
  auto store = HistoryStore::Open(db.path());
  ASSERT_TRUE(store.ok());
  int64_t run = *(*store)->CreateRun(RunRecord{});
  FakeCluster cluster(3, 1);
  Nemesis nemesis(cluster, nullptr);  // no partitioner: partitions are Unavailable
  FaultRecorder recorder(store->get(), run);
  NemesisLoop loop(&nemesis, &recorder, {Fault(0, "partition", "", "halves", 10)}, 50000);
  loop.Start(std::chrono::steady_clock::now());
  while (loop.realized()[0].started_offset_ms < 0) std::this_thread::yield();
  loop.Stop();
  EXPECT_FALSE(loop.realized()[0].applied);
  EXPECT_FALSE(loop.realized()[0].error.empty());
  ASSERT_TRUE((*store)->Flush().ok());
  EXPECT_TRUE((*store)->LoadFaults(run)->empty());
}

TEST(Progress, LineShowsElapsedCountsRateFaultsAndLeader) {
  std::ostringstream out;
  Progress p(out, false, 30000, {});
  std::string line =
      p.Line(std::chrono::milliseconds(12500), OpCounts{10, 2, 1}, 99.6, "kill", "3");
  EXPECT_EQ(line, "[ 12.5s / 30s] ok 10 fail 2 info 1 | 100 ops/s | faults: kill | leader: 3");
}

TEST(Runner, MissingZabdEndsWithExitTwoAndAnErrorRun) {
  TempDb db;
  RunOptions o;
  o.spec.name = "missing";
  o.spec.time_limit_ms = 1000;
  o.spec.system.options["zabd"] = SystemOption{{db.dir() + "/no-such-zabd"}, false, 1};
  o.store_path = db.path();
  o.results_dir = db.dir();
  std::ostringstream out;
  o.out = &out;
  RunOutcome r = ExecuteRun(o);
  EXPECT_EQ(r.exit_code, 2);
  ASSERT_GT(r.run_id, 0);
  auto store = HistoryStore::Open(db.path());
  ASSERT_TRUE(store.ok());
  RunRecord rec = *(*store)->GetRun(r.run_id);
  EXPECT_EQ(rec.status, kRunError);
  EXPECT_TRUE(std::filesystem::exists(rec.folder + "/spec.yaml"));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// Regression (results-folder collision): two stores sharing one --results folder both number
// their first run 1, and both wrote into <results>/runs/1, the second over the first.
TEST(Runner, ResultsFolderCollisionRegressionTwoStoresSharingOneResultsFolderKeepTheirOwnFolders) {
  TempDb db;
  auto run = [&](const std::string& store_path, const std::string& name) -> RunRecord {
    RunOptions o;
    o.spec.name = name;
    o.spec.time_limit_ms = 1000;
    o.spec.system.options["zabd"] = SystemOption{{db.dir() + "/no-such-zabd"}, false, 1};
    o.store_path = store_path;
    o.results_dir = db.dir() + "/results";
    std::ostringstream out;
    o.out = &out;
    RunOutcome r = ExecuteRun(o);
    EXPECT_EQ(r.run_id, 1) << out.str();
    auto store = HistoryStore::Open(store_path);
    if (!store.ok()) return RunRecord{};
    auto rec = (*store)->GetRun(r.run_id);
    return rec.ok() ? *rec : RunRecord{};
  };
  const RunRecord a = run(db.path(), "suite-a");
  const RunRecord b = run(db.dir() + "/other.db", "suite-b");
  EXPECT_EQ(a.folder, db.dir() + "/results/runs/1");
  EXPECT_EQ(b.folder, db.dir() + "/results/runs/1-2");
  EXPECT_NE(ReadFile(a.folder + "/spec.yaml").find("suite-a"), std::string::npos);
  EXPECT_NE(ReadFile(b.folder + "/spec.yaml").find("suite-b"), std::string::npos);
}

TEST(Runner, CreateRunFolderTakesTheFirstFreeNameAndSaysWhyWhenItCannot) {
  TempDb db;
  const std::string runs = db.dir() + "/runs";
  std::filesystem::create_directories(runs + "/3");
  std::filesystem::create_directories(runs + "/3-2");
  Result<std::string> third = CreateRunFolder(db.dir(), 3);
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_EQ(*third, runs + "/3-3");
  Result<std::string> fourth = CreateRunFolder(db.dir(), 4);
  ASSERT_TRUE(fourth.ok()) << fourth.status().ToString();
  EXPECT_EQ(*fourth, runs + "/4");
  std::ofstream(db.dir() + "/file") << "x";
  Result<std::string> bad = CreateRunFolder(db.dir() + "/file", 1);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(db.dir() + "/file/runs"), std::string::npos)
      << bad.status().ToString();
}

TEST(Runner, AnUnknownSystemKindIsASpecErrorBeforeAnyRunRow) {
  TempDb db;
  RunOptions o;
  o.spec.system.kind = "cassandra";
  o.spec.source_name = "s.yaml";
  o.store_path = db.path();
  o.results_dir = db.dir();
  std::ostringstream out;
  o.out = &out;
  RunOutcome r = ExecuteRun(o);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.run_id, 0);
  EXPECT_NE(out.str().find("unknown system 'cassandra'"), std::string::npos) << out.str();
}

// The fake system through the unchanged run loop: workers, nemesis (kill, pause, restart), heal,
// final reads, event ingest as the run goes, the fake's promised checkers.
RunOptions FakeRun(const TempDb& db, int lose_every, std::ostringstream* out) {
  RunOptions o;
  o.spec.name = "fake";
  o.spec.system.kind = "fake";
  if (lose_every > 0) {
    o.spec.system.options["lose_every"] = SystemOption{{std::to_string(lose_every)}, false, 1};
  }
  o.spec.time_limit_ms = 2500;
  o.spec.concurrency = 3;
  o.spec.rate = 200;
  o.spec.seed = 7;
  o.spec.workload.keys = 2;
  o.spec.nemesis.schedule = {Fault(300, "kill", "leader", "", 400),
                             Fault(1000, "pause", "random", "", 400),
                             Fault(1700, "restart", "random", "", 100)};
  o.store_path = db.path();
  o.results_dir = db.dir();
  o.out = out;
  return o;
}

TEST(Runner, FakeSystemRunThroughTheRunLoopEndsValidWithFaultsAndNodeEvents) {
  TempDb db;
  std::ostringstream out;
  RunOutcome r = ExecuteRun(FakeRun(db, 0, &out));
  EXPECT_EQ(r.exit_code, 0) << out.str();
  EXPECT_EQ(r.verdict, "valid");
  EXPECT_EQ(r.net, "none");
  auto store = HistoryStore::Open(db.path());
  ASSERT_TRUE(store.ok());
  checkers::History h = *(*store)->LoadHistory(r.run_id);
  EXPECT_GT(h.ops.size(), 50u);
  EXPECT_EQ(h.faults.size(), 3u);
  EXPECT_FALSE(h.node_events.empty());  // the fake's role events, imported by the pump
  std::vector<CheckRecord> checks = *(*store)->LoadChecks(r.run_id);
  std::vector<std::string> names;
  for (const auto& c : checks) names.push_back(c.checker + "=" + c.verdict);
  // Exactly the fake's promises: no ZAB invariants judged on a system that does not speak ZAB.
  EXPECT_EQ(names, (std::vector<std::string>{"linearizability=valid", "lost-writes=valid"}));
}

TEST(Runner, FakeSystemWithAPlantedLostWriteEndsInvalid) {
  TempDb db;
  std::ostringstream out;
  RunOutcome r = ExecuteRun(FakeRun(db, 5, &out));
  EXPECT_EQ(r.exit_code, 1) << out.str();
  EXPECT_EQ(r.verdict, "invalid");
}

TEST(Runner, NetworkFaultsOnASystemWithoutAPeerNetworkAreRefused) {
  TempDb db;
  std::ostringstream out;
  RunOptions o = FakeRun(db, 0, &out);
  o.spec.nemesis.schedule = {Fault(300, "partition", "", "halves", 400)};
  RunOutcome r = ExecuteRun(o);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(out.str().find("cannot take network faults"), std::string::npos) << out.str();
}

TEST(Runner, PowerLossFaultsOnASystemThatCannotSimulateThemAreRefused) {
  TempDb db;
  std::ostringstream out;
  RunOptions o = FakeRun(db, 0, &out);
  o.spec.nemesis.schedule = {Fault(300, "power-loss", "leader", "", 400)};
  RunOutcome r = ExecuteRun(o);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.run_id, 0);
  EXPECT_NE(out.str().find("system fake cannot simulate a power loss"), std::string::npos)
      << out.str();
}

TEST(EventPump, EventsReachTheStoreWhileTheRunGoes) {
  TempDb db;
  auto store = HistoryStore::Open(db.path());
  ASSERT_TRUE(store.ok());
  int64_t run = *(*store)->CreateRun(RunRecord{});
  TestSpec spec;
  spec.system.kind = "fake";
  auto system = MakeSystem(spec, {});
  ASSERT_TRUE(system.ok());
  auto fake_db = (*system)->OpenDb(DbOptions{db.dir() + "/run", 3, NetLayout::kLoopback});
  ASSERT_TRUE(fake_db.ok());
  EventPump pump(store->get(), run, **system, (*fake_db)->Infos(), std::chrono::milliseconds(10));
  pump.Start();
  ASSERT_TRUE((*fake_db)->StartAll().ok());  // role events in every node's log
  // Without Finish: the pump thread alone brings them to the store.
  for (int i = 0; i < 1000 && pump.counts().events < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE((*store)->Flush().ok());
  EXPECT_GE((*store)->LoadHistory(run)->node_events.size(), 3u);
  pump.Finish();
}

}  // namespace
}  // namespace faultline::harness
