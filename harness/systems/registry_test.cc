#include "harness/systems/registry.h"

#include <gtest/gtest.h>

namespace faultline::harness {
namespace {

TestSpec Parse(const std::string& yaml) {
  Result<TestSpec> s = ParseTestSpec(yaml, "t.yaml");
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : TestSpec{};
}

void ExpectInvalid(const std::string& yaml, const std::vector<std::string>& parts) {
  Status s = ValidateSystemSpec(Parse(yaml));
  ASSERT_FALSE(s.ok()) << yaml;
  for (const auto& p : parts) EXPECT_NE(s.message().find(p), std::string::npos) << s.message();
}

TEST(Registry, EveryKindHasAReadModeAndAFactory) {
  ASSERT_NE(FindSystemKind("zabd"), nullptr);
  ASSERT_NE(FindSystemKind("fake"), nullptr);
  EXPECT_EQ(FindSystemKind("nope"), nullptr);
  for (const SystemKind& k : SystemKinds()) {
    EXPECT_FALSE(k.read_modes.empty()) << k.name;
    EXPECT_TRUE(k.create) << k.name;
  }
}

TEST(Registry, ASpecWithoutKindIsZabdAndExistingSuitesValidate) {
  TestSpec s = Parse("system: {nodes: 3, read_mode: linearizable, tick_time_ms: 50}\n");
  EXPECT_EQ(s.system.kind, "zabd");
  EXPECT_TRUE(ValidateSystemSpec(s).ok());
}

TEST(Registry, BadSystemSectionsNameTheLineAndTheKey) {
  ExpectInvalid("system:\n  kind: zookeepr\n",
                {"t.yaml:", "system.kind", "unknown system", "zabd"});
  ExpectInvalid("system:\n  nodes: 3\n  nodez: 5\n",
                {"t.yaml:3:", "system.nodez", "unknown key for system zabd", "tick_time_ms"});
  ExpectInvalid("system:\n  read_mode: eventual\n", {"system.read_mode", "linearizable, sync"});
  ExpectInvalid("system:\n  tick_time_ms: 0\n", {"t.yaml:2:", "system.tick_time_ms", "1..10000"});
  ExpectInvalid("system:\n  tick_time_ms: fast\n", {"system.tick_time_ms", "wrong type"});
  ExpectInvalid("system:\n  extra_flags: --x\n", {"system.extra_flags", "expected a list"});
  ExpectInvalid("system:\n  kind: fake\n  tick_time_ms: 5\n", {"unknown key for system fake"});
}

TEST(Registry, MakeSystemBuildsTheKindWithItsDefaultReadMode) {
  Result<std::unique_ptr<System>> s = MakeSystem(Parse("system: {kind: fake}\n"), {});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->Kind(), "fake");
  EXPECT_EQ((*s)->ReadMode(), "linearizable");
  Result<std::unique_ptr<System>> z = MakeSystem(Parse("system: {read_mode: local}\n"), {});
  ASSERT_TRUE(z.ok());
  EXPECT_EQ((*z)->Kind(), "zabd");
  EXPECT_EQ((*z)->ReadMode(), "local");
}

TEST(Registry, OverridingTheKindDropsTheKeysTheNewKindDoesNotTake) {
  TestSpec s = Parse("system: {nodes: 5, read_mode: sync, tick_time_ms: 50}\n");
  Result<std::vector<std::string>> dropped = OverrideSystemKind("fake", &s);
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(*dropped, (std::vector<std::string>{"tick_time_ms", "read_mode sync"}));
  EXPECT_EQ(s.system.kind, "fake");
  EXPECT_EQ(s.system.nodes, 5);
  EXPECT_TRUE(ValidateSystemSpec(s).ok());
  EXPECT_FALSE(OverrideSystemKind("nope", &s).ok());
}

TEST(Registry, SystemSpecificKeysSurviveTheStoredSpecRoundTrip) {
  TestSpec s = Parse("system: {kind: zabd, tick_time_ms: 20, extra_flags: [--fault, zk-1154]}\n");
  Result<TestSpec> back = ParseTestSpec(SpecToYaml(s), "stored");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->system.kind, "zabd");
  EXPECT_EQ(back->system.options.at("tick_time_ms").values, std::vector<std::string>{"20"});
  EXPECT_EQ(back->system.options.at("extra_flags").values,
            (std::vector<std::string>{"--fault", "zk-1154"}));
  EXPECT_TRUE(back->system.options.at("extra_flags").is_list);
}

}  // namespace
}  // namespace faultline::harness
