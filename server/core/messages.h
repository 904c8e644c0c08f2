// Peer messages of ZAB (zab.md section 2) and their wire codec.
//
// The driver treats Message as opaque: it frames EncodeMessage() bytes on the peer link and hands
// DecodeMessage() results to Peer::Step(Receive{...}). The sender's sid is NOT in the body: it is
// the authenticated identity of the link (Receive::from), as in ZooKeeper.
//
// Epoch fencing (zab.md 7.3 rule 7): every message carries `epoch`, the sender's epoch view:
//  * leader -> follower messages: the epoch the leader is establishing / running (e');
//  * follower -> leader messages after LEADERINFO: the epoch the follower follows;
//  * FollowerInfo: the follower's acceptedEpoch (its only view before LEADERINFO);
//  * Vote: the sender's currentEpoch.
// Receivers drop any quorum packet whose epoch is not the one of the connection they hold.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "common/status.h"
#include "server/core/types.h"

namespace zab {

// Server state carried in FLE notifications (zab.md 2.1; OBSERVING is not used by zabd).
enum class PeerState : uint8_t { kLooking = 0, kFollowing = 1, kLeading = 2 };

// FLE notification (zab.md 2.1, 3): a vote for `leader` whose last zxid is `zxid` and whose
// currentEpoch is `peer_epoch`, cast in logical-clock round `round` by a sender in `state`.
struct Vote {
  Epoch epoch;  // sender's currentEpoch
  PeerState state = PeerState::kLooking;
  PeerId leader;
  Zxid zxid;
  uint64_t round = 0;  // electionEpoch
  Epoch peer_epoch;
  bool operator==(const Vote&) const = default;
};

// F->L CEPOCH(f.p) (type 11): the follower's acceptedEpoch.
struct FollowerInfo {
  Epoch epoch;  // == accepted_epoch
  bool operator==(const FollowerInfo&) const = default;
};

// L->F NEWEPOCH(e') (type 17).
struct LeaderInfo {
  Epoch epoch;  // the new epoch e'
  bool operator==(const LeaderInfo&) const = default;
};

// F->L ACK-E (type 18): current_epoch is -1 when e' == the follower's acceptedEpoch already
// (it acks an epoch to at most one leader, 7.3 rule 4). last_zxid = last LOGGED zxid (rule 2).
// snapshot_zxid (zabd extension) is the follower's newest durable snapshot: a TRUNC below it
// cannot be executed without resurrecting or losing state (7.3 rule 5), so the leader sends SNAP.
struct AckEpoch {
  Epoch epoch;  // e' being acknowledged
  int64_t current_epoch = -1;
  Zxid last_zxid;
  Zxid snapshot_zxid;
  bool operator==(const AckEpoch&) const = default;
};

// L->F sync mode packets (types 13, 14, 15; zab.md 5.1).
struct Diff {
  Epoch epoch;
  Zxid zxid;  // maxCommittedLog, or the peer's zxid for an empty diff
  bool operator==(const Diff&) const = default;
};
struct Trunc {
  Epoch epoch;
  Zxid zxid;  // truncate the log to this zxid (keep <= zxid)
  bool operator==(const Trunc&) const = default;
};
struct Snap {
  Epoch epoch;
  Zxid zxid;          // the zxid of the serialized state
  std::string state;  // kv::Store::Serialize()
  bool operator==(const Snap&) const = default;
};

// L->F NEWLEADER (type 10): marker after the sync stream; zxid = epoch<<32. `history` (zabd
// extension) is the last committed zxid the stream shipped (the leader's L): everything up to it
// is committed, and the follower must have logged exactly up to it before it may persist
// currentEpoch and ACK (7.3 rule 1). ZooKeeper gets this from TCP never losing a COMMIT.
struct NewLeader {
  Epoch epoch;
  Zxid history;
  bool operator==(const NewLeader&) const = default;
};

// F->L ACK (type 3): of a proposal (cumulative: every logged proposal <= zxid of this epoch), or of
// NEWLEADER / UPTODATE when zxid == epoch<<32.
struct Ack {
  Epoch epoch;
  Zxid zxid;
  bool operator==(const Ack&) const = default;
};

// L->F UPTODATE (type 12): the leader is established; start serving.
struct UpToDate {
  Epoch epoch;
  bool operator==(const UpToDate&) const = default;
};

// L->F PROPOSAL (type 2). `prev` is the zxid of the entry before txn in the leader's history
// (zabd extension, Raft-style): the follower logs txn only if prev is its last logged zxid, so
// a lost packet is detected even across an epoch boundary (7.3 rule 3; zab.md 9b). ZooKeeper
// gets this from TCP; zabd's transport may lose messages when a link breaks.
struct Proposal {
  Epoch epoch;
  Txn txn;
  Zxid prev;
  bool operator==(const Proposal&) const = default;
};

// L->F COMMIT (type 4): commits every logged proposal <= zxid, in zxid order.
struct Commit {
  Epoch epoch;
  Zxid zxid;
  bool operator==(const Commit&) const = default;
};

// L->F PING every tick/2 (type 5): last_committed lets a follower that missed a COMMIT catch up;
// `round` numbers leadership-confirmation rounds for linearizable reads (ReadIndex).
struct Ping {
  Epoch epoch;
  Zxid last_committed;
  uint64_t round = 0;
  bool operator==(const Ping&) const = default;
};

// F->L answer to a Ping: the follower still follows `epoch` (liveness + read confirmation).
// last_logged re-acknowledges (cumulatively) what it has durably logged, so a lost ACK cannot
// stall a commit forever.
struct PingAck {
  Epoch epoch;
  uint64_t round = 0;
  Zxid last_logged;
  bool operator==(const PingAck&) const = default;
};

// F->L REQUEST (type 1): a client write submitted at a follower, forwarded to the leader.
struct Request {
  Epoch epoch;
  Origin origin;
  kv::Op op;
  bool operator==(const Request&) const = default;
};

// L->F: the forwarded write was rejected before any proposal (certainly not applied).
struct RequestReject {
  Epoch epoch;
  uint64_t request_id = 0;
  std::string reason;
  bool operator==(const RequestReject&) const = default;
};

// F->L: a linearizable or sync read submitted at a follower (mode = ReadMode as uint8: 0
// linearizable, 1 sync).
struct ReadRequest {
  Epoch epoch;
  uint64_t request_id = 0;
  uint8_t mode = 0;
  std::string key;
  bool operator==(const ReadRequest&) const = default;
};

// L->F: answer to a ReadRequest. Linearizable: the value read at the leader after a quorum
// confirmed its leadership, from the state at `zxid`. Sync: `zxid` is the leader's lastProposed at
// the time of the sync, now committed; the follower reads locally once it has applied it.
struct ReadReply {
  Epoch epoch;
  uint64_t request_id = 0;
  bool ok = true;  // false: not served (no longer leader, not in broadcast)
  Zxid zxid;
  std::optional<std::string> value;
  bool operator==(const ReadReply&) const = default;
};

using Message = std::variant<Vote, FollowerInfo, LeaderInfo, AckEpoch, Diff, Trunc, Snap, NewLeader,
                             Ack, UpToDate, Proposal, Commit, Ping, PingAck, Request, RequestReject,
                             ReadRequest, ReadReply>;

// Short upper-case name of the message kind ("PROPOSAL"), for logs and errors.
const char* MessageName(const Message& m);

// Wire codec (codec.cc): a 1-byte kind, then the fields little-endian; strings are u32-length
// prefixed. Encode never fails; Decode returns Corruption naming the message kind and offset
// when the bytes are malformed (unknown kind, short body, impossible length, trailing bytes).
// Decode never crashes and never allocates more than the input size on arbitrary bytes.
std::string EncodeMessage(const Message& m);
faultline::Result<Message> DecodeMessage(std::string_view bytes);

}  // namespace zab
