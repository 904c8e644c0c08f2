// Peer messages of ZAB (zab.md section 2) and their wire codec.
//
// The driver treats Message as opaque: it frames EncodeMessage() bytes on the peer link and hands
// DecodeMessage() results to Peer::Step(Receive{...}). Every message carries the sender's epoch
// view so receivers can fence stale leaders (zab.md 7.3 rule 7).
//
// (The message structs below are owned by server/core; see peer.h for the state machine.)
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "common/status.h"
#include "server/core/types.h"

namespace zab {

// --- FILLED IN BY server/core: one struct per message kind (Vote, FollowerInfo, LeaderInfo,
// AckEpoch, Diff, Trunc, Snap, NewLeader, Ack, UpToDate, Proposal, Commit, Ping, Request,
// ReadRequest, ...). Message is a std::variant of them.
struct Vote;  // placeholder until server/core lands its definitions

using Message = std::variant<std::monostate>;

// Wire codec. Encode never fails; Decode returns Corruption naming the message kind and offset
// when the bytes are malformed (unknown kind, short body, impossible length).
std::string EncodeMessage(const Message& m);
faultline::Result<Message> DecodeMessage(std::string_view bytes);

}  // namespace zab
