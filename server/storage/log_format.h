// The on-disk format of one txn-log record and of a log segment's name (storage.h layout).
//
//   record = [u32 length][u32 crc][u64 zxid][payload: length bytes]    (little-endian)
//   crc    = CRC32C over the 8 zxid bytes followed by the payload
//
// A segment is a file `log.<16 lowercase hex digits of its first zxid>` holding records back to
// back, in strictly increasing zxid order. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "server/storage/crc32c.h"

namespace storage {

inline constexpr size_t kRecordHeaderBytes = 16;
// Bound on one payload; a larger length field is treated as damage, not as a record.
inline constexpr uint32_t kRecordPayloadMax = 64u << 20;

// Appends the encoded record to *out.
void EncodeRecord(uint64_t zxid, std::string_view payload, std::string* out);

// The result of decoding the record that starts at `offset` in a segment's bytes.
struct DecodedRecord {
  enum class Kind {
    kOk,            // a whole record with a good checksum
    kShortHeader,   // fewer than 16 bytes left
    kShortPayload,  // the length runs past the end of the data (or exceeds kRecordPayloadMax)
    kBadChecksum,   // whole, but the crc does not match
  };
  Kind kind = Kind::kOk;
  uint64_t zxid = 0;  // as read from the header (untrustworthy unless kOk)
  std::string_view payload;
  size_t next_offset = 0;  // offset just past this record (kOk and kBadChecksum)
};
DecodedRecord DecodeRecord(std::string_view data, size_t offset);
const char* KindName(DecodedRecord::Kind kind);

// "0000000100000003" and back; file names use these.
std::string Hex16(uint64_t value);
std::optional<uint64_t> ParseHex16(std::string_view digits);
// "0x100000003", the form every error message uses.
std::string ZxidHex(uint64_t zxid);

inline constexpr uint32_t EpochOf(uint64_t zxid) { return static_cast<uint32_t>(zxid >> 32); }
inline constexpr uint32_t CounterOf(uint64_t zxid) { return static_cast<uint32_t>(zxid); }

// Whether `next` may follow `prev` in a log (zab.md 7.3 rule 3): strictly greater, never a
// counter of 0, and within one epoch exactly prev + 1. prev == 0 means "nothing before".
// Returns empty when fine, else why not.
std::string CheckSuccessor(uint64_t prev, uint64_t next);

}  // namespace storage
