// Request bodies and response parsing of etcd's JSON gateway. Response texts are verbatim
// answers of etcd 3.4.23 (captured with curl against the Debian etcd-server).
#include "harness/systems/etcd/gateway.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace faultline::harness::etcd {
namespace {

using nlohmann::json;

TEST(Base64, RoundTripsAnyBytes) {
  for (std::string s : {std::string(), std::string("f"), std::string("fo"), std::string("foo"),
                        std::string("\0\xff\x10 key", 7)}) {
    auto decoded = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(decoded.value(), s);
  }
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("bar1"), "YmFyMQ==");
}

TEST(Base64, RejectsTextOutsideTheAlphabet) {
  EXPECT_FALSE(Base64Decode("Zm9").ok());   // length not a multiple of 4
  EXPECT_FALSE(Base64Decode("Zm!v").ok());  // '!' is not base64
  EXPECT_FALSE(Base64Decode("Z===").ok());  // too much padding
  EXPECT_TRUE(Base64Decode("YmFyMQ==").ok());
}

TEST(Requests, RangeIsLinearizableUnlessSerializableIsAsked) {
  json linear = json::parse(RangeRequest("foo", false));
  EXPECT_EQ(linear["key"], "Zm9v");
  EXPECT_FALSE(linear.contains("serializable"));
  json local = json::parse(RangeRequest("foo", true));
  EXPECT_EQ(local["serializable"], true);
}

TEST(Requests, PrefixRangeEndsJustAfterThePrefix) {
  json j = json::parse(PrefixRangeRequest("k1:", false));
  EXPECT_EQ(j["key"], Base64Encode("k1:"));
  EXPECT_EQ(j["range_end"], Base64Encode("k1;"));  // ':' + 1
}

TEST(Requests, CasComparesTheValueThenPuts) {
  json j = json::parse(CasRequest("k", "old", "new"));
  ASSERT_EQ(j["compare"].size(), 1u);
  EXPECT_EQ(j["compare"][0]["target"], "VALUE");
  EXPECT_EQ(j["compare"][0]["result"], "EQUAL");
  EXPECT_EQ(j["compare"][0]["value"], Base64Encode("old"));
  EXPECT_EQ(j["success"][0]["requestPut"]["key"], Base64Encode("k"));
  EXPECT_EQ(j["success"][0]["requestPut"]["value"], Base64Encode("new"));
  EXPECT_FALSE(j.contains("failure"));
}

TEST(Responses, PutHeaderCarriesTheRevision) {
  auto h = ParseHeader(
      R"({"header":{"cluster_id":"8293792321382317022","member_id":"1254986252977349751","revision":"2","raft_term":"2"}})");
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h.value().revision, 2);
  EXPECT_EQ(h.value().raft_term, 2);
  EXPECT_EQ(h.value().member_id, 1254986252977349751u);
}

TEST(Responses, RangeDecodesKeysAndValues) {
  auto r = ParseRange(
      R"({"header":{"cluster_id":"8293792321382317022","member_id":"1254986252977349751","revision":"2","raft_term":"2"},"kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1","value":"YmFy"}],"count":"1"})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r.value().kvs.size(), 1u);
  EXPECT_EQ(r.value().kvs[0].key, "foo");
  EXPECT_EQ(r.value().kvs[0].value, "bar");
  EXPECT_EQ(r.value().kvs[0].mod_revision, 2);
}

TEST(Responses, RangeThatFoundNothingHasNoKvs) {
  auto r = ParseRange(
      R"({"header":{"cluster_id":"8293792321382317022","member_id":"1254986252977349751","revision":"2","raft_term":"2"}})");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.value().kvs.empty());
}

TEST(Responses, TxnWithoutSucceededDidNotSucceed) {
  auto ok = ParseTxn(
      R"({"header":{"cluster_id":"8293792321382317022","member_id":"1254986252977349751","revision":"3","raft_term":"2"},"succeeded":true,"responses":[{"response_put":{"header":{"revision":"3"}}}]})");
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok.value().succeeded);
  EXPECT_EQ(ok.value().header.revision, 3);
  // proto3 omits false: this is etcd's whole answer to a compare that failed.
  auto failed = ParseTxn(
      R"({"header":{"cluster_id":"8293792321382317022","member_id":"1254986252977349751","revision":"3","raft_term":"2"}})");
  ASSERT_TRUE(failed.ok());
  EXPECT_FALSE(failed.value().succeeded);
}

TEST(Responses, StatusNamesLeaderAndTerm) {
  auto s = ParseStatus(
      R"({"header":{"cluster_id":"8293792321382317022","member_id":"1254986252977349751","revision":"3","raft_term":"3"},"version":"3.4.23","dbSize":"20480","leader":"1254986252977349751","raftIndex":"13","raftTerm":"3","raftAppliedIndex":"13","dbSizeInUse":"16384"})");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s.value().leader_id, 1254986252977349751u);
  EXPECT_EQ(s.value().header.member_id, 1254986252977349751u);
  EXPECT_EQ(s.value().raft_term, 3);
  EXPECT_EQ(s.value().raft_index, 13);
}

TEST(Responses, BadBodiesAreCorruptionNamingTheField) {
  auto not_json = ParseHeader("<html>");
  ASSERT_FALSE(not_json.ok());
  EXPECT_EQ(not_json.status().code(), StatusCode::kCorruption);
  auto no_header = ParseRange(R"({"kvs":[]})");
  ASSERT_FALSE(no_header.ok());
  EXPECT_NE(no_header.status().message().find("header"), std::string::npos);
  auto bad_revision = ParseHeader(R"({"header":{"revision":"two"}})");
  ASSERT_FALSE(bad_revision.ok());
  EXPECT_NE(bad_revision.status().message().find("revision"), std::string::npos);
  auto bad_value = ParseRange(R"({"header":{},"kvs":[{"key":"Zm9v","value":"!!!!"}]})");
  ASSERT_FALSE(bad_value.ok());
}

TEST(Errors, GatewayErrorBodyIsParsed) {
  GatewayError e = ParseError(
      400,
      R"({"error":"json: cannot unmarshal number into Go value of type []uint8","message":"json: cannot unmarshal number into Go value of type []uint8","code":3})");
  EXPECT_EQ(e.grpc_code, kGrpcInvalidArgument);
  EXPECT_TRUE(RejectedBeforeProposal(e));
  EXPECT_EQ(e.ToString(),
            "HTTP 400 (gRPC 3): json: cannot unmarshal number into Go value of type []uint8");
}

TEST(Errors, TimeoutsAndLeaderChangesMayHaveBeenApplied) {
  EXPECT_FALSE(RejectedBeforeProposal(ParseError(
      503,
      R"({"error":"etcdserver: request timed out","message":"etcdserver: request timed out","code":14})")));
  EXPECT_FALSE(RejectedBeforeProposal(
      ParseError(503, R"({"error":"etcdserver: leader changed","code":14})")));
  EXPECT_FALSE(RejectedBeforeProposal(ParseError(500, "not json at all")));
  EXPECT_TRUE(RejectedBeforeProposal(ParseError(404, "Not Found")));
  EXPECT_TRUE(RejectedBeforeProposal(
      ParseError(429, R"({"error":"etcdserver: too many requests","code":8})")));
}

}  // namespace
}  // namespace faultline::harness::etcd
