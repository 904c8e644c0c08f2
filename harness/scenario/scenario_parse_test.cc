#include <gtest/gtest.h>

#include <filesystem>

#include "harness/scenario/scenario.h"

namespace faultline::harness::scenario {
namespace {

Result<Scenario> Parse(const std::string& text) { return ParseScenario(text, "s.yaml"); }

std::string ErrorOf(const std::string& text) {
  Result<Scenario> r = Parse(text);
  EXPECT_FALSE(r.ok()) << "parsed but should not have:\n" << text;
  return r.ok() ? "" : r.status().message();
}

// Found trying `nodes:` twice in a scenario: the first was used and the second ignored.
TEST(ScenarioParse, ARepeatedKeyIsAnErrorNamingBothLines) {
  EXPECT_EQ(ErrorOf("name: x\nnodes: 5\nnodes: 3\nsteps:\n  - heal\n"),
            "s.yaml:3: nodes: repeated key (first on line 2)");
  EXPECT_EQ(ErrorOf("name: x\nsteps:\n  - write: {name: w, key: a, key: b, value: v}\n"),
            "s.yaml:3: steps[0].write.key: repeated key (first on line 3)");
}

TEST(ScenarioParse, FullScenarioParsesEveryStepKind) {
  Result<Scenario> r = Parse(R"(name: all-kinds
question: what happens?
nodes: 5
tick_time_ms: 40
steps:
  - bind: {L: leader, F: "followers[0]"}
  - cut-oneway: {from: L, to: [followers]}
  - write: {name: w1, key: x, value: "1", node: L, wait: false}
  - wait: {until: {node: F, logged: w1}, timeout_ms: 3000}
  - kill: {nodes: minority-with-leader, as: Old}
  - heal
  - wait: {until: {leader-epoch-above: start}}
  - read: {name: r1, key: x, node: highest-zxid, mode: local}
  - cas: {name: c1, key: y, expected: "a", value: "b", node: n2}
  - delay: {from: leader, to: n3, ms: 50}
  - cut: {from: n1}
  - pause: n4
  - resume: n4
  - restart: Old
  - start: all
  - sleep: 10
  - wait: agree
  - wait: {until: {role: leading, node: n1, phase: broadcast}}
  - wait: {until: {node: n2, event: newleader}}
  - expect: {op: w1, outcome: kept}
  - expect: {sync: {node: Old, mode: [TRUNC, SNAP], first: w1, last: w1}}
  - expect: {read: r1, observed: either}
  - expect: linearizable
  - expect: invariants
  - expect: acked-kept
)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Scenario& s = *r;
  EXPECT_EQ(s.nodes, 5);
  EXPECT_EQ(s.tick_time_ms, 40);
  ASSERT_EQ(s.steps.size(), 25u);
  EXPECT_EQ(s.steps[0].kind, StepKind::kBind);
  ASSERT_EQ(s.steps[0].bindings.size(), 2u);
  EXPECT_EQ(s.steps[0].bindings[1].second.terms[0], "followers[0]");
  EXPECT_EQ(s.steps[2].kind, StepKind::kWrite);
  EXPECT_FALSE(s.steps[2].wait);
  EXPECT_EQ(s.steps[2].line, 8);
  EXPECT_EQ(s.steps[3].condition.kind, ConditionKind::kLogged);
  EXPECT_EQ(s.steps[3].timeout_ms, 3000);
  EXPECT_EQ(s.steps[4].bind_as, "Old");
  EXPECT_EQ(s.steps[5].kind, StepKind::kHeal);
  EXPECT_EQ(s.steps[6].condition.epoch, "start");
  EXPECT_EQ(s.steps[7].read_mode, "local");
  EXPECT_EQ(s.steps[8].expected, "a");
  EXPECT_EQ(s.steps[9].delay_ms, 50);
  EXPECT_TRUE(s.steps[10].to.empty());
  EXPECT_EQ(s.steps[16].condition.kind, ConditionKind::kAgree);
  EXPECT_EQ(s.steps[17].condition.phase, "broadcast");
  EXPECT_EQ(s.steps[18].condition.event, "newleader");
  EXPECT_EQ(s.steps[20].expectation.kind, ExpectKind::kSync);
  EXPECT_EQ(s.steps[20].expectation.modes.size(), 2u);
  EXPECT_EQ(s.steps[22].expectation.kind, ExpectKind::kLinearizable);
  EXPECT_EQ(s.steps[24].expectation.kind, ExpectKind::kAckedKept);
  ASSERT_NE(s.FindOp("c1"), nullptr);
  EXPECT_EQ(s.FindOp("c1")->value, "b");
}

TEST(ScenarioParse, WriteValueDefaultsToItsName) {
  Result<Scenario> r = Parse("name: d\nsteps:\n  - write: {name: w7}\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->steps[0].value, "w7");
  EXPECT_EQ(r->steps[0].key, "x");
  EXPECT_EQ(r->steps[0].nodes.terms[0], "leader");
  EXPECT_TRUE(r->steps[0].wait);
}

TEST(ScenarioParse, UnknownStepKindNamesTheStepAndLine) {
  std::string e = ErrorOf("name: d\nsteps:\n  - heal\n  - explode: n1\n");
  EXPECT_NE(e.find("s.yaml:4: step 2 (explode): unknown step kind"), std::string::npos) << e;
}

TEST(ScenarioParse, ZabdFlagsAreOptionalExtraArguments) {
  Result<Scenario> r = Parse("name: d\nsteps:\n  - heal\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->zabd_flags.empty());
  r = Parse("name: d\nzabd_flags: [--fault, zk-1154]\nsteps:\n  - heal\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->zabd_flags, (std::vector<std::string>{"--fault", "zk-1154"}));
  std::string e = ErrorOf("name: d\nzabd_flags: --fault\nsteps:\n  - heal\n");
  EXPECT_NE(e.find("zabd_flags"), std::string::npos) << e;
}

TEST(ScenarioParse, ASystemSectionNamesTheSystemAndItsNodes) {
  Result<Scenario> r =
      Parse("name: d\nsystem: {kind: fake, nodes: 5}\nnet: auto\nsteps:\n  - kill: n5\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->has_system_section);
  EXPECT_EQ(r->system.kind, "fake");
  EXPECT_EQ(r->nodes, 5);  // selectors n1..n5 are valid
  EXPECT_EQ(r->net, NetMode::kAuto);
  EXPECT_FALSE(Parse("name: d\nsteps:\n  - heal\n")->has_system_section);
  EXPECT_EQ(Parse("name: d\nsteps:\n  - heal\n")->net, NetMode::kProxy);
}

TEST(ScenarioParse, TopLevelZabdKeysBesideASystemSectionAreAnError) {
  std::string e = ErrorOf("name: d\nsystem: {kind: zabd}\ntick_time_ms: 20\nsteps:\n  - heal\n");
  EXPECT_NE(e.find("s.yaml:3: tick_time_ms: with a system: section, write it there "
                   "(system.tick_time_ms)"),
            std::string::npos)
      << e;
  e = ErrorOf("name: d\nnet: wifi\nsteps:\n  - heal\n");
  EXPECT_NE(e.find("net: must be proxy, iptables or auto"), std::string::npos) << e;
}

TEST(ScenarioParse, UnknownKeyInAStepIsAnError) {
  std::string e = ErrorOf("name: d\nsteps:\n  - write: {name: w1, valu: 3}\n");
  EXPECT_NE(e.find("step 1 (write): unknown key 'valu'"), std::string::npos) << e;
}

TEST(ScenarioParse, UnboundBindingIsAnError) {
  std::string e = ErrorOf("name: d\nsteps:\n  - kill: Old\n");
  EXPECT_NE(e.find("step 1 (kill): 'Old' is not bound by an earlier step"), std::string::npos) << e;
}

TEST(ScenarioParse, NodeBeyondTheClusterIsAnError) {
  std::string e = ErrorOf("name: d\nnodes: 3\nsteps:\n  - kill: n4\n");
  EXPECT_NE(e.find("'n4': the scenario has 3 nodes"), std::string::npos) << e;
}

TEST(ScenarioParse, BadSelectorIsAnError) {
  std::string e = ErrorOf("name: d\nsteps:\n  - pause: leaderr\n");
  EXPECT_NE(e.find("step 1 (pause): bad node selector 'leaderr'"), std::string::npos) << e;
}

TEST(ScenarioParse, WaitOnAnOpDefinedLaterIsAnError) {
  std::string e = ErrorOf(
      "name: d\nsteps:\n  - wait: {until: {node: n1, logged: w1}}\n  - write: {name: w1}\n");
  EXPECT_NE(e.find("s.yaml:3: step 1 (wait): no op named 'w1' before this step"), std::string::npos)
      << e;
}

TEST(ScenarioParse, WaitWithoutAKnownConditionIsAnError) {
  std::string e = ErrorOf("name: d\nsteps:\n  - wait: {until: {node: n1}}\n");
  EXPECT_NE(e.find("step 1 (wait): until: one of"), std::string::npos) << e;
  e = ErrorOf("name: d\nsteps:\n  - wait: {until: {leader-epoch-above: soon}}\n");
  EXPECT_NE(e.find("must be a number, 'start' or 'current'"), std::string::npos) << e;
}

TEST(ScenarioParse, DuplicateOpNameIsAnError) {
  std::string e = ErrorOf("name: d\nsteps:\n  - write: {name: w1}\n  - read: {name: w1}\n");
  EXPECT_NE(e.find("step 2 (read): op name 'w1' is used twice"), std::string::npos) << e;
}

TEST(ScenarioParse, SameValueWrittenTwiceToAKeyIsAnError) {
  std::string e =
      ErrorOf("name: d\nsteps:\n  - write: {name: a, value: v}\n  - write: {name: b, value: v}\n");
  EXPECT_NE(e.find("step 2 (write): value 'v' is already written to key 'x' by a"),
            std::string::npos)
      << e;
}

TEST(ScenarioParse, KeptExpectationOnAKeyWrittenAgainIsAnError) {
  std::string e = ErrorOf(
      "name: d\nsteps:\n  - write: {name: a}\n  - write: {name: b}\n"
      "  - expect: {op: a, outcome: kept}\n");
  EXPECT_NE(e.find("step 3 (expect): b writes key 'x' again after a"), std::string::npos) << e;
}

TEST(ScenarioParse, BadExpectationsAreErrors) {
  EXPECT_NE(ErrorOf("name: d\nsteps:\n  - write: {name: a}\n"
                    "  - expect: {op: a, outcome: maybe}\n")
                .find("step 2 (expect): outcome: kept, lost or either"),
            std::string::npos);
  EXPECT_NE(ErrorOf("name: d\nsteps:\n  - expect: {sync: {node: n1, mode: COPY}}\n")
                .find("'COPY' is not DIFF, TRUNC, TRUNC+DIFF or SNAP"),
            std::string::npos);
  EXPECT_NE(ErrorOf("name: d\nsteps:\n  - expect: serializable\n")
                .find("step 1 (expect): expected linearizable, invariants, acked-kept"),
            std::string::npos);
}

TEST(ScenarioParse, TopLevelErrorsNameTheKeyAndLine) {
  EXPECT_NE(ErrorOf("name: d\nnodes: 12\nsteps: [heal]\n").find("s.yaml:2: nodes: must be in"),
            std::string::npos);
  EXPECT_NE(ErrorOf("name: d\nstepz: [heal]\n").find("s.yaml:2: stepz: unknown key"),
            std::string::npos);
  EXPECT_NE(ErrorOf("name: d\n").find("steps: required"), std::string::npos);
  EXPECT_NE(ErrorOf("name: d\nsteps: [heal\n").find("s.yaml:"), std::string::npos);
}

TEST(ScenarioParse, EveryShippedScenarioParses) {
  namespace fs = std::filesystem;
  int count = 0;
  for (const auto& entry :
       fs::directory_iterator(fs::path(FAULTLINE_SOURCE_DIR) / "workloads" / "scenarios")) {
    if (entry.path().extension() != ".yaml") continue;
    Result<Scenario> r = LoadScenarioFile(entry.path().string());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    ++count;
  }
  EXPECT_GT(count, 0);
}

}  // namespace
}  // namespace faultline::harness::scenario
