// Text helpers shared by the ZooKeeper log importer's files (not a public interface).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace faultline::harness::zookeeper {

// True when the line starts like a record ("2026-"), even if the rest does not parse.
bool StartsWithTimestamp(std::string_view line);
// The hex number right after `key` ("0x" prefix optional), e.g. HexAfter(m, "peerLastZxid=").
std::optional<int64_t> HexAfter(std::string_view text, std::string_view key);
// The decimal number right after `key`.
std::optional<int64_t> IntAfter(std::string_view text, std::string_view key);

}  // namespace faultline::harness::zookeeper
