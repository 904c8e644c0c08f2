#include "harness/spec/test_spec.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace faultline::harness {
namespace {

// Parses `yaml` and expects an error whose message contains every fragment.
void ExpectError(const std::string& yaml, std::initializer_list<std::string> fragments) {
  Result<TestSpec> spec = ParseTestSpec(yaml, "t.yaml");
  ASSERT_FALSE(spec.ok()) << "parsed without error:\n" << yaml;
  EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
  for (const auto& f : fragments) {
    EXPECT_NE(spec.status().message().find(f), std::string::npos)
        << "message '" << spec.status().message() << "' lacks '" << f << "'";
  }
}

TEST(TestSpec, FullDocumentParsesEveryField) {
  const char* yaml = R"(name: quick
system:
  kind: zabd
  zabd: /opt/zabd
  nodes: 5
  read_mode: local
  tick_time_ms: 20
  extra_flags: [--log-level, debug]
workload:
  type: register
  keys: 7
  mix: {read: 2, write: 1, cas: 1}
concurrency: 8
rate: 250
op_timeout: 500ms
time_limit: 2m
nemesis:
  kinds: [kill, pause, partition]
  targets: [leader, minority]
  shapes: [halves, one-way]
  interval: 4s
  duration: 1.5
  schedule:
    - {at: 3s, kind: kill, target: leader, duration: 2s}
    - {at: 10s, kind: partition, shape: isolate-leader}
checkers: [linearizable, lost-writes]
seed: 1234
net: proxy
)";
  Result<TestSpec> r = ParseTestSpec(yaml, "quick.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const TestSpec& s = *r;
  EXPECT_EQ(s.name, "quick");
  EXPECT_EQ(s.system.kind, "zabd");
  EXPECT_EQ(s.system.nodes, 5);
  EXPECT_EQ(s.system.read_mode, "local");
  // System-specific keys are collected with their lines; the registry validates them.
  EXPECT_EQ(s.system.options.at("zabd").values, std::vector<std::string>{"/opt/zabd"});
  EXPECT_EQ(s.system.options.at("tick_time_ms").values, std::vector<std::string>{"20"});
  EXPECT_EQ(s.system.options.at("tick_time_ms").line, 7);
  EXPECT_EQ(s.system.options.at("extra_flags").values,
            (std::vector<std::string>{"--log-level", "debug"}));
  EXPECT_TRUE(s.system.options.at("extra_flags").is_list);
  EXPECT_EQ(s.workload.kind, WorkloadKind::kRegister);
  EXPECT_EQ(s.workload.keys, 7);
  EXPECT_DOUBLE_EQ(s.workload.read_weight, 2);
  EXPECT_EQ(s.concurrency, 8);
  EXPECT_DOUBLE_EQ(s.rate, 250);
  EXPECT_EQ(s.op_timeout_ms, 500);
  EXPECT_EQ(s.time_limit_ms, 120000);
  EXPECT_EQ(s.nemesis.kinds,
            (std::vector<FaultKind>{FaultKind::kKill, FaultKind::kPause, FaultKind::kPartition}));
  EXPECT_EQ(s.nemesis.targets,
            (std::vector<Target>{{TargetKind::kLeader, {}}, {TargetKind::kMinority, {}}}));
  EXPECT_EQ(s.nemesis.interval_ms, 4000);
  EXPECT_EQ(s.nemesis.duration_ms, 1500);
  ASSERT_EQ(s.nemesis.schedule.size(), 2u);
  EXPECT_EQ(s.nemesis.schedule[0].at_ms, 3000);
  EXPECT_EQ(s.nemesis.schedule[0].fault.kind, FaultKind::kKill);
  EXPECT_EQ(s.nemesis.schedule[0].fault.target.kind, TargetKind::kLeader);
  EXPECT_EQ(s.nemesis.schedule[0].line, 24);
  EXPECT_EQ(s.nemesis.schedule[0].duration_ms, 2000);
  EXPECT_EQ(s.nemesis.schedule[1].fault.shape, PartitionShape::kIsolateLeader);
  EXPECT_EQ(s.nemesis.schedule[1].duration_ms, 1500);  // inherits nemesis.duration
  EXPECT_EQ(s.checkers, (std::vector<std::string>{"linearizable", "lost-writes"}));
  EXPECT_EQ(s.seed, 1234u);
  EXPECT_EQ(s.net, NetMode::kProxy);
  EXPECT_EQ(s.source_text, yaml);
}

TEST(TestSpec, MinimalDocumentTakesDefaultsAndFileStemAsName) {
  Result<TestSpec> r = ParseTestSpec("concurrency: 2\n", "dir/smoke.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->name, "smoke");
  EXPECT_EQ(r->system.nodes, 3);
  EXPECT_EQ(r->net, NetMode::kAuto);
  EXPECT_TRUE(r->nemesis.kinds.empty());
}

TEST(TestSpec, UnknownTopLevelKeyIsNamedWithItsLine) {
  ExpectError("concurrency: 2\nconcurency: 3\n", {"t.yaml:2:", "concurency", "unknown key"});
}

TEST(TestSpec, UnknownNestedKeyIsNamedWithItsPath) {
  ExpectError("workload:\n  keys: 3\n  keyz: 5\n", {"t.yaml:3:", "workload.keyz", "unknown key"});
}

TEST(TestSpec, ASystemKeyThatIsAMappingIsNamed) {
  ExpectError("system:\n  tick: {a: 1}\n", {"t.yaml:2:", "system.tick", "scalar or a list"});
}

TEST(TestSpec, UnknownKeyInsideScheduleEntryIsNamed) {
  ExpectError("nemesis:\n  schedule:\n    - {at: 1s, kind: kill, when: 3}\n",
              {"t.yaml:3:", "nemesis.schedule[0].when", "unknown key"});
}

TEST(TestSpec, WrongTypeIsNamed) {
  ExpectError("concurrency: lots\n", {"t.yaml:1:", "concurrency", "wrong type"});
}

// Found trying a suite with `name:` twice: the second was ignored without a word.
TEST(TestSpec, ARepeatedKeyIsAnErrorNamingBothLines) {
  ExpectError("name: a\nconcurrency: 2\nname: b\n",
              {"t.yaml:3:", "name", "repeated key (first on line 1)"});
  ExpectError("workload:\n  keys: 3\n  keys: 4\n", {"t.yaml:3:", "workload.keys", "repeated key"});
  ExpectError("nemesis:\n  schedule:\n    - {at: 1s, kind: kill, at: 2s}\n",
              {"t.yaml:3:", "nemesis.schedule[0].at", "repeated key"});
}

// Found trying `keys: 99999999999`: "wrong type" for a number that is simply too big.
TEST(TestSpec, AnIntegerTooBigForItsFieldIsOutOfRangeNotAWrongType) {
  ExpectError("workload:\n  keys: 99999999999\n",
              {"t.yaml:2:", "workload.keys", "'99999999999' is out of range"});
  ExpectError("concurrency: -99999999999\n", {"t.yaml:1:", "concurrency", "out of range"});
  ExpectError("concurrency: 12abc\n", {"t.yaml:1:", "concurrency", "wrong type"});
}

// Found trying `{at: 200s, ...}` in a 30 s suite: the fault was dropped, and the run said
// "faults 5" for a file that lists six.
TEST(TestSpec, AFaultScheduledAtOrAfterTheEndOfTheRunIsAnErrorInAFile) {
  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/late_fault.yaml";
  {
    std::ofstream out(path);
    out << "time_limit: 30s\nnemesis:\n  schedule:\n    - {at: 2s, kind: kill}\n"
           "    - {at: 30s, kind: pause}\n";
  }
  Result<TestSpec> spec = LoadTestSpec(path);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().message(),
            path +
                ":5: nemesis.schedule[1].at: 30000 ms is not before time_limit (30000 ms): the "
                "fault would never run");
  std::filesystem::remove(path);
  // A shorter --time-limit cuts the schedule on purpose, and the effective spec of such a run
  // still parses when replay or shrink read it back.
  Result<TestSpec> quick =
      LoadTestSpec(std::string(FAULTLINE_SOURCE_DIR) + "/workloads/quick.yaml");
  ASSERT_TRUE(quick.ok()) << quick.status().ToString();
  SpecOverrides o;
  o.time_limit = "3s";
  ASSERT_TRUE(ApplyOverrides(o, &*quick).ok());
  EXPECT_TRUE(ParseTestSpec(SpecToYaml(*quick), "stored").ok());
}

// Found by a hostile try: `faultline sim quick.yaml --time-limit 5s` ran 1 of its 6 scheduled
// faults and said nothing of the other 5 ("faults 1" was the only trace). The commands now print
// this note (run, sim, suite).
TEST(TestSpec, ATimeLimitThatCutsTheScheduleNamesEveryFaultThatWillNotRun) {
  Result<TestSpec> quick =
      LoadTestSpec(std::string(FAULTLINE_SOURCE_DIR) + "/workloads/quick.yaml");
  ASSERT_TRUE(quick.ok()) << quick.status().ToString();
  EXPECT_EQ(CutScheduleNote(*quick), "");  // a file may not cut its own schedule
  SpecOverrides o;
  o.time_limit = "16s";
  ASSERT_TRUE(ApplyOverrides(o, &*quick).ok());
  const std::vector<ScheduledFault>& f = quick->nemesis.schedule;
  ASSERT_EQ(f.size(), 6u);
  EXPECT_EQ(CutScheduleNote(*quick),
            fmt::format("3 scheduled faults start at or after the time limit (16000 ms) and will "
                        "not run: nemesis.schedule[3] (line {}: kill at 16000 ms), "
                        "nemesis.schedule[4] (line {}: partition at 21000 ms), "
                        "nemesis.schedule[5] (line {}: pause at 26000 ms)",
                        f[3].line, f[4].line, f[5].line));
  o.time_limit = "26001ms";
  ASSERT_TRUE(ApplyOverrides(o, &*quick).ok());
  EXPECT_EQ(CutScheduleNote(*quick), "");
}

TEST(TestSpec, MappingWhereScalarExpectedIsNamed) {
  ExpectError("rate: {a: 1}\n", {"t.yaml:1:", "rate", "expected a scalar"});
}

TEST(TestSpec, FourNodesIsImpossible) {
  ExpectError("system:\n  nodes: 4\n", {"t.yaml:2:", "system.nodes", "3 or 5"});
}

TEST(TestSpec, ZeroConcurrencyIsImpossible) {
  ExpectError("concurrency: 0\n", {"concurrency", "1..1024"});
}

TEST(TestSpec, NegativeRateIsImpossible) { ExpectError("rate: -3\n", {"rate", ">= 0"}); }

TEST(TestSpec, BadDurationIsNamed) {
  ExpectError("time_limit: soon\n", {"t.yaml:1:", "time_limit", "bad duration"});
}

TEST(TestSpec, ZeroOpTimeoutIsImpossible) { ExpectError("op_timeout: 0ms\n", {"op_timeout"}); }

TEST(TestSpec, UnknownWorkloadTypeIsNamed) {
  ExpectError("workload:\n  type: queue\n", {"t.yaml:2:", "workload.type", "queue"});
}

TEST(TestSpec, AllZeroWriteWeightIsImpossible) {
  ExpectError("workload:\n  mix: {read: 1}\n", {"workload.mix", "write"});
}

TEST(TestSpec, UnknownFaultKindIsNamedWithItsIndex) {
  ExpectError("nemesis:\n  kinds: [kill, kil]\n", {"t.yaml:2:", "nemesis.kinds[1]", "'kil'"});
}

TEST(TestSpec, UnknownTargetIsNamed) {
  ExpectError("nemesis:\n  targets: [leader, boss]\n", {"nemesis.targets[1]", "'boss'"});
}

TEST(TestSpec, GeneratedFaultsMayTargetExplicitNodes) {
  // A nemesis that keeps hitting one node (workloads/detection/power-cut-sync.yaml).
  Result<TestSpec> spec =
      ParseTestSpec("nemesis:\n  targets: [\"1\", \"1,3\", random]\n", "t.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  auto texts = [](const std::vector<Target>& targets) {
    std::vector<std::string> out;
    for (const Target& t : targets) out.push_back(TargetText(t));
    return out;
  };
  EXPECT_EQ(texts(spec->nemesis.targets), (std::vector<std::string>{"1", "1,3", "random"}));
  Result<TestSpec> back = ParseTestSpec(SpecToYaml(*spec), "back.yaml");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(texts(back->nemesis.targets), texts(spec->nemesis.targets));
  ExpectError("nemesis:\n  targets: [\"1,,3\"]\n", {"nemesis.targets[0]", "'1,,3'"});
  // The nodes must exist, here too, and still after --nodes.
  ExpectError("system: {nodes: 3}\nnemesis:\n  targets: [\"1,7\"]\n",
              {"t.yaml:3:", "nemesis.targets[0]", "node 7 does not exist"});
  Result<TestSpec> five =
      ParseTestSpec("system: {nodes: 5}\nnemesis:\n  targets: [leader, \"5\"]\n", "t.yaml");
  ASSERT_TRUE(five.ok()) << five.status().ToString();
  SpecOverrides o;
  o.nodes = 3;
  Status s = ApplyOverrides(o, &*five);
  EXPECT_NE(s.message().find("--nodes 3: nemesis.targets[1]: node 5 does not exist"),
            std::string::npos)
      << s.ToString();
}

// Explicit links (what shrink and `sim --from-run` replay exactly): a partition of exactly these
// directed cuts, written back by SpecToYaml; malformed links are named with their index.
TEST(TestSpec, ExplicitPartitionLinksParseAndRoundTrip) {
  const char* yaml =
      "nemesis:\n  schedule:\n    - {at: 1s, kind: partition, links: [[1, 2], [3, 2]], "
      "duration: 2s}\n";
  Result<TestSpec> spec = ParseTestSpec(yaml, "t.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  ASSERT_EQ(spec->nemesis.schedule.size(), 1u);
  const FaultSpec& f = spec->nemesis.schedule[0].fault;
  EXPECT_EQ(f.shape, PartitionShape::kLinks);
  EXPECT_EQ(f.links, (std::vector<Link>{{1, 2}, {3, 2}}));
  Result<TestSpec> back = ParseTestSpec(SpecToYaml(*spec), "back.yaml");
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << SpecToYaml(*spec);
  EXPECT_EQ(back->nemesis.schedule[0].fault.links, f.links);
}

TEST(TestSpec, BadPartitionLinksAreNamedWithTheirIndex) {
  const std::string head = "nemesis:\n  schedule:\n    - {at: 1s, kind: ";
  ExpectError(head + "partition, links: [[1, 1]]}\n",
              {"nemesis.schedule[0].links[0]", "two different nodes"});
  ExpectError(head + "partition, links: [[1, 4]]}\n", {"nemesis.schedule[0].links[0]", "1..3"});
  ExpectError(head + "partition, links: [[1]]}\n", {"links[0]", "[from, to]"});
  ExpectError(head + "partition, links: []}\n", {"links", "list of [from, to] pairs"});
  ExpectError(head + "kill, links: [[1, 2]]}\n", {"links", "only partition, delay and loss"});
  ExpectError(head + "partition, target: \"1\", links: [[1, 2]]}\n",
              {"links", "replace the shape and the target"});
}

TEST(TestSpec, ShapeOnProcessFaultIsImpossible) {
  ExpectError("nemesis:\n  schedule:\n    - {at: 1s, kind: kill, shape: halves}\n",
              {"nemesis.schedule[0].shape", "only partition faults"});
}

TEST(TestSpec, AFaultAimedAtANodeThatDoesNotExistIsAnErrorWithItsLine) {
  // Accepted and silently skipped at run time before typed faults.
  ExpectError(
      "system: {nodes: 3}\nnemesis:\n  schedule:\n    - {at: 1s, kind: kill, target: \"7\"}\n",
      {"t.yaml:4:", "nemesis.schedule[0].target", "node 7 does not exist", "system.nodes is 3"});
  ExpectError("nemesis:\n  schedule:\n    - {at: 1s, kind: kill, target: \"1,x\"}\n",
              {"t.yaml:3:", "bad node id 'x'"});
}

TEST(TestSpec, ShrinkingTheClusterBelowAnExplicitTargetIsAnErrorNamingTheEntry) {
  Result<TestSpec> r = ParseTestSpec(
      "system: {nodes: 5}\nnemesis:\n  schedule:\n    - {at: 1s, kind: pause, target: \"5\"}\n",
      "t.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  SpecOverrides o;
  o.nodes = 3;
  Status s = ApplyOverrides(o, &*r);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("--nodes 3: nemesis.schedule[0] (line 4): node 5 does not exist"),
            std::string::npos)
      << s.message();
}

TEST(TestSpec, ScheduleEntryWithoutKindIsNamed) {
  ExpectError("nemesis:\n  schedule:\n    - {at: 1s}\n", {"nemesis.schedule[0].kind", "missing"});
}

TEST(TestSpec, UnknownCheckerIsNamed) {
  ExpectError("checkers: [linearizable, magic]\n", {"checkers[1]", "'magic'"});
}

TEST(TestSpec, UnknownNetModeIsNamed) { ExpectError("net: wifi\n", {"t.yaml:1:", "net", "wifi"}); }

TEST(TestSpec, PartitionWithoutNetworkIsImpossible) {
  ExpectError("net: none\nnemesis:\n  kinds: [partition]\n", {"net", "network faults"});
}

TEST(TestSpec, SyntaxErrorReportsLine) { ExpectError("a: [1, 2\nb: 3\n", {"t.yaml:"}); }

TEST(TestSpec, EmptyDocumentIsAnError) { ExpectError("", {"empty"}); }

TEST(TestSpec, DurationsAcceptUnitsAndBareSeconds) {
  EXPECT_EQ(*ParseDurationMs("250ms"), 250);
  EXPECT_EQ(*ParseDurationMs("10s"), 10000);
  EXPECT_EQ(*ParseDurationMs("2m"), 120000);
  EXPECT_EQ(*ParseDurationMs("1.5"), 1500);
  EXPECT_FALSE(ParseDurationMs("-1s").ok());
  EXPECT_FALSE(ParseDurationMs("ms").ok());
  EXPECT_FALSE(ParseDurationMs("3x").ok());
}

// Found by a hostile try: `faultline sim quick.yaml --time-limit 9e18ms` filled 11 GB in seconds
// (the OOM killer ended it) and `op_timeout: 9223372036854775807ms` came back as "must be > 0"
// (llround beyond int64 is undefined). A duration above 7 days is refused, naming the text.
TEST(TestSpec, DurationsAboveSevenDaysAreOutOfRangeNamingTheText) {
  EXPECT_EQ(*ParseDurationMs("168h"), kMaxDurationMs);
  for (const char* bad :
       {"9e18ms", "1e30s", "169h", "9223372036854775807ms", "2562047788015h", "604800001ms"}) {
    Result<int64_t> r = ParseDurationMs(bad);
    ASSERT_FALSE(r.ok()) << bad << " -> " << *r;
    EXPECT_NE(r.status().message().find(bad), std::string::npos) << r.status().ToString();
    EXPECT_NE(r.status().message().find("out of range"), std::string::npos)
        << r.status().ToString();
  }
  ExpectError("op_timeout: 9223372036854775807ms\n", {"t.yaml:1", "op_timeout", "out of range"});
  ExpectError("nemesis:\n  schedule:\n    - {at: 1e30s, kind: kill, target: leader}\n",
              {"t.yaml:3", "out of range"});
  TestSpec spec;
  SpecOverrides o;
  o.time_limit = "9e18ms";
  Status s = ApplyOverrides(o, &spec);
  EXPECT_NE(s.message().find("--time-limit"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("out of range"), std::string::npos) << s.ToString();
}

TEST(TestSpec, OverridesReplaceFields) {
  Result<TestSpec> r = ParseTestSpec("nemesis:\n  kinds: [kill]\n", "t.yaml");
  ASSERT_TRUE(r.ok());
  SpecOverrides o;
  o.time_limit = "12s";
  o.seed = 99;
  o.nodes = 5;
  o.concurrency = 3;
  o.nemesis = "pause,partition";
  ASSERT_TRUE(ApplyOverrides(o, &*r).ok());
  EXPECT_EQ(r->time_limit_ms, 12000);
  EXPECT_EQ(r->seed, 99u);
  EXPECT_EQ(r->system.nodes, 5);
  EXPECT_EQ(r->concurrency, 3);
  EXPECT_EQ(r->nemesis.kinds, (std::vector<FaultKind>{FaultKind::kPause, FaultKind::kPartition}));
}

TEST(TestSpec, NemesisNoneOverrideClearsFaults) {
  Result<TestSpec> r =
      ParseTestSpec("nemesis:\n  kinds: [kill]\n  schedule:\n    - {at: 1, kind: kill}\n", "t");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  SpecOverrides o;
  o.nemesis = "none";
  ASSERT_TRUE(ApplyOverrides(o, &*r).ok());
  EXPECT_TRUE(r->nemesis.kinds.empty());
  EXPECT_TRUE(r->nemesis.schedule.empty());
}

TEST(TestSpec, BadOverridesNameTheFlag) {
  TestSpec s;
  SpecOverrides o;
  o.nodes = 4;
  Status st = ApplyOverrides(o, &s);
  EXPECT_NE(st.message().find("--nodes"), std::string::npos);
  SpecOverrides o2;
  o2.nemesis = "kill,explode";
  st = ApplyOverrides(o2, &s);
  EXPECT_NE(st.message().find("--nemesis"), std::string::npos);
  SpecOverrides o3;
  o3.time_limit = "later";
  st = ApplyOverrides(o3, &s);
  EXPECT_NE(st.message().find("--time-limit"), std::string::npos);
}

// nemesis.link_delay: a run-long delay on every link under the generated faults; it is a link
// fault (the runner needs the proxy), round-trips, and `--nemesis none` drops it with the rest.
TEST(TestSpec, LinkDelayIsALinkFaultThatRoundTripsAndNemesisNoneDropsIt) {
  Result<TestSpec> r = ParseTestSpec(
      "nemesis: {kinds: [kill], interval: 400ms, duration: 300ms, link_delay: 40ms}\n", "s.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->nemesis.link_delay_ms, 40);
  EXPECT_TRUE(SpecHasFault(*r, IsLinkFault));
  Result<TestSpec> back = ParseTestSpec(SpecToYaml(*r), "back.yaml");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->nemesis.link_delay_ms, 40);
  ExpectError("nemesis: {link_delay: soon}\n", {"nemesis.link_delay", "bad duration"});
  SpecOverrides o;
  o.nemesis = "none";
  ASSERT_TRUE(ApplyOverrides(o, &*r).ok());
  EXPECT_EQ(r->nemesis.link_delay_ms, 0);
  EXPECT_FALSE(SpecHasFault(*r, IsLinkFault));
}

TEST(TestSpec, IntervalJitterParsesRoundTripsAndRejectsBadValues) {
  Result<TestSpec> r = ParseTestSpec(
      "nemesis: {kinds: [kill], interval: 300ms, interval_jitter: 200ms, duration: 400ms}\n",
      "s.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->nemesis.interval_jitter_ms, 200);
  Result<TestSpec> back = ParseTestSpec(SpecToYaml(*r), "back.yaml");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->nemesis.interval_jitter_ms, 200);
  ExpectError("nemesis: {interval_jitter: soon}\n", {"nemesis.interval_jitter", "bad duration"});
  ExpectError("nemesis: {interval_jitter: -5ms}\n", {"nemesis.interval_jitter"});
}

TEST(TestSpec, EffectiveSpecRoundTripsThroughYaml) {
  Result<TestSpec> r = LoadTestSpec(std::string(FAULTLINE_SOURCE_DIR) + "/workloads/quick.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  SpecOverrides o;
  o.time_limit = "12s";
  o.seed = 5;
  ASSERT_TRUE(ApplyOverrides(o, &*r).ok());
  r->system.options["extra_flags"] = SystemOption{{"--log-level", "debug"}, true, 0};
  r->nemesis.schedule[1].fault.target = {TargetKind::kExplicit, {1, 3}};
  std::string yaml = SpecToYaml(*r);
  Result<TestSpec> back = ParseTestSpec(yaml, "stored");
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << yaml;
  EXPECT_EQ(back->name, "quick");
  EXPECT_EQ(back->time_limit_ms, 12000);
  EXPECT_EQ(back->seed, 5u);
  EXPECT_EQ(back->system.options.at("extra_flags").values,
            r->system.options.at("extra_flags").values);
  EXPECT_EQ(back->system.kind, "zabd");
  EXPECT_EQ(back->concurrency, r->concurrency);
  EXPECT_DOUBLE_EQ(back->workload.cas_weight, r->workload.cas_weight);
  ASSERT_EQ(back->nemesis.schedule.size(), r->nemesis.schedule.size());
  EXPECT_EQ(TargetText(back->nemesis.schedule[1].fault.target), "1,3");
  EXPECT_EQ(back->nemesis.schedule[2].fault, r->nemesis.schedule[2].fault);
  EXPECT_EQ(back->nemesis.schedule[2].duration_ms, r->nemesis.schedule[2].duration_ms);
  EXPECT_EQ(back->net, r->net);
}

TEST(TestSpec, ShippedWorkloadsAllParse) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(FAULTLINE_SOURCE_DIR) / "workloads";
  int count = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    // detection*.yaml are matrix files, not suites (harness/matrix/matrix_test checks them).
    if (entry.path().stem().string().rfind("detection", 0) == 0) continue;
    // *-suite.yaml are suite files (harness/suite/suite_plan_test checks the shipped one).
    const std::string stem = entry.path().stem().string();
    if (stem.size() > 6 && stem.compare(stem.size() - 6, 6, "-suite") == 0) continue;
    Result<TestSpec> r = LoadTestSpec(entry.path().string());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    ++count;
  }
  EXPECT_GE(count, 1) << "no workloads/*.yaml shipped";
}

}  // namespace
}  // namespace faultline::harness
