// Snapshot encoding: see snapshot_format.h.
#include "server/storage/snapshot_format.h"

#include "server/storage/log_format.h"

namespace storage {
namespace {

constexpr std::string_view kMagic = "FLSNAP01";
constexpr size_t kHeaderBytes = 8 + 8 + 8 + 4;

void PutLe(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t GetLe(std::string_view in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(in[at + i]);
  return v;
}

}  // namespace

std::string EncodeSnapshot(uint64_t zxid, std::string_view state) {
  std::string out(kMagic);
  PutLe(&out, zxid, 8);
  PutLe(&out, state.size(), 8);
  PutLe(&out, Crc32c(std::string_view(out).substr(8, 16), state), 4);
  out.append(state);
  return out;
}

std::string DecodeSnapshot(std::string_view file, uint64_t expected_zxid, uint64_t* zxid,
                           std::string* state) {
  if (file.size() < kHeaderBytes) {
    return "short file (" + std::to_string(file.size()) + " bytes, header needs " +
           std::to_string(kHeaderBytes) + ")";
  }
  if (file.substr(0, 8) != kMagic) return "bad magic at offset 0";
  uint64_t z = GetLe(file, 8, 8);
  uint64_t length = GetLe(file, 16, 8);
  uint32_t crc = static_cast<uint32_t>(GetLe(file, 24, 4));
  if (length != file.size() - kHeaderBytes) {
    return "state length " + std::to_string(length) + " at offset 16 does not match the file (" +
           std::to_string(file.size() - kHeaderBytes) + " bytes after the header)";
  }
  if (Crc32c(file.substr(8, 16), file.substr(kHeaderBytes)) != crc)
    return "bad checksum (header at offset 24)";
  if (z != expected_zxid) {
    return "header zxid " + ZxidHex(z) + " does not match the file name " + ZxidHex(expected_zxid);
  }
  *zxid = z;
  state->assign(file.substr(kHeaderBytes));
  return "";
}

}  // namespace storage
