#include "server/net/resp.h"

#include <gtest/gtest.h>

#include <random>

#include "server/net/limits.h"

namespace zabd {
namespace {

using Args = std::vector<std::string>;

std::vector<Args> ParseAll(RequestParser& p, RequestParser::Result* last = nullptr) {
  std::vector<Args> out;
  Args args;
  while (true) {
    auto r = p.Next(&args);
    if (r != RequestParser::Result::kCommand) {
      if (last) *last = r;
      return out;
    }
    out.push_back(args);
  }
}

TEST(RespParserTest, AnArrayOfBulkStringsIsOneCommand) {
  RequestParser p;
  p.Append("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhe\r\no\r\n");
  RequestParser::Result last;
  auto cmds = ParseAll(p, &last);
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0], (Args{"SET", "k", "he\r\no"}));
  EXPECT_EQ(last, RequestParser::Result::kNeedMore);
}

TEST(RespParserTest, InlineCommandsWorkWithCrlfOrBareNewline) {
  RequestParser p;
  p.Append("PING\r\nSET  a\tb\nGET a\r\n");
  auto cmds = ParseAll(p);
  ASSERT_EQ(cmds.size(), 3u);
  EXPECT_EQ(cmds[0], (Args{"PING"}));
  EXPECT_EQ(cmds[1], (Args{"SET", "a", "b"}));
  EXPECT_EQ(cmds[2], (Args{"GET", "a"}));
}

// Found probing zabd with inline commands: `SET greeting "hello world"` (what `redis-cli --pipe`
// sends from a file) was four words, and `SET k "v"` stored the quotes.
TEST(RespParserTest, InlineQuotesAndEscapesSplitAsRedisSplitsThem) {
  RequestParser p;
  p.Append(
      "SET greeting \"hello world\"\r\n"
      "SET \"a\\x00b\" \"tab\\there\\nnl\\\\ \\\"q\\\" \\q\"\r\n"
      "SET 'it''s' v\r\n"
      "PING\r\n");
  RequestParser::Result last;
  auto cmds = ParseAll(p, &last);
  ASSERT_EQ(cmds.size(), 2u) << "the third line is an error, and the stream ends there";
  EXPECT_EQ(cmds[0], (Args{"SET", "greeting", "hello world"}));
  EXPECT_EQ(cmds[1], (Args{"SET", std::string("a\0b", 3), "tab\there\nnl\\ \"q\" q"}));
  EXPECT_EQ(last, RequestParser::Result::kError);  // 'it''s': a quote closes mid-word
  EXPECT_NE(p.error().find("unbalanced quotes"), std::string::npos) << p.error();

  RequestParser q;
  q.Append("SET 'don\\'t \\n' pre\"fix d\"\r\nSET k \"\"\r\nGET \"\\xZZ\"\r\n");
  cmds = ParseAll(q, &last);
  ASSERT_EQ(cmds.size(), 3u);
  EXPECT_EQ(cmds[0], (Args{"SET", "don't \\n", "prefix d"}));
  EXPECT_EQ(cmds[1], (Args{"SET", "k", ""}));
  EXPECT_EQ(cmds[2], (Args{"GET", "xZZ"}));
  EXPECT_EQ(last, RequestParser::Result::kNeedMore);
}

TEST(RespParserTest, AnUnclosedInlineQuoteIsAProtocolError) {
  for (const char* line : {"SET a \"b\r\n", "SET 'a b\r\n", "SET a \"b\\\"\r\n"}) {
    RequestParser p;
    p.Append(line);
    RequestParser::Result last;
    EXPECT_TRUE(ParseAll(p, &last).empty()) << line;
    EXPECT_EQ(last, RequestParser::Result::kError) << line;
    EXPECT_EQ(p.error(), "Protocol error: unbalanced quotes in request") << line;
  }
}

TEST(RespParserTest, EmptyLinesAndEmptyArraysAreSkipped) {
  RequestParser p;
  p.Append("\r\n*0\r\n\nPING\r\n");
  auto cmds = ParseAll(p);
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0], (Args{"PING"}));
}

TEST(RespParserTest, ByteByByteDeliveryYieldsTheSameCommands) {
  std::string wire = EncodeCommand({"CAS", "key", "old", "new"}) + "PING\r\n" +
                     EncodeCommand({"GET", std::string(1000, 'x')});
  RequestParser p;
  std::vector<Args> cmds;
  for (char c : wire) {
    p.Append(std::string_view(&c, 1));
    auto more = ParseAll(p);
    cmds.insert(cmds.end(), more.begin(), more.end());
  }
  ASSERT_EQ(cmds.size(), 3u);
  EXPECT_EQ(cmds[0], (Args{"CAS", "key", "old", "new"}));
  EXPECT_EQ(cmds[1], (Args{"PING"}));
  EXPECT_EQ(cmds[2][1].size(), 1000u);
}

TEST(RespParserTest, ABulkLengthOverTheBoundIsAnErrorBeforeTheBodyArrives) {
  RequestParser p;
  p.Append("*2\r\n$3\r\nGET\r\n$" + std::to_string(kRespBulkBytesMax + 1) + "\r\n");
  RequestParser::Result last;
  ParseAll(p, &last);
  EXPECT_EQ(last, RequestParser::Result::kError);
  EXPECT_NE(p.error().find("bulk"), std::string::npos);
}

// Issue 8 finding 1: the frame bound is per request, not on what a pipelined burst buffers.
TEST(RespParserTest, Finding1APipelinedBurstLargerThanOneFrameParsesEveryCommand) {
  RequestParser p;
  std::string burst;
  std::size_t n = 0;
  while (burst.size() <= 2 * kRespFrameBytesMax) {
    burst += EncodeCommand({"SET", "p" + std::to_string(n), "v" + std::to_string(n)});
    ++n;
  }
  p.Append(burst);
  RequestParser::Result last;
  auto cmds = ParseAll(p, &last);
  EXPECT_EQ(last, RequestParser::Result::kNeedMore) << p.error();
  ASSERT_EQ(cmds.size(), n);
  EXPECT_EQ(cmds.back(), (Args{"SET", "p" + std::to_string(n - 1), "v" + std::to_string(n - 1)}));
}

TEST(RespParserTest, AnnouncedArgumentsOverTheFrameBoundAreAnErrorBeforeTheyArrive) {
  RequestParser p;
  // Each bulk is within its own bound, but together they exceed one frame.
  std::string head = "*8\r\n";
  std::string one = "$" + std::to_string(kRespBulkBytesMax) + "\r\n";
  p.Append(head + one + std::string(kRespBulkBytesMax, 'a') + "\r\n" + one +
           std::string(kRespBulkBytesMax, 'b') + "\r\n" + one);
  Args args;
  EXPECT_EQ(p.Next(&args), RequestParser::Result::kError);
  EXPECT_NE(p.error().find("larger than"), std::string::npos) << p.error();
}

TEST(RespParserTest, TooManyArgumentsIsAnError) {
  RequestParser p;
  p.Append("*" + std::to_string(kRespArgsMax + 1) + "\r\n");
  RequestParser::Result last;
  ParseAll(p, &last);
  EXPECT_EQ(last, RequestParser::Result::kError);
}

TEST(RespParserTest, AnEndlessInlineLineIsAnError) {
  RequestParser p;
  std::string chunk(4096, 'a');
  RequestParser::Result last = RequestParser::Result::kNeedMore;
  for (std::size_t sent = 0; sent <= kRespInlineBytesMax + chunk.size(); sent += chunk.size()) {
    p.Append(chunk);
    ParseAll(p, &last);
    if (last == RequestParser::Result::kError) break;
  }
  EXPECT_EQ(last, RequestParser::Result::kError);
}

TEST(RespParserTest, MalformedHeadersAreErrorsAndStayErrors) {
  for (std::string bad : {"*x\r\n", "*1\r\n:5\r\n", "*1\r\n$-2\r\n", "*1\r\n$1\r\nab\r\n",
                          "*1\r\n$abc\r\n", "*99999999999999999999999\r\n"}) {
    RequestParser p;
    p.Append(bad);
    RequestParser::Result last;
    ParseAll(p, &last);
    EXPECT_EQ(last, RequestParser::Result::kError) << bad;
    p.Append("PING\r\n");
    Args args;
    EXPECT_EQ(p.Next(&args), RequestParser::Result::kError) << bad;
  }
}

TEST(RespParserTest, RandomBytesNeverCrashAndNeverYieldOversizeArguments) {
  std::mt19937_64 rng(12345);
  const std::string alphabet = "*$\r\n0123456789-abcSETGT ";
  for (int round = 0; round < 3000; ++round) {
    RequestParser p;
    std::string bytes;
    std::size_t n = rng() % 200;
    for (std::size_t i = 0; i < n; ++i) {
      bytes.push_back(rng() % 2 ? alphabet[rng() % alphabet.size()]
                                : static_cast<char>(rng() % 256));
    }
    std::size_t pos = 0;
    while (pos < bytes.size()) {
      std::size_t take = 1 + rng() % 17;
      p.Append(std::string_view(bytes).substr(pos, take));
      pos += take;
      Args args;
      RequestParser::Result r;
      while ((r = p.Next(&args)) == RequestParser::Result::kCommand) {
        ASSERT_FALSE(args.empty());
        ASSERT_LE(args.size(), kRespArgsMax);
        for (const auto& a : args) ASSERT_LE(a.size(), kRespBulkBytesMax);
      }
      if (r == RequestParser::Result::kError) break;
    }
  }
}

TEST(RespEncodeTest, RepliesRoundTripThroughTheDecoder) {
  std::string out;
  AppendSimple(&out, "OK");
  AppendError(&out, "NOTAPPLIED no\r\nleader");
  AppendInteger(&out, -42);
  AppendBulk(&out, std::string("a\0b", 3));
  AppendNil(&out);
  AppendArrayHeader(&out, 2);
  AppendBulk(&out, "v");
  AppendInteger(&out, 4294967297);
  std::vector<RespValue> values;
  std::string_view rest(out);
  while (!rest.empty()) {
    RespValue v;
    auto n = DecodeReply(rest, &v);
    ASSERT_TRUE(n.has_value());
    ASSERT_GT(*n, 0u);
    rest.remove_prefix(*n);
    values.push_back(v);
  }
  ASSERT_EQ(values.size(), 6u);
  EXPECT_EQ(values[0].str, "OK");
  EXPECT_EQ(values[1].kind, RespValue::Kind::kError);
  EXPECT_EQ(values[1].str, "NOTAPPLIED no  leader");
  EXPECT_EQ(values[2].integer, -42);
  EXPECT_EQ(values[3].str, std::string("a\0b", 3));
  EXPECT_EQ(values[4].kind, RespValue::Kind::kNil);
  ASSERT_EQ(values[5].elements.size(), 2u);
  EXPECT_EQ(values[5].elements[1].integer, 4294967297);
}

TEST(RespEncodeTest, AnIncompleteReplyDecodesAsNeedMore) {
  std::string out;
  AppendBulk(&out, "hello");
  RespValue v;
  EXPECT_EQ(DecodeReply(std::string_view(out).substr(0, 7), &v), std::optional<std::size_t>(0));
  EXPECT_FALSE(DecodeReply("?what\r\n", &v).has_value());
}

TEST(RespEncodeTest, EncodedCommandsParseBack) {
  RequestParser p;
  p.Append(EncodeCommand({"SET", "", "x y"}));
  auto cmds = ParseAll(p);
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0], (Args{"SET", "", "x y"}));
}

}  // namespace
}  // namespace zabd
