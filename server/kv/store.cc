#include "server/kv/store.h"

#include <cassert>

#include "server/kv/bytes.h"

namespace kv {
namespace {

constexpr std::string_view kMagic = "ZKV";
constexpr uint8_t kFormatVersion = 1;

void EncodeEntries(const std::map<std::string, Entry, std::less<>>& map, uint64_t last_zxid,
                   std::string* out) {
  Writer w(out);
  w.U64(last_zxid);
  w.U64(map.size());
  for (const auto& [key, e] : map) {
    w.Str(key);
    w.Str(e.value);
    w.U64(e.version);
    w.U64(e.zxid);
  }
}

// One entry's contribution to Digest(): a hash of everything the entry holds, finalized so the
// XOR of many stays well mixed (splitmix64's finalizer).
// The little-endian bytes Writer::U64 would write for each of `values`, on the stack: the digest
// is computed on every Apply and stamps every `committed` event, so it allocates nothing.
template <std::size_t N>
uint64_t Fnv1a64OfU64s(const uint64_t (&values)[N]) {
  char bytes[8 * N];
  for (std::size_t v = 0; v < N; ++v) {
    for (int i = 0; i < 8; ++i) bytes[8 * v + i] = static_cast<char>((values[v] >> (8 * i)) & 0xff);
  }
  return Fnv1a64(std::string_view(bytes, sizeof(bytes)));
}

uint64_t EntryHash(std::string_view key, const Entry& e) {
  const uint64_t fixed[] = {key.size(), e.version, e.zxid};
  uint64_t h = Fnv1a64(e.value, Fnv1a64(key, Fnv1a64OfU64s(fixed)));
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

}  // namespace

ApplyResult Store::Apply(const Op& op, uint64_t zxid) {
  // Every replica applies committed txns strictly in zxid order (zab.md 7.3 rule 8).
  assert(zxid > last_zxid_ && "kv::Store::Apply out of zxid order");
  last_zxid_ = zxid;
  ApplyResult r;
  switch (op.type) {
    case OpType::kSet: {
      auto [it, inserted] = map_.try_emplace(op.key);
      if (!inserted) entries_hash_ ^= EntryHash(it->first, it->second);
      it->second.value = op.value;
      it->second.version = inserted ? 1 : it->second.version + 1;
      it->second.zxid = zxid;
      entries_hash_ ^= EntryHash(it->first, it->second);
      r.applied = true;
      break;
    }
    case OpType::kDel: {
      auto it = map_.find(op.key);
      r.applied = it != map_.end();
      if (r.applied) {
        entries_hash_ ^= EntryHash(it->first, it->second);
        map_.erase(it);
      }
      break;
    }
    case OpType::kCas: {
      auto it = map_.find(op.key);
      if (it == map_.end() || it->second.value != op.expected) {
        r.applied = false;
      } else {
        entries_hash_ ^= EntryHash(it->first, it->second);
        it->second.value = op.value;
        it->second.version += 1;
        it->second.zxid = zxid;
        entries_hash_ ^= EntryHash(it->first, it->second);
        r.applied = true;
      }
      break;
    }
  }
  return r;
}

std::optional<Entry> Store::Get(std::string_view key) const {
  auto it = map_.find(key);
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

std::string Store::Serialize() const {
  std::string out(kMagic);
  out.push_back(static_cast<char>(kFormatVersion));
  EncodeEntries(map_, last_zxid_, &out);
  Writer(&out).U64(Fnv1a64(out));
  return out;
}

faultline::Result<Store> Store::Deserialize(std::string_view bytes) {
  using faultline::Status;
  if (bytes.size() < kMagic.size() + 1 + 8 + 8 + 8) {
    return Status::Corruption("kv snapshot: short (" + std::to_string(bytes.size()) + " bytes)");
  }
  if (bytes.substr(0, kMagic.size()) != kMagic) return Status::Corruption("kv snapshot: bad magic");
  if (static_cast<uint8_t>(bytes[kMagic.size()]) != kFormatVersion) {
    return Status::Corruption("kv snapshot: unknown format version " +
                              std::to_string(static_cast<uint8_t>(bytes[kMagic.size()])));
  }
  std::string_view body = bytes.substr(0, bytes.size() - 8);
  uint64_t sum = 0;
  Reader(bytes.substr(bytes.size() - 8)).U64(&sum);
  if (sum != Fnv1a64(body)) return Status::Corruption("kv snapshot: bad checksum");

  Reader r(body.substr(kMagic.size() + 1));
  Store s;
  uint64_t count = 0;
  if (!r.U64(&s.last_zxid_) || !r.U64(&count)) return Status::Corruption("kv snapshot: header");
  for (uint64_t i = 0; i < count; ++i) {
    std::string key;
    Entry e;
    if (!r.Str(&key) || !r.Str(&e.value) || !r.U64(&e.version) || !r.U64(&e.zxid)) {
      return Status::Corruption("kv snapshot: entry " + std::to_string(i) + " at offset " +
                                std::to_string(r.pos()));
    }
    // Keys are written in order; an unsorted or duplicate key means a forged body.
    if (!s.map_.empty() && !(s.map_.rbegin()->first < key)) {
      return Status::Corruption("kv snapshot: keys out of order at entry " + std::to_string(i));
    }
    s.entries_hash_ ^= EntryHash(key, e);
    s.map_.emplace_hint(s.map_.end(), std::move(key), std::move(e));
  }
  if (r.remaining() != 0) return Status::Corruption("kv snapshot: trailing bytes");
  return s;
}

uint64_t Store::Digest() const {
  const uint64_t fields[] = {last_zxid_, map_.size(), entries_hash_};
  return Fnv1a64OfU64s(fields);
}

}  // namespace kv
