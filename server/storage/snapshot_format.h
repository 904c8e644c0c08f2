// The on-disk format of a snapshot file `<dir>/snapshot.<16-hex zxid>` (storage.h layout):
//
//   [8 bytes magic "FLSNAP01"][u64 zxid][u64 state length][u32 crc][state bytes]   (little-endian)
//   crc = CRC32C over the zxid, length and state bytes
//
// The state is opaque to storage (the driver's encoding of the committed kv map). Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace storage {

inline constexpr char kSnapshotPrefix[] = "snapshot.";

std::string EncodeSnapshot(uint64_t zxid, std::string_view state);
// Fills *zxid and *state from a whole file. Returns "" when valid, else what is wrong with it
// (bad magic, short file, bad checksum, zxid not matching `expected_zxid` from the file name).
std::string DecodeSnapshot(std::string_view file, uint64_t expected_zxid, uint64_t* zxid,
                           std::string* state);

}  // namespace storage
