// CRC32C (Castagnoli), reflected: the checksum of txn-log records (log_format.h) and of peer
// frames (server/net/wire.h). SSE4.2's crc32 instruction where the CPU has it, Boost's table
// otherwise. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace storage {

uint32_t Crc32c(std::string_view data);
// CRC32C of a followed by b, without concatenating them.
uint32_t Crc32c(std::string_view a, std::string_view b);
// The portable table-driven computation Crc32c falls back to without SSE4.2 (tests compare).
uint32_t Crc32cTable(std::string_view a, std::string_view b);

}  // namespace storage
