// Peer-link wire format (pure functions; the sockets live in transport.cc).
//
// Frame:  [u32 length][u32 crc32c of the bytes][bytes]   (big-endian; length <= kPeerFrameBytesMax)
//
// Handshake on every directed link A->B (A dialed B's peer port):
//   B -> A  Hello: magic u32, version u16, B's id u64, nonce[16] (fresh random per connection)
//   A -> B  Auth:  magic u32, version u16, A's id u64, B's id u64, mac[20]
//           mac = HMAC-SHA1(secret, "zabd-peer-v1" | nonce | A's id | B's id)
//   B -> A  one byte 'A' when the Auth is verified; A sends frames only after it.
// B refuses (closes) on a wrong magic/version, an id that is not a configured peer, an Auth
// addressed to another node, or a bad mac. The nonce makes a recorded Auth useless on a later
// connection. HMAC is built on Boost's header-only SHA-1 (boost/uuid/detail/sha1.hpp) because no
// crypto library is among zabd's dependencies; HMAC-SHA1 remains a sound MAC. The secret only
// authenticates; peer traffic is not encrypted.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace zabd {

std::string EncodeFrame(std::string_view payload);

class FrameDecoder {
 public:
  enum class Result { kFrame, kNeedMore, kError };
  explicit FrameDecoder(std::size_t frame_bytes_max);
  void Append(std::string_view bytes);
  // kFrame: one payload in *payload. kError (bad length or checksum): the link must be closed.
  Result Next(std::string* payload);
  const std::string& error() const { return error_; }

 private:
  std::size_t frame_bytes_max_;
  std::string buffer_;
  std::size_t offset_ = 0;
  std::string error_;
};

using Nonce = std::array<uint8_t, 16>;
using Mac = std::array<uint8_t, 20>;

inline constexpr std::size_t kHelloBytes = 4 + 2 + 8 + 16;
inline constexpr std::size_t kAuthBytes = 4 + 2 + 8 + 8 + 20;

struct Hello {
  uint64_t listener_id = 0;
  Nonce nonce{};
};
struct Auth {
  uint64_t sender_id = 0;
  uint64_t receiver_id = 0;
  Mac mac{};
};

std::string EncodeHello(const Hello& h);
// false on a wrong size, magic or version.
bool DecodeHello(std::string_view bytes, Hello* h);
std::string EncodeAuth(const Auth& a);
bool DecodeAuth(std::string_view bytes, Auth* a);

Mac HmacSha1(std::string_view key, std::string_view message);
Mac ComputeAuthMac(std::string_view secret, const Nonce& nonce, uint64_t sender_id,
                   uint64_t receiver_id);
bool MacEquals(const Mac& a, const Mac& b);  // constant time

}  // namespace zabd
