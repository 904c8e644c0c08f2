#include "server/net/wire.h"

#include <gtest/gtest.h>

#include <random>

namespace zabd {
namespace {

std::string Hex(const Mac& m) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t b : m) {
    s.push_back(d[b >> 4]);
    s.push_back(d[b & 15]);
  }
  return s;
}

TEST(WireTest, AFramesChecksumIsCrc32cOfItsBytes) {
  // CRC32C (the SSE4.2 instruction, storage/crc32c.h), not Boost's table CRC-32 (issue 8 perf).
  const std::string frame = EncodeFrame("123456789");
  ASSERT_EQ(frame.size(), 8u + 9u);
  EXPECT_EQ(frame.substr(0, 8), std::string("\x00\x00\x00\x09\xE3\x06\x92\x83", 8));
}

TEST(WireTest, HmacSha1MatchesRfc2202Vectors) {
  EXPECT_EQ(Hex(HmacSha1(std::string(20, '\x0b'), "Hi There")),
            "b617318655057264e28bc0b6fb378c8ef146be00");
  EXPECT_EQ(Hex(HmacSha1("Jefe", "what do ya want for nothing?")),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  EXPECT_EQ(Hex(HmacSha1(std::string(80, '\xaa'),
                         "Test Using Larger Than Block-Size Key - Hash Key First")),
            "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

TEST(WireTest, FramesSplitAnywhereDecodeInOrder) {
  std::string wire = EncodeFrame("one") + EncodeFrame("") + EncodeFrame(std::string(5000, 'z'));
  FrameDecoder d(1 << 20);
  std::vector<std::string> got;
  std::mt19937 rng(7);
  std::size_t pos = 0;
  while (pos < wire.size()) {
    std::size_t take = 1 + rng() % 300;
    d.Append(std::string_view(wire).substr(pos, take));
    pos += take;
    std::string p;
    while (d.Next(&p) == FrameDecoder::Result::kFrame) got.push_back(p);
  }
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], "one");
  EXPECT_EQ(got[1], "");
  EXPECT_EQ(got[2].size(), 5000u);
}

TEST(WireTest, AFlippedBitFailsTheChecksum) {
  std::string wire = EncodeFrame("payload");
  wire[10] ^= 1;
  FrameDecoder d(1 << 20);
  d.Append(wire);
  std::string p;
  EXPECT_EQ(d.Next(&p), FrameDecoder::Result::kError);
  EXPECT_NE(d.error().find("checksum"), std::string::npos);
}

TEST(WireTest, AnOversizeLengthIsRefusedBeforeTheBody) {
  std::string wire = EncodeFrame(std::string(100, 'a'));
  FrameDecoder d(99);
  d.Append(wire.substr(0, 8));
  std::string p;
  EXPECT_EQ(d.Next(&p), FrameDecoder::Result::kError);
}

TEST(WireTest, HandshakeMessagesRoundTripAndRejectWrongMagic) {
  Hello h{42, {}};
  h.nonce[3] = 9;
  Hello h2;
  ASSERT_TRUE(DecodeHello(EncodeHello(h), &h2));
  EXPECT_EQ(h2.listener_id, 42u);
  EXPECT_EQ(h2.nonce, h.nonce);
  Auth a{1, 2, ComputeAuthMac("s", h.nonce, 1, 2)};
  Auth a2;
  std::string enc = EncodeAuth(a);
  ASSERT_TRUE(DecodeAuth(enc, &a2));
  EXPECT_EQ(a2.sender_id, 1u);
  EXPECT_EQ(a2.receiver_id, 2u);
  EXPECT_TRUE(MacEquals(a2.mac, a.mac));
  enc[0] ^= 1;
  EXPECT_FALSE(DecodeAuth(enc, &a2));
  EXPECT_FALSE(DecodeHello("short", &h2));
}

TEST(WireTest, TheMacBindsSecretNonceAndBothIds) {
  Nonce n{};
  Mac base = ComputeAuthMac("s", n, 1, 2);
  EXPECT_FALSE(MacEquals(base, ComputeAuthMac("t", n, 1, 2)));
  EXPECT_FALSE(MacEquals(base, ComputeAuthMac("s", n, 3, 2)));
  EXPECT_FALSE(MacEquals(base, ComputeAuthMac("s", n, 1, 3)));
  n[0] = 1;
  EXPECT_FALSE(MacEquals(base, ComputeAuthMac("s", n, 1, 2)));
}

}  // namespace
}  // namespace zabd
