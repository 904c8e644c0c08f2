// Phase 1: Discovery (zab.md 4): the epoch a prospective leader proposes.
#include <gtest/gtest.h>

#include "server/core/testing/cluster.h"
#include "server/core/testing/lone_peer.h"

namespace zab {
namespace {

using testing::Cluster;
using testing::EventsOf;
using testing::HasStorage;
using testing::LonePeer;
using testing::MakeDisk;
using testing::MessagesOf;

// Leader step 2, getEpochToPropose: e' = max(acceptedEpoch of the leader and every learner in
// the deciding quorum) + 1. Node 3 leads with acceptedEpoch 2; node 1 promised epoch 5 to a
// prospective leader that failed, node 2 promised nothing new.
TEST(ZabDiscovery, TheNewEpochIsOneAboveTheHighestAcceptedEpochOfTheQuorum) {
  Recovered r;
  r.accepted_epoch = Epoch{2};
  r.current_epoch = Epoch{2};
  LonePeer p(3, 5, r);
  for (uint64_t s : {1, 2, 4, 5}) {
    p.Receive(s, Vote{Epoch{}, PeerState::kLooking, PeerId{3}, Zxid{}, 1, Epoch{2}});
  }
  p.Advance(60);
  ASSERT_EQ(p.peer().status().role, Role::kLeading);
  p.Receive(1, FollowerInfo{Epoch{5}});
  Output out = p.Receive(2, FollowerInfo{Epoch{0}});  // leader + 2 learners: a quorum of 5
  ASSERT_TRUE(HasStorage<WriteAcceptedEpoch>(out));
  auto infos = MessagesOf<LeaderInfo>(out);
  ASSERT_EQ(infos.size(), 2u);
  for (const LeaderInfo& li : infos) EXPECT_EQ(li.epoch, Epoch{6});
  EXPECT_EQ(p.peer().status().accepted_epoch, Epoch{6});
  // After the decision a late learner gets the fixed epoch, without a bump.
  out = p.Receive(4, FollowerInfo{Epoch{1}});
  ASSERT_EQ(MessagesOf<LeaderInfo>(out).size(), 1u);
  EXPECT_EQ(MessagesOf<LeaderInfo>(out)[0].epoch, Epoch{6});
  EXPECT_FALSE(HasStorage<WriteAcceptedEpoch>(out));
}

// The same through the whole cluster: the followers' promise of epoch 5 is honoured on the
// first try (no LEADERINFO below their acceptedEpoch, so no one goes back to LOOKING and no
// init_limit round is lost). Leader 3 wins FLE on its longer log.
TEST(ZabDiscovery, FollowersThatPromisedAHigherEpochJoinTheFirstEpochTheLeaderProposes) {
  Cluster c({MakeDisk(5, 1, {{1, 1}}), MakeDisk(5, 1, {{1, 1}}), MakeDisk(1, 1, {{1, 1}, {1, 2}})});
  ASSERT_TRUE(c.RunUntil([&] { return c.Leader().has_value(); }, 5000));
  EXPECT_EQ(*c.Leader(), 3u);
  EXPECT_EQ(c.peer(3).status().current_epoch, Epoch{6});
  for (uint64_t id = 1; id <= 3; ++id) {
    EXPECT_TRUE(EventsOf(c, id, "step_down").empty()) << "node " << id << " stepped down";
    EXPECT_EQ(EventsOf(c, id, "elected").size(), 1u) << "node " << id << " ran a second election";
  }
}

}  // namespace
}  // namespace zab
