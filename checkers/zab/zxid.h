// zxid helpers shared by the durability and ZAB checkers: zxid = epoch << 32 | counter.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>

namespace faultline::checkers {

// The zxid of txn `counter` of `epoch`.
constexpr int64_t MakeZxid(int64_t epoch, int64_t counter) { return (epoch << 32) | counter; }

inline std::string ZxidString(int64_t z) {
  return fmt::format("0x{:x} (epoch {}, counter {})", z, z >> 32, z & 0xffffffff);
}

}  // namespace faultline::checkers
