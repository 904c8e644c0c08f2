#include "server/net/wire.h"

#include <fmt/format.h>

#include <boost/uuid/detail/sha1.hpp>

#include "server/net/limits.h"
#include "server/storage/crc32c.h"

namespace zabd {

namespace {

void PutU16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v));
}
void PutU32(std::string* out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out->push_back(static_cast<char>(v >> s));
}
void PutU64(std::string* out, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out->push_back(static_cast<char>(v >> s));
}
uint64_t GetBE(std::string_view b, std::size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(b[at + i]);
  return v;
}
// CRC32C: the SSE4.2 instruction (crc32c.h), not Boost's byte-table CRC-32, which was a
// leader's hotspot (perf, issue 8): the leader checksums every PROPOSAL once per follower.
uint32_t Crc32(std::string_view bytes) { return storage::Crc32c(bytes); }

}  // namespace

std::string EncodeFrame(std::string_view payload) {
  std::string out;
  out.reserve(8 + payload.size());
  PutU32(&out, static_cast<uint32_t>(payload.size()));
  PutU32(&out, Crc32(payload));
  out.append(payload);
  return out;
}

FrameDecoder::FrameDecoder(std::size_t frame_bytes_max) : frame_bytes_max_(frame_bytes_max) {}

void FrameDecoder::Append(std::string_view bytes) {
  if (offset_ > 0 && offset_ * 2 >= buffer_.size()) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
  buffer_.append(bytes);
}

FrameDecoder::Result FrameDecoder::Next(std::string* payload) {
  if (!error_.empty()) return Result::kError;
  std::string_view rest(buffer_);
  rest.remove_prefix(offset_);
  if (rest.size() < 8) return Result::kNeedMore;
  const uint64_t length = GetBE(rest, 0, 4);
  if (length > frame_bytes_max_) {
    error_ = fmt::format("frame length {} exceeds the bound {}", length, frame_bytes_max_);
    return Result::kError;
  }
  if (rest.size() < 8 + length) return Result::kNeedMore;
  const uint32_t crc = static_cast<uint32_t>(GetBE(rest, 4, 4));
  std::string_view body = rest.substr(8, length);
  if (Crc32(body) != crc) {
    error_ = fmt::format("frame checksum mismatch (length {})", length);
    return Result::kError;
  }
  payload->assign(body);
  offset_ += 8 + length;
  return Result::kFrame;
}

std::string EncodeHello(const Hello& h) {
  std::string out;
  PutU32(&out, kPeerMagic);
  PutU16(&out, kPeerProtocolVersion);
  PutU64(&out, h.listener_id);
  out.append(reinterpret_cast<const char*>(h.nonce.data()), h.nonce.size());
  return out;
}

bool DecodeHello(std::string_view b, Hello* h) {
  if (b.size() != kHelloBytes) return false;
  if (GetBE(b, 0, 4) != kPeerMagic || GetBE(b, 4, 2) != kPeerProtocolVersion) return false;
  h->listener_id = GetBE(b, 6, 8);
  for (std::size_t i = 0; i < h->nonce.size(); ++i) h->nonce[i] = static_cast<uint8_t>(b[14 + i]);
  return true;
}

std::string EncodeAuth(const Auth& a) {
  std::string out;
  PutU32(&out, kPeerMagic);
  PutU16(&out, kPeerProtocolVersion);
  PutU64(&out, a.sender_id);
  PutU64(&out, a.receiver_id);
  out.append(reinterpret_cast<const char*>(a.mac.data()), a.mac.size());
  return out;
}

bool DecodeAuth(std::string_view b, Auth* a) {
  if (b.size() != kAuthBytes) return false;
  if (GetBE(b, 0, 4) != kPeerMagic || GetBE(b, 4, 2) != kPeerProtocolVersion) return false;
  a->sender_id = GetBE(b, 6, 8);
  a->receiver_id = GetBE(b, 14, 8);
  for (std::size_t i = 0; i < a->mac.size(); ++i) a->mac[i] = static_cast<uint8_t>(b[22 + i]);
  return true;
}

namespace {
Mac Sha1(std::string_view a, std::string_view b) {
  boost::uuids::detail::sha1 h;
  h.process_bytes(a.data(), a.size());
  h.process_bytes(b.data(), b.size());
  boost::uuids::detail::sha1::digest_type d;
  h.get_digest(d);
  Mac out;
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 4; ++j) out[i * 4 + j] = static_cast<uint8_t>(d[i] >> (24 - 8 * j));
  }
  return out;
}
}  // namespace

// RFC 2104 with a 64-byte block.
Mac HmacSha1(std::string_view key, std::string_view message) {
  constexpr std::size_t kBlock = 64;
  std::string k(key);
  if (k.size() > kBlock) {
    Mac hashed = Sha1(k, "");
    k.assign(reinterpret_cast<const char*>(hashed.data()), hashed.size());
  }
  k.resize(kBlock, '\0');
  std::string ipad(kBlock, '\0'), opad(kBlock, '\0');
  for (std::size_t i = 0; i < kBlock; ++i) {
    ipad[i] = static_cast<char>(k[i] ^ 0x36);
    opad[i] = static_cast<char>(k[i] ^ 0x5c);
  }
  Mac inner = Sha1(ipad, message);
  return Sha1(opad, std::string_view(reinterpret_cast<const char*>(inner.data()), inner.size()));
}

Mac ComputeAuthMac(std::string_view secret, const Nonce& nonce, uint64_t sender_id,
                   uint64_t receiver_id) {
  std::string msg = "zabd-peer-v1";
  msg.append(reinterpret_cast<const char*>(nonce.data()), nonce.size());
  PutU64(&msg, sender_id);
  PutU64(&msg, receiver_id);
  return HmacSha1(secret, msg);
}

bool MacEquals(const Mac& a, const Mac& b) {
  uint8_t diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= a[i] ^ b[i];
  return diff == 0;
}

}  // namespace zabd
