// The `committed` ranges the runtime writes carry the kv state digest at their `last`
// (node_runtime.h CONTRACT step 4, issue 12): on a simulated 3-node cluster with crashes, every
// node that reports a range ending at a zxid reports the same digest there, and the digest is the
// state the node had then.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

#include "server/core/testing/cluster.h"

namespace runtime {
namespace {

using zab::testing::Cluster;
using zab::testing::EventsOf;
using zab::testing::Field;
using zab::testing::SetOp;

TEST(CommittedDigest, EveryNodeReportsTheSameStateDigestAtTheSameRangeEnd) {
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    Cluster c(3, zab::Config{}, seed);
    c.set_group_commit(seed % 2 == 0);
    std::mt19937_64 rng(seed);
    for (int round = 0; round < 120; ++round) {
      const uint64_t id = 1 + rng() % 3;
      if (!c.up(id)) {
        if (rng() % 3 == 0) c.Restart(id);
      } else if (rng() % 30 == 0) {
        c.Crash(id);
      } else {
        c.Write(id, SetOp("k" + std::to_string(rng() % 5), std::to_string(round)));
      }
      c.RunFor(20);
    }
    for (uint64_t id = 1; id <= 3; ++id) {
      if (!c.up(id)) c.Restart(id);
    }
    ASSERT_TRUE(c.RunUntil([&] { return c.Leader().has_value(); }, 20000));
    c.Write(*c.Leader(), SetOp("final", "x"));
    c.RunFor(2000);
    std::map<uint64_t, std::pair<uint64_t, uint64_t>> at;  // last -> (digest, node)
    size_t with = 0, common = 0;
    for (uint64_t id = 1; id <= 3; ++id) {
      for (const zab::Event& e : EventsOf(c, id, "committed")) {
        if (e.fields.size() < 4 || e.fields[3].first != "digest") continue;
        ++with;
        const uint64_t last = Field(e, "last"), digest = Field(e, "digest");
        auto [it, fresh] = at.emplace(last, std::make_pair(digest, id));
        if (fresh) continue;
        ++common;
        EXPECT_EQ(it->second.first, digest)
            << "seed " << seed << ": nodes " << it->second.second << " and " << id << " differ at "
            << zab::ToHex(zab::Zxid{last});
      }
    }
    EXPECT_GT(with, 50u) << "seed " << seed;
    EXPECT_GT(common, 5u) << "seed " << seed;  // the comparison was not vacuous
    // The newest range end of each live node carries its current state.
    for (uint64_t id = 1; id <= 3; ++id) {
      const auto events = EventsOf(c, id, "committed");
      ASSERT_FALSE(events.empty());
      const zab::Event& e = events.back();
      if (Field(e, "last") == c.peer(id).status().last_applied.value && e.fields.size() == 4) {
        EXPECT_EQ(Field(e, "digest"), c.peer(id).StateDigest()) << "seed " << seed;
      }
    }
  }
}

}  // namespace
}  // namespace runtime
