// Wire codec of ZAB messages and the Txn storage payload (messages.h, codec.h).
#include "server/core/codec.h"

#include <gtest/gtest.h>

#include <random>

#include "server/core/messages.h"

namespace zab {
namespace {

Txn SampleTxn() {
  return Txn{Zxid{0x300000007}, Origin{PeerId{2}, 99, 12345},
             kv::Op{kv::OpType::kCas, "key", std::string("new\0v", 5), "old"}};
}

// One non-default instance of every message kind, in variant order.
std::vector<Message> AllKinds() {
  Epoch e{7};
  return {
      Vote{e, PeerState::kFollowing, PeerId{3}, Zxid{0x700000002}, 11, Epoch{6}},
      FollowerInfo{e},
      LeaderInfo{e},
      AckEpoch{e, -1, Zxid{0x600000004}, Zxid{0x600000001}},
      Diff{e, Zxid{0x600000009}},
      Trunc{e, Zxid{0x600000003}},
      Snap{e, Zxid{0x600000009}, std::string("state\0bytes", 11)},
      NewLeader{e, Zxid{0x600000009}},
      Ack{e, Zxid{0x700000000}},
      UpToDate{e},
      Proposal{e, SampleTxn(), Zxid{0x300000006}},
      Commit{e, Zxid{0x700000001}},
      Ping{e, Zxid{0x700000001}, 42},
      PingAck{e, 42, Zxid{0x700000001}},
      Request{e, Origin{PeerId{1}, 5, 77}, kv::Op{kv::OpType::kSet, "a", "b", ""}},
      RequestReject{e, 5, "not established"},
      ReadRequest{e, 8, 1, "k"},
      ReadReply{e, 8, true, Zxid{0x700000001}, std::string("v")},
  };
}

TEST(ZabCodec, EveryMessageKindRoundTrips) {
  auto all = AllKinds();
  ASSERT_EQ(all.size(), std::variant_size_v<Message>);
  for (size_t i = 0; i < all.size(); ++i) {
    ASSERT_EQ(all[i].index(), i) << "AllKinds() must list kinds in variant order";
    auto d = DecodeMessage(EncodeMessage(all[i]));
    ASSERT_TRUE(d.ok()) << MessageName(all[i]) << ": " << d.status().ToString();
    EXPECT_EQ(*d, all[i]) << MessageName(all[i]);
  }
  ReadReply absent{Epoch{1}, 3, false, Zxid{}, std::nullopt};
  EXPECT_EQ(*DecodeMessage(EncodeMessage(absent)), Message(absent));
}

TEST(ZabCodec, EveryTruncationOfEveryMessageIsRejectedWithItsKindNamed) {
  for (const Message& m : AllKinds()) {
    std::string bytes = EncodeMessage(m);
    for (size_t n = 0; n < bytes.size(); ++n) {
      auto d = DecodeMessage(std::string_view(bytes).substr(0, n));
      ASSERT_FALSE(d.ok()) << MessageName(m) << " cut at " << n;
      EXPECT_EQ(d.status().code(), faultline::StatusCode::kCorruption);
      if (n > 0) {
        EXPECT_NE(d.status().message().find(MessageName(m)), std::string::npos)
            << d.status().message();
      }
    }
  }
}

TEST(ZabCodec, TrailingBytesAndUnknownKindsAreRejected) {
  std::string bytes = EncodeMessage(Commit{Epoch{1}, Zxid{0x100000001}});
  EXPECT_FALSE(DecodeMessage(bytes + "x").ok());
  EXPECT_FALSE(DecodeMessage(std::string(1, static_cast<char>(200))).ok());
  EXPECT_FALSE(DecodeMessage("").ok());
}

TEST(ZabCodec, RandomAndMutatedBytesNeverCrashTheDecoder) {
  std::mt19937_64 rng(1234);
  auto all = AllKinds();
  size_t decoded = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string bytes;
    if (i % 2 == 0) {
      // Pure noise with a valid kind byte (the interesting case for the field decoders).
      bytes.resize(rng() % 48);
      for (auto& c : bytes) c = static_cast<char>(rng());
      if (!bytes.empty()) bytes[0] = static_cast<char>(rng() % std::variant_size_v<Message>);
    } else {
      // A valid encoding with a few bytes flipped, dropped or inserted.
      bytes = EncodeMessage(all[rng() % all.size()]);
      for (int k = 0; k < 3; ++k) {
        size_t pos = rng() % (bytes.size() + 1);
        switch (rng() % 3) {
          case 0:
            if (pos < bytes.size()) bytes[pos] = static_cast<char>(rng());
            break;
          case 1:
            if (pos < bytes.size()) bytes.erase(pos, 1);
            break;
          default:
            bytes.insert(pos, 1, static_cast<char>(rng()));
            break;
        }
      }
    }
    auto d = DecodeMessage(bytes);
    if (d.ok()) {
      decoded++;
      // Whatever decodes must re-encode to the same bytes (no lossy acceptance).
      EXPECT_EQ(EncodeMessage(*d), bytes);
    }
  }
  EXPECT_GT(decoded, 0u);
}

TEST(ZabCodec, ForgedStringLengthsDoNotAllocateBeyondTheInput) {
  // Snap with a 4 GiB state length but 4 bytes of body.
  std::string bytes = EncodeMessage(Snap{Epoch{1}, Zxid{1}, "abcd"});
  size_t len_at = 1 + 4 + 8;
  for (int i = 0; i < 4; ++i) bytes[len_at + i] = static_cast<char>(0xff);
  EXPECT_FALSE(DecodeMessage(bytes).ok());
}

TEST(ZabCodec, TxnPayloadRoundTripsAndRejectsCorruption) {
  Txn t = SampleTxn();
  std::string bytes = EncodeTxn(t);
  auto d = DecodeTxn(bytes);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, t);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(DecodeTxn(std::string_view(bytes).substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(DecodeTxn(bytes + "z").ok());
  std::string bad_type = bytes;
  bad_type[1 + 8 + 24] = 9;  // op type byte after format, zxid, origin
  EXPECT_FALSE(DecodeTxn(bad_type).ok());
}

}  // namespace
}  // namespace zab
