// kv::Store — the replicated state machine of zabd: key -> (value, version, zxid).
//
// Contract:
//  * Apply() is deterministic: the same sequence of (op, zxid) gives the same state, the same
//    ApplyResults and the same Digest() on every replica.
//  * The store holds APPLIED state only (committed txns, zab.md 7.3 rule 5); the ZAB core decides
//    what is committed. last_zxid() is the zxid of the last applied op (0 when empty).
//  * version starts at 1 when a key is created and grows by one on every SET and successful CAS;
//    DEL removes the key (a later SET starts again at version 1). A CAS on an absent key fails.
//  * Serialize() is a versioned binary format ("ZKV" magic, format version, last_zxid, entries in
//    key order, FNV-1a 64 checksum). Deserialize() returns Corruption, never crashes, on any
//    malformed input (wrong magic/version, short body, bad checksum, unsorted keys).
//
// Thread-safety: none.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "server/kv/op.h"

namespace kv {

struct Entry {
  std::string value;
  uint64_t version = 0;
  uint64_t zxid = 0;  // zxid of the last write to this key
  bool operator==(const Entry&) const = default;
};

class Store {
 public:
  Store() = default;

  // Applies `op` as the txn at `zxid` (which must be above last_zxid(); asserted).
  ApplyResult Apply(const Op& op, uint64_t zxid);

  std::optional<Entry> Get(std::string_view key) const;
  size_t size() const { return map_.size(); }
  uint64_t last_zxid() const { return last_zxid_; }

  std::string Serialize() const;
  static faultline::Result<Store> Deserialize(std::string_view bytes);

  // Hash of (last_zxid, every entry); equal digests = equal replicas. O(1): kept up to date by
  // Apply (the XOR of one hash per entry), so it can stamp every `committed` event.
  uint64_t Digest() const;

 private:
  std::map<std::string, Entry, std::less<>> map_;
  uint64_t last_zxid_ = 0;
  uint64_t entries_hash_ = 0;  // XOR of EntryHash over map_
};

}  // namespace kv
