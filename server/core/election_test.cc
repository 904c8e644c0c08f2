// Phase 0: Fast Leader Election (zab.md 3).
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "server/core/testing/cluster.h"
#include "server/core/testing/lone_peer.h"

namespace zab {
namespace {

using testing::Cluster;
using testing::EventsOf;
using testing::HasEvent;
using testing::LonePeer;
using testing::MakeDisk;
using testing::MessagesOf;

uint64_t ElectedLeader(Cluster& c) {
  EXPECT_TRUE(c.RunUntil([&] { return c.Leader().has_value(); }, 5000));
  return c.Leader().value_or(0);
}

TEST(ZabElection, CurrentEpochIsComparedBeforeTheLastZxid) {
  Cluster c({MakeDisk(2, 2, {{1, 1}}), MakeDisk(1, 1, {{1, 1}, {1, 2}, {1, 3}}),
             MakeDisk(1, 1, {{1, 1}, {1, 2}, {1, 3}})});
  EXPECT_EQ(ElectedLeader(c), 1u);
}

TEST(ZabElection, EqualEpochsAreDecidedByTheLastLoggedZxid) {
  Cluster c({MakeDisk(1, 1, {{1, 1}, {1, 2}, {1, 3}}), MakeDisk(1, 1, {{1, 1}}),
             MakeDisk(1, 1, {{1, 1}, {1, 2}})});
  EXPECT_EQ(ElectedLeader(c), 1u);
}

TEST(ZabElection, EqualEpochAndZxidAreDecidedByTheHighestSid) {
  Cluster c(5);
  EXPECT_EQ(ElectedLeader(c), 5u);
}

// Peer::Recycle (issue 12: no allocation per Step): an Output handed back is emptied before the
// core fills it again, so a peer that recycles every Output steps exactly as one that does not.
TEST(ZabPeer, ARecycledOutputIsEmptiedBeforeTheCoreFillsItAgain) {
  LonePeer plain(1, 3), recycling(1, 3);
  auto shape = [](const Output& o) {
    std::vector<std::string> s;
    for (const Envelope& e : o.messages) s.push_back("to " + std::to_string(e.to.value));
    for (const Event& e : o.events) s.push_back(e.type);
    s.push_back(std::to_string(o.storage.size()) + " storage ops");
    s.push_back(std::to_string(o.replies.size()) + " replies");
    return s;
  };
  ASSERT_FALSE(recycling.last().messages.empty()) << "the first Step sends the first votes";
  recycling.peer().Recycle(Output(recycling.last()));
  const Vote for3{Epoch{}, PeerState::kLooking, PeerId{3}, Zxid{}, 1, Epoch{}};
  std::vector<std::function<Output(LonePeer&)>> steps = {
      [&](LonePeer& p) { return p.Receive(2, for3); },
      [&](LonePeer& p) { return p.Advance(50); },  // finalizeWait: follows 3, FOLLOWERINFO
      [&](LonePeer& p) { return p.Advance(10); },
  };
  for (std::size_t i = 0; i < steps.size(); ++i) {
    Output a = steps[i](plain);
    Output b = steps[i](recycling);
    EXPECT_EQ(shape(a), shape(b)) << "step " << i;
    recycling.peer().Recycle(std::move(b));
  }
  EXPECT_EQ(recycling.peer().status().role, Role::kFollowing);
}

TEST(ZabElection, DecisionWaitsForFinalizeWaitAfterAQuorumAgrees) {
  LonePeer p(1, 3);
  p.Receive(2, Vote{Epoch{}, PeerState::kLooking, PeerId{3}, Zxid{}, 1, Epoch{}});
  EXPECT_EQ(p.peer().status().role, Role::kLooking) << "a quorum agrees, but finalizeWait runs";
  p.Advance(49);
  EXPECT_EQ(p.peer().status().role, Role::kLooking);
  Output out = p.Advance(1);
  EXPECT_EQ(p.peer().status().role, Role::kFollowing);
  ASSERT_EQ(MessagesOf<FollowerInfo>(out).size(), 1u);
  EXPECT_EQ(out.messages[0].to, PeerId{3});
}

TEST(ZabElection, OnceEveryVoterAgreesTheDecisionIsTakenWithoutFinalizeWait) {
  LonePeer p(1, 3);
  p.Receive(2, Vote{Epoch{}, PeerState::kLooking, PeerId{3}, Zxid{}, 1, Epoch{}});
  EXPECT_EQ(p.peer().status().role, Role::kLooking) << "a quorum only: finalizeWait runs";
  Output out = p.Receive(3, Vote{Epoch{}, PeerState::kLooking, PeerId{3}, Zxid{}, 1, Epoch{}});
  EXPECT_EQ(p.peer().status().role, Role::kFollowing) << "all three agree: no better vote exists";
  ASSERT_EQ(MessagesOf<FollowerInfo>(out).size(), 1u);
}

TEST(ZabElection, ALookingPeerThatSendsAWorseVoteInMyRoundGetsMineBack) {
  LonePeer p(3, 3);
  p.TickTo(1500);  // past the first resend: only the reply can carry the vote now
  Output out = p.Receive(1, Vote{Epoch{}, PeerState::kLooking, PeerId{1}, Zxid{}, 1, Epoch{}});
  auto votes = MessagesOf<Vote>(out);
  ASSERT_EQ(votes.size(), 1u);
  EXPECT_EQ(out.messages[0].to, PeerId{1});
  EXPECT_EQ(votes[0].leader, PeerId{3});
  EXPECT_EQ(votes[0].round, 1u);
  // An equal vote gets no reply (no ping-pong).
  EXPECT_TRUE(MessagesOf<Vote>(
                  p.Receive(2, Vote{Epoch{}, PeerState::kLooking, PeerId{3}, Zxid{}, 1, Epoch{}}))
                  .empty());
}

TEST(ZabElection, ALinkThatComesUpGetsTheCurrentVoteAtOnce) {
  LonePeer p(1, 3);
  p.Receive(3, Vote{Epoch{}, PeerState::kLooking, PeerId{3}, Zxid{}, 1, Epoch{}});
  Output out = p.Step(PeerConnected{PeerId{2}});
  auto votes = MessagesOf<Vote>(out);
  ASSERT_EQ(votes.size(), 1u);
  EXPECT_EQ(out.messages[0].to, PeerId{2});
  EXPECT_EQ(votes[0].leader, PeerId{3});
}

TEST(ZabElection, AFollowerResendsFollowerInfoWhenItsLeaderAnnouncesItLeadsOrItsLinkComesUp) {
  LonePeer p(1, 3);
  p.Receive(2, Vote{Epoch{}, PeerState::kLooking, PeerId{3}, Zxid{}, 1, Epoch{}});
  p.Receive(3, Vote{Epoch{}, PeerState::kLooking, PeerId{3}, Zxid{}, 1, Epoch{}});
  ASSERT_EQ(p.peer().status().role, Role::kFollowing);  // its FOLLOWERINFO reached a LOOKING 3
  Output out = p.Receive(3, Vote{Epoch{}, PeerState::kLeading, PeerId{3}, Zxid{}, 1, Epoch{}});
  ASSERT_EQ(MessagesOf<FollowerInfo>(out).size(), 1u);
  EXPECT_EQ(out.messages[0].to, PeerId{3});
  out = p.Step(PeerConnected{PeerId{3}});
  EXPECT_EQ(MessagesOf<FollowerInfo>(out).size(), 1u);
  EXPECT_TRUE(MessagesOf<FollowerInfo>(p.Step(PeerConnected{PeerId{2}})).empty());
  // After LEADERINFO (out of discovery) neither resends: it would reset the learner.
  p.Receive(3, LeaderInfo{Epoch{1}});
  EXPECT_TRUE(MessagesOf<FollowerInfo>(p.Step(PeerConnected{PeerId{3}})).empty());
  EXPECT_TRUE(MessagesOf<FollowerInfo>(
                  p.Receive(3, Vote{Epoch{}, PeerState::kLeading, PeerId{3}, Zxid{}, 1, Epoch{}}))
                  .empty());
}

TEST(ZabElection, ADecidedPeerSendsItsVoteFirstWhenALinkToAVoterComesUp) {
  // Issue 8, bench/election: node 3 started last; 1 and 2 decided for it, but their votes to it
  // were sent before their links to 3 were up, so 3 decided only at its next resend (a tick).
  LonePeer p(1, 3);
  p.Receive(2, Vote{Epoch{}, PeerState::kLooking, PeerId{3}, Zxid{}, 1, Epoch{}});
  p.Receive(3, Vote{Epoch{}, PeerState::kLooking, PeerId{3}, Zxid{}, 1, Epoch{}});
  ASSERT_EQ(p.peer().status().role, Role::kFollowing);
  Output out = p.Step(PeerConnected{PeerId{3}});
  ASSERT_GE(out.messages.size(), 2u);
  const auto* vote = std::get_if<Vote>(&out.messages[0].message);
  ASSERT_NE(vote, nullptr) << "the vote goes first: a LOOKING 3 drops a FOLLOWERINFO";
  EXPECT_EQ(out.messages[0].to, PeerId{3});
  EXPECT_EQ(vote->state, PeerState::kFollowing);
  EXPECT_EQ(vote->leader, PeerId{3});
  EXPECT_EQ(MessagesOf<FollowerInfo>(out).size(), 1u);
  // The LOOKING side decides from two such votes at once (step 5), no resend needed.
  LonePeer q(3, 3);
  q.Receive(1, Vote{Epoch{}, PeerState::kFollowing, PeerId{3}, Zxid{}, 1, Epoch{}});
  q.Receive(2, Vote{Epoch{}, PeerState::kFollowing, PeerId{3}, Zxid{}, 1, Epoch{}});
  EXPECT_EQ(q.peer().status().role, Role::kLeading);
}

TEST(ZabElection, ANewLeaderAnnouncesItLeadsToEveryVoter) {
  LonePeer p(3, 3);
  p.Receive(1, Vote{Epoch{}, PeerState::kLooking, PeerId{3}, Zxid{}, 1, Epoch{}});
  Output out = p.Receive(2, Vote{Epoch{}, PeerState::kLooking, PeerId{3}, Zxid{}, 1, Epoch{}});
  ASSERT_EQ(p.peer().status().role, Role::kLeading);
  auto votes = MessagesOf<Vote>(out);
  ASSERT_EQ(votes.size(), 2u);
  for (const Vote& v : votes) EXPECT_EQ(v.state, PeerState::kLeading);
}

TEST(ZabElection, ABetterVoteDuringFinalizeWaitCancelsTheDecision) {
  LonePeer p(1, 5);
  p.Receive(2, Vote{Epoch{}, PeerState::kLooking, PeerId{5}, Zxid{}, 1, Epoch{}});
  p.Receive(3, Vote{Epoch{}, PeerState::kLooking, PeerId{5}, Zxid{}, 1, Epoch{}});
  // {1,2,3} agree on 5: finalizeWait runs. Node 4 has a higher zxid and beats that vote.
  p.Receive(4, Vote{Epoch{}, PeerState::kLooking, PeerId{4}, Zxid{0x100000001}, 1, Epoch{}});
  p.Advance(60);
  EXPECT_EQ(p.peer().status().role, Role::kLooking) << "no quorum for (4, 0x100000001) yet";
  p.Receive(2, Vote{Epoch{}, PeerState::kLooking, PeerId{4}, Zxid{0x100000001}, 1, Epoch{}});
  p.Advance(60);
  EXPECT_EQ(p.peer().status().role, Role::kFollowing);
  EXPECT_EQ(MessagesOf<FollowerInfo>(p.last()).size(), 1u);
}

TEST(ZabElection, NotificationsAreResentWithExponentialBackoff) {
  LonePeer p(1, 3);
  std::vector<uint64_t> sent_at;
  uint64_t start = p.now_ms();
  for (uint64_t t = start + 1; t <= start + 1600; ++t) {
    if (!MessagesOf<Vote>(p.TickTo(t)).empty()) sent_at.push_back(t - start);
  }
  // Timeout starts at election_resend_ms_min (50) and doubles.
  EXPECT_EQ(sent_at, (std::vector<uint64_t>{50, 150, 350, 750, 1550}));
}

TEST(ZabElection, ALookingPeerInAnOlderRoundGetsMyVoteBack) {
  LonePeer p(1, 3);
  p.Receive(2, Vote{Epoch{}, PeerState::kLooking, PeerId{2}, Zxid{}, 5, Epoch{}});
  Output out = p.Receive(3, Vote{Epoch{}, PeerState::kLooking, PeerId{3}, Zxid{}, 2, Epoch{}});
  auto votes = MessagesOf<Vote>(out);
  ASSERT_EQ(votes.size(), 1u);
  EXPECT_EQ(out.messages[0].to, PeerId{3});
  EXPECT_EQ(votes[0].round, 5u);
}

TEST(ZabElection, NonLookingServersAnswerALookingPeerWithTheirCurrentVote) {
  Cluster c(3);
  uint64_t l = ElectedLeader(c);
  ASSERT_TRUE(c.RunUntil([&] { return c.peer(1).status().phase == Phase::kBroadcast; }, 3000));
  uint64_t f = l == 1 ? 2 : 1;
  uint64_t other = 6 - l - f;
  Output out = c.Step(f, Receive{PeerId{other}, Vote{Epoch{}, PeerState::kLooking, PeerId{other},
                                                     Zxid{}, 1, Epoch{}}});
  auto votes = MessagesOf<Vote>(out);
  ASSERT_EQ(votes.size(), 1u);
  EXPECT_EQ(votes[0].state, PeerState::kFollowing);
  EXPECT_EQ(votes[0].leader, PeerId{l});
  EXPECT_EQ(votes[0].peer_epoch, c.peer(l).status().current_epoch);
}

TEST(ZabElection, ARestartedNodeJoinsTheEstablishedLeaderWithoutANewEpoch) {
  Cluster c(3);
  uint64_t l = ElectedLeader(c);
  ASSERT_TRUE(c.RunUntil(
      [&] {
        for (uint64_t i = 1; i <= 3; ++i) {
          if (c.peer(i).status().phase != Phase::kBroadcast) return false;
        }
        return true;
      },
      3000));
  Epoch e = c.peer(l).status().current_epoch;
  uint64_t f = l == 1 ? 2 : 1;
  c.Crash(f);
  c.RunFor(200);
  c.Restart(f);
  ASSERT_TRUE(c.RunUntil([&] { return c.peer(f).status().phase == Phase::kBroadcast; }, 3000));
  EXPECT_EQ(c.peer(f).status().leader, PeerId{l});
  EXPECT_EQ(c.peer(f).status().current_epoch, e);
  EXPECT_EQ(EventsOf(c, l, "established").size(), 1u);
}

TEST(ZabElection, CheckLeaderRefusesToFollowALeaderThatIsNotHeardLeading) {
  LonePeer p(1, 5);
  for (uint64_t s : {2, 3, 4}) {
    p.Receive(s, Vote{Epoch{1}, PeerState::kFollowing, PeerId{5}, Zxid{0x100000003}, 7, Epoch{1}});
  }
  EXPECT_EQ(p.peer().status().role, Role::kLooking) << "quorum agrees but 5 is not heard LEADING";
  Output out =
      p.Receive(5, Vote{Epoch{1}, PeerState::kLeading, PeerId{5}, Zxid{0x100000003}, 7, Epoch{1}});
  EXPECT_EQ(p.peer().status().role, Role::kFollowing);
  EXPECT_TRUE(HasEvent(out, "elected"));
  ASSERT_EQ(MessagesOf<FollowerInfo>(out).size(), 1u);
}

TEST(ZabElection, AFollowerRepeatsFollowerInfoUntilLeaderInfoArrives) {
  LonePeer p(1, 3);
  Output out = p.ElectLeader(3, Zxid{}, Epoch{});
  EXPECT_EQ(MessagesOf<FollowerInfo>(out).size(), 1u);
  EXPECT_TRUE(MessagesOf<FollowerInfo>(p.Advance(50)).empty());
  EXPECT_EQ(MessagesOf<FollowerInfo>(p.Advance(50)).size(), 1u) << "one tick later";
  p.Receive(3, LeaderInfo{Epoch{1}});
  EXPECT_TRUE(MessagesOf<FollowerInfo>(p.Advance(100)).empty());
  EXPECT_TRUE(MessagesOf<FollowerInfo>(p.Advance(100)).empty());
}

TEST(ZabElection, TerminationIsNotCommitmentAFollowerReturnsToLookingAfterInitLimit) {
  LonePeer p(1, 3);
  // Every voter's vote is in: the decision is taken on the last one, at t = 1000 (no
  // finalizeWait), and ElectLeader then advances to 1100.
  p.ElectLeader(3, Zxid{}, Epoch{});
  ASSERT_EQ(p.peer().status().role, Role::kFollowing);
  p.Advance(850);
  EXPECT_EQ(p.peer().status().role, Role::kFollowing);
  Output out = p.Advance(100);  // init_limit (10 ticks of 100 ms) after the decision
  EXPECT_EQ(p.peer().status().role, Role::kLooking);
  EXPECT_TRUE(HasEvent(out, "step_down"));
}

TEST(ZabElection, TerminationIsNotCommitmentALeaderWithoutQuorumReturnsToLooking) {
  LonePeer p(3, 3);
  p.Receive(2, Vote{Epoch{}, PeerState::kLooking, PeerId{3}, Zxid{}, 1, Epoch{}});
  p.Advance(60);
  ASSERT_EQ(p.peer().status().role, Role::kLeading);
  EXPECT_EQ(p.peer().status().phase, Phase::kDiscovery);
  p.Advance(1000);
  EXPECT_EQ(p.peer().status().role, Role::kLooking);
}

}  // namespace
}  // namespace zab
