#include "harness/client/resp.h"

#include <gtest/gtest.h>

namespace faultline::harness {
namespace {

TEST(Resp, CommandIsEncodedAsArrayOfBulkStrings) {
  EXPECT_EQ(EncodeCommand({"SET", "k", "v 1"}), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nv 1\r\n");
}

TEST(Resp, EveryValueTypeRoundTrips) {
  RespValue v = RespValue::Array({RespValue::Simple("OK"), RespValue::Error("UNKNOWN lost"),
                                  RespValue::Integer(-42), RespValue::Bulk("a\r\nb"),
                                  RespValue::Nil(), RespValue::Array({RespValue::Integer(1)})});
  RespParser p;
  p.Feed(EncodeValue(v));
  RespValue out;
  ASSERT_EQ(p.Next(&out), RespParser::State::kValue);
  EXPECT_EQ(out.ToString(), v.ToString());
  EXPECT_EQ(out.elements[1].ErrorClass(), "UNKNOWN");
  EXPECT_EQ(p.Next(&out), RespParser::State::kNeedMore);
}

TEST(Resp, ValueSplitAcrossFeedsIsAssembled) {
  std::string wire =
      EncodeValue(RespValue::Array({RespValue::Bulk("hello"), RespValue::Integer(7)}));
  RespParser p;
  RespValue out;
  for (size_t i = 0; i + 1 < wire.size(); ++i) {
    p.Feed(wire.substr(i, 1));
    ASSERT_EQ(p.Next(&out), RespParser::State::kNeedMore) << "at byte " << i;
  }
  p.Feed(wire.substr(wire.size() - 1));
  ASSERT_EQ(p.Next(&out), RespParser::State::kValue);
  EXPECT_EQ(out.elements[0].str, "hello");
}

TEST(Resp, GarbageIsAProtocolError) {
  RespParser p;
  p.Feed(":12x\r\n");
  RespValue out;
  EXPECT_EQ(p.Next(&out), RespParser::State::kProtocolError);
  RespParser q;
  q.Feed("$3\r\nabcd\r\n");
  EXPECT_EQ(q.Next(&out), RespParser::State::kProtocolError);
}

TEST(Resp, InlineCommandParsesAsWords) {
  RespParser p;
  p.Feed("PING  x\r\n");
  RespValue out;
  ASSERT_EQ(p.Next(&out), RespParser::State::kValue);
  ASSERT_EQ(out.elements.size(), 2u);
  EXPECT_EQ(out.elements[1].str, "x");
}

}  // namespace
}  // namespace faultline::harness
