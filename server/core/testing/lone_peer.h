// A single zab::Peer driven by hand (unit tests that script exact message sequences).
#pragma once

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "server/core/peer.h"

namespace zab::testing {

// The stall guard is off by default: scripted tests jump the clock in one Tick.
inline Config LoneConfig(uint64_t self, size_t n, std::set<std::string> faults = {},
                         bool stall_guard = false) {
  Config c;
  c.self = PeerId{self};
  c.stall_guard = stall_guard;
  c.faults = std::move(faults);
  for (size_t i = 1; i <= n; ++i) c.voters.push_back(PeerId{i});
  return c;
}

class LonePeer {
 public:
  // `faults`: named fault points (peer.h KnownFaults), none by default.
  LonePeer(uint64_t self, size_t n, Recovered r = {}, uint64_t now_ms = 1000,
           std::set<std::string> faults = {}, bool stall_guard = false)
      : now_ms_(now_ms),
        peer_(LoneConfig(self, n, std::move(faults), stall_guard), std::move(r), now_ms),
        self_(self),
        n_(n) {
    last_ = peer_.Step(Tick{now_ms_});
  }
  // Stamped with the current (last Tick's) time.
  Output Receive(uint64_t from, Message m) { return ReceiveAt(now_ms_, from, std::move(m)); }
  // Read at `now_ms` (later than the last Tick: e.g. the first input after a stall).
  Output ReceiveAt(uint64_t now_ms, uint64_t from, Message m) {
    now_ms_ = std::max(now_ms_, now_ms);
    return last_ = peer_.Step(zab::Receive{PeerId{from}, std::move(m), now_ms});
  }
  Output TickTo(uint64_t now_ms) {
    now_ms_ = now_ms;
    return last_ = peer_.Step(Tick{now_ms});
  }
  Output Advance(uint64_t ms) { return TickTo(now_ms_ + ms); }
  Output Step(const Input& in) { return last_ = peer_.Step(in); }
  Peer& peer() { return peer_; }
  uint64_t now_ms() const { return now_ms_; }
  const Output& last() const { return last_; }

  // Makes this peer decide that `leader` won FLE: every other voter sends a LOOKING vote for it
  // in round `round` (zxid/epoch must beat this peer's own vote), then finalizeWait elapses.
  // Returns the outputs of the deciding tick.
  Output ElectLeader(uint64_t leader, Zxid zxid, Epoch epoch, uint64_t round = 1) {
    for (uint64_t p = 1; p <= n_; ++p) {
      if (p != self_)
        Receive(p, Vote{epoch, PeerState::kLooking, PeerId{leader}, zxid, round, epoch});
    }
    return Advance(100);
  }
  uint64_t self() const { return self_; }

 private:
  uint64_t now_ms_;
  Peer peer_;
  Output last_;
  uint64_t self_;
  size_t n_;
};

template <class T>
std::vector<T> MessagesOf(const Output& out) {
  std::vector<T> r;
  for (const Envelope& e : out.messages) {
    if (const auto* m = std::get_if<T>(&e.message)) r.push_back(*m);
  }
  return r;
}

template <class T>
bool HasStorage(const Output& out) {
  return std::any_of(out.storage.begin(), out.storage.end(),
                     [](const StorageOp& op) { return std::holds_alternative<T>(op); });
}

inline bool HasEvent(const Output& out, const std::string& type) {
  return std::any_of(out.events.begin(), out.events.end(),
                     [&](const Event& e) { return e.type == type; });
}

}  // namespace zab::testing

namespace zab::testing {

// Drives a lone follower (self 1 of 3) through FLE, discovery and an empty DIFF sync with leader
// 3 into BROADCAST of epoch 1.
inline void FollowLeader3IntoBroadcast(LonePeer& p) {
  p.ElectLeader(3, Zxid{}, Epoch{});
  p.Receive(3, LeaderInfo{Epoch{1}});
  p.Receive(3, Diff{Epoch{1}, Zxid{}});
  p.Receive(3, NewLeader{Epoch{1}, Zxid{}});
  p.Receive(3, UpToDate{Epoch{1}});
}

// Drives a lone leader (self 3 of 3) through FLE, discovery and sync of followers 1 and 2 (both
// empty) into BROADCAST of epoch 1.
inline void LeadIntoBroadcast(LonePeer& p) {
  p.Receive(2, Vote{Epoch{}, PeerState::kLooking, PeerId{3}, Zxid{}, 1, Epoch{}});
  p.Advance(60);
  p.Receive(1, FollowerInfo{Epoch{}});
  p.Receive(2, FollowerInfo{Epoch{}});
  p.Receive(1, AckEpoch{Epoch{1}, 0, Zxid{}, Zxid{}});
  p.Receive(2, AckEpoch{Epoch{1}, 0, Zxid{}, Zxid{}});
  p.Receive(1, Ack{Epoch{1}, Zxid::Make(Epoch{1}, 0)});
  p.Receive(2, Ack{Epoch{1}, Zxid::Make(Epoch{1}, 0)});
}

// Drives a lone leader (self 3 of 3, started from its own recovered disk) through FLE and
// discovery; followers 1 and 2 report (last zxid, currentEpoch) in ACKEPOCH. Returns the
// `sync_decision` event for follower 1 (type "" if none). For decision-table rows whose inputs
// no real disk can produce (a same-epoch hole in the leader's log, a peer at an epoch marker):
// real storage refuses such disks, so these rows are driven through the core alone.
inline Event SyncDecisionForFollower1(LonePeer& p, Zxid p1, Epoch current1, Zxid p2,
                                      Epoch current2) {
  const Status st = p.peer().status();
  for (uint64_t f : {1, 2}) {
    p.Receive(f,
              Vote{Epoch{}, PeerState::kLooking, PeerId{3}, st.last_logged, 1, st.current_epoch});
  }
  p.Advance(100);
  Output info = p.Receive(1, FollowerInfo{st.accepted_epoch});
  p.Receive(2, FollowerInfo{st.accepted_epoch});
  Epoch e;
  for (const LeaderInfo& li : MessagesOf<LeaderInfo>(info)) e = li.epoch;
  for (const Envelope& env : p.last().messages) {
    if (const auto* li = std::get_if<LeaderInfo>(&env.message)) e = li->epoch;
  }
  std::vector<Event> events;
  auto keep = [&](const Output& out) {
    events.insert(events.end(), out.events.begin(), out.events.end());
  };
  keep(p.Receive(1, AckEpoch{e, static_cast<int64_t>(current1.value), p1, Zxid{}}));
  keep(p.Receive(2, AckEpoch{e, static_cast<int64_t>(current2.value), p2, Zxid{}}));
  for (const Event& ev : events) {
    if (ev.type != "sync_decision") continue;
    for (const auto& [k, v] : ev.fields) {
      if (k == "peer" && std::holds_alternative<uint64_t>(v) && std::get<uint64_t>(v) == 1) {
        return ev;
      }
    }
  }
  return Event{};
}

}  // namespace zab::testing
