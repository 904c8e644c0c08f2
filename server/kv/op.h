// Replicated key-value operations: the payload of every ZAB transaction.
// Pure data; applying an Op is deterministic on every replica (store.h).
#pragma once

#include <cstdint>
#include <string>

namespace kv {

// Bounds on client input; enforced by the RESP listener before anything reaches the core.
inline constexpr std::size_t kKeyBytesMax = 1024;
inline constexpr std::size_t kValueBytesMax = 1 << 20;  // 1 MiB

enum class OpType : uint8_t {
  kSet = 1,  // key = value
  kDel = 2,  // remove key; result.applied = it existed
  kCas = 3,  // if value(key) == expected then key = value; result.applied = swapped
};

struct Op {
  OpType type = OpType::kSet;
  std::string key;
  std::string value;     // kSet, kCas: the new value
  std::string expected;  // kCas only
  bool operator==(const Op&) const = default;
};

struct ApplyResult {
  bool applied = true;  // kSet: always; kDel: key existed; kCas: swapped
};

}  // namespace kv
