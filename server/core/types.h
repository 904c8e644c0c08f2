// Identifiers and the transaction record of ZAB (zab.md section 1). Strong types, not bare
// integers (STYLE.md, ScyllaDB raft): Epoch, Zxid, PeerId.
#pragma once

#include <compare>
#include <cstdint>
#include <string>

#include "server/kv/op.h"

namespace zab {

struct Epoch {
  uint32_t value = 0;
  auto operator<=>(const Epoch&) const = default;
};

// zxid = epoch << 32 | counter (zab.md 1). Counter 0 is the new-epoch marker, never a txn.
// Counter 0xffffffff is never proposed: the leader abdicates to force a new epoch (ZK-1277).
struct Zxid {
  uint64_t value = 0;
  static constexpr Zxid Make(Epoch e, uint32_t counter) {
    return Zxid{(uint64_t{e.value} << 32) | counter};
  }
  constexpr Epoch epoch() const { return Epoch{static_cast<uint32_t>(value >> 32)}; }
  constexpr uint32_t counter() const { return static_cast<uint32_t>(value & 0xffffffffu); }
  constexpr bool is_epoch_marker() const { return counter() == 0; }
  auto operator<=>(const Zxid&) const = default;
};
inline constexpr uint32_t kCounterMax = 0xfffffffeu;  // last counter a leader may propose

std::string ToHex(Zxid z);  // "0x100000003"

struct PeerId {
  uint64_t value = 0;
  auto operator<=>(const PeerId&) const = default;
};

// Who asked for a write: the node whose client submitted it and that node's request id. A
// follower that forwarded a write completes its client's request when it applies the commit.
// `incarnation` is the now_ms the Peer was constructed with, so a request id reused after a
// restart never matches a txn forwarded by the previous incarnation.
struct Origin {
  PeerId node;
  uint64_t request_id = 0;
  uint64_t incarnation = 0;
  bool operator==(const Origin&) const = default;
};

struct Txn {
  Zxid zxid;
  Origin origin;
  kv::Op op;
  bool operator==(const Txn&) const = default;
};

}  // namespace zab
