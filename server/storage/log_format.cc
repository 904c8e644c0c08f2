// Record encoding and zxid sequencing rules: see log_format.h.
#include "server/storage/log_format.h"

namespace storage {
namespace {

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

uint32_t RecordCrc(uint64_t zxid, std::string_view payload) {
  char zxid_bytes[8];
  for (int i = 0; i < 8; ++i) zxid_bytes[i] = static_cast<char>(zxid >> (8 * i));
  return Crc32c(std::string_view(zxid_bytes, sizeof(zxid_bytes)), payload);
}

}  // namespace

void EncodeRecord(uint64_t zxid, std::string_view payload, std::string* out) {
  out->reserve(out->size() + kRecordHeaderBytes + payload.size());
  PutU32(out, static_cast<uint32_t>(payload.size()));
  PutU32(out, RecordCrc(zxid, payload));
  PutU64(out, zxid);
  out->append(payload);
}

DecodedRecord DecodeRecord(std::string_view data, size_t offset) {
  DecodedRecord r;
  if (data.size() - offset < kRecordHeaderBytes) {
    r.kind = DecodedRecord::Kind::kShortHeader;
    return r;
  }
  const char* p = data.data() + offset;
  uint32_t length = GetU32(p);
  uint32_t crc = GetU32(p + 4);
  r.zxid = GetU64(p + 8);
  if (length > kRecordPayloadMax || data.size() - offset - kRecordHeaderBytes < length) {
    r.kind = DecodedRecord::Kind::kShortPayload;
    return r;
  }
  r.payload = data.substr(offset + kRecordHeaderBytes, length);
  r.next_offset = offset + kRecordHeaderBytes + length;
  r.kind = RecordCrc(r.zxid, r.payload) == crc ? DecodedRecord::Kind::kOk
                                               : DecodedRecord::Kind::kBadChecksum;
  return r;
}

const char* KindName(DecodedRecord::Kind kind) {
  switch (kind) {
    case DecodedRecord::Kind::kOk:
      return "ok";
    case DecodedRecord::Kind::kShortHeader:
      return "short header";
    case DecodedRecord::Kind::kShortPayload:
      return "short payload";
    case DecodedRecord::Kind::kBadChecksum:
      return "bad checksum";
  }
  return "?";
}

std::string Hex16(uint64_t value) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4) s[i] = kDigits[value & 0xf];
  return s;
}

std::optional<uint64_t> ParseHex16(std::string_view digits) {
  if (digits.size() != 16) return std::nullopt;
  uint64_t v = 0;
  for (char c : digits) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return std::nullopt;
    }
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return v;
}

std::string ZxidHex(uint64_t zxid) {
  std::string h = Hex16(zxid);
  size_t first = h.find_first_not_of('0');
  return "0x" + (first == std::string::npos ? std::string("0") : h.substr(first));
}

std::string CheckSuccessor(uint64_t prev, uint64_t next) {
  if (CounterOf(next) == 0) return "zxid " + ZxidHex(next) + " has counter 0 (an epoch marker)";
  if (next <= prev) {
    return "zxid " + ZxidHex(next) + " does not increase (previous " + ZxidHex(prev) + ")";
  }
  if (prev != 0 && EpochOf(next) == EpochOf(prev) && next != prev + 1) {
    return "zxid gap: " + ZxidHex(next) + " follows " + ZxidHex(prev) +
           " in the same epoch (zab.md 7.3 rule 3)";
  }
  return "";
}

}  // namespace storage
