// EtcdClient against a scripted gateway: the mapping of each op to its request, and of every
// transport and error case to ok / fail / info (docs/contracts.md section 4).
#include "harness/systems/etcd/etcd_client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "harness/systems/etcd/fake_gateway.h"
#include "harness/systems/etcd/gateway.h"

namespace faultline::harness::etcd {
namespace {

using checkers::Fn;
using checkers::Op;
using checkers::Outcome;
using nlohmann::json;
using namespace std::chrono_literals;

// Generous: only the silence cases wait for it, and they assert on the outcome, not the time.
constexpr auto kTimeout = 1500ms;

const char* kHeader7 =
    R"("header":{"cluster_id":"1","member_id":"2","revision":"7","raft_term":"3"})";

std::string Body(const std::string& rest = "") {
  return "{" + std::string(kHeader7) + (rest.empty() ? "" : "," + rest) + "}";
}

Op MakeOp(Fn f, std::string key, std::optional<std::string> value = std::nullopt,
          std::optional<std::string> expected = std::nullopt) {
  Op op;
  op.f = f;
  op.key = std::move(key);
  op.value = std::move(value);
  op.expected = std::move(expected);
  return op;
}

// A port on 127.0.0.1 with nothing listening (bound, then closed).
int DeadPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

json RequestJson(const std::string& request, const std::string& target) {
  EXPECT_EQ(request.rfind(target + " ", 0), 0u) << request;
  return json::parse(request.substr(target.size() + 1));
}

TEST(EtcdClient, ReadReturnsTheValueAndTheRevisionItWasServedFrom) {
  FakeGateway gw([](const std::string&, const std::string&) {
    return FakeHttpAction::Reply(
        200, Body(R"("kvs":[{"key":"azE=","mod_revision":"5","value":"djE="}],"count":"1")"));
  });
  EtcdClient client("127.0.0.1", gw.port(), ReadMode::kLinearizable);
  OpResult r = client.Invoke(MakeOp(Fn::kRead, "k1"), kTimeout);
  EXPECT_EQ(r.outcome, Outcome::kOk) << r.error;
  EXPECT_EQ(r.value, "v1");
  EXPECT_EQ(r.zxid, 7);
  json req = RequestJson(gw.requests().at(0), "/v3/kv/range");
  EXPECT_EQ(req["key"], Base64Encode("k1"));
  EXPECT_FALSE(req.contains("serializable"));  // linearizable is etcd's default
}

TEST(EtcdClient, ReadOfAMissingKeyIsNil) {
  FakeGateway gw(
      [](const std::string&, const std::string&) { return FakeHttpAction::Reply(200, Body()); });
  EtcdClient client("127.0.0.1", gw.port(), ReadMode::kLinearizable);
  OpResult r = client.Invoke(MakeOp(Fn::kRead, "k1"), kTimeout);
  EXPECT_EQ(r.outcome, Outcome::kOk);
  EXPECT_FALSE(r.value.has_value());
}

TEST(EtcdClient, SerializableModeAsksForASerializableRange) {
  FakeGateway gw(
      [](const std::string&, const std::string&) { return FakeHttpAction::Reply(200, Body()); });
  EtcdClient client("127.0.0.1", gw.port(), ReadMode::kSerializable);
  EXPECT_EQ(client.Invoke(MakeOp(Fn::kRead, "k1"), kTimeout).outcome, Outcome::kOk);
  EXPECT_EQ(RequestJson(gw.requests().at(0), "/v3/kv/range")["serializable"], true);
}

TEST(EtcdClient, WriteRecordsTheRevisionItCommittedAt) {
  FakeGateway gw(
      [](const std::string&, const std::string&) { return FakeHttpAction::Reply(200, Body()); });
  EtcdClient client("127.0.0.1", gw.port(), ReadMode::kLinearizable, /*node=*/2);
  OpResult r = client.Invoke(MakeOp(Fn::kWrite, "k1", "v9"), kTimeout);
  EXPECT_EQ(r.outcome, Outcome::kOk) << r.error;
  EXPECT_EQ(r.zxid, 7);
  EXPECT_EQ(client.node(), 2);
  json req = RequestJson(gw.requests().at(0), "/v3/kv/put");
  EXPECT_EQ(req["value"], Base64Encode("v9"));
}

TEST(EtcdClient, CasThatSwappedIsOk) {
  FakeGateway gw([](const std::string&, const std::string&) {
    return FakeHttpAction::Reply(200, Body(R"("succeeded":true)"));
  });
  EtcdClient client("127.0.0.1", gw.port(), ReadMode::kLinearizable);
  OpResult r = client.Invoke(MakeOp(Fn::kCas, "k1", "new", "old"), kTimeout);
  EXPECT_EQ(r.outcome, Outcome::kOk);
  EXPECT_EQ(r.zxid, 7);
  json req = RequestJson(gw.requests().at(0), "/v3/kv/txn");
  EXPECT_EQ(req["compare"][0]["value"], Base64Encode("old"));
}

TEST(EtcdClient, CasWhoseCompareFailedIsAFailMismatch) {
  FakeGateway gw([](const std::string&, const std::string&) {
    return FakeHttpAction::Reply(200, Body());  // no "succeeded": false
  });
  EtcdClient client("127.0.0.1", gw.port(), ReadMode::kLinearizable);
  OpResult r = client.Invoke(MakeOp(Fn::kCas, "k1", "new", "old"), kTimeout);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.error, "cas mismatch");
  EXPECT_FALSE(r.zxid.has_value());
}

TEST(EtcdClient, ReadSetIsOnePrefixRange) {
  FakeGateway gw([](const std::string&, const std::string&) {
    return FakeHttpAction::Reply(
        200, Body(R"("kvs":[{"key":")" + Base64Encode("s:1") + R"(","value":"MQ=="},{"key":")" +
                  Base64Encode("s:3") + R"(","value":"Mw=="}])"));
  });
  EtcdClient client("127.0.0.1", gw.port(), ReadMode::kLinearizable);
  Op op = MakeOp(Fn::kReadSet, "s");
  op.elements = {"1", "2", "3"};
  OpResult r = client.Invoke(op, kTimeout);
  EXPECT_EQ(r.outcome, Outcome::kOk);
  EXPECT_EQ(r.elements, (std::vector<std::string>{"1", "3"}));
  EXPECT_EQ(gw.requests().size(), 1u);
  EXPECT_EQ(RequestJson(gw.requests().at(0), "/v3/kv/range")["range_end"], Base64Encode("s;"));
}

TEST(EtcdClient, ConnectionRefusedBeforeSendingIsFail) {
  EtcdClient client("127.0.0.1", DeadPort(), ReadMode::kLinearizable);
  OpResult r = client.Invoke(MakeOp(Fn::kWrite, "k1", "v1"), kTimeout);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_FALSE(r.error.empty());
}

TEST(EtcdClient, SilenceAfterSendingIsInfoNeverFail) {
  FakeGateway gw([](const std::string&, const std::string&) { return FakeHttpAction::Silence(); });
  EtcdClient client("127.0.0.1", gw.port(), ReadMode::kLinearizable);
  EXPECT_EQ(client.Invoke(MakeOp(Fn::kWrite, "k1", "v1"), 300ms).outcome, Outcome::kInfo);
  EXPECT_EQ(client.Invoke(MakeOp(Fn::kCas, "k1", "v2", "v1"), 300ms).outcome, Outcome::kInfo);
  EXPECT_EQ(client.Invoke(MakeOp(Fn::kRead, "k1"), 300ms).outcome, Outcome::kInfo);
}

TEST(EtcdClient, ConnectionClosedAfterSendingIsInfo) {
  FakeGateway gw([](const std::string&, const std::string&) { return FakeHttpAction::Close(); });
  EtcdClient client("127.0.0.1", gw.port(), ReadMode::kLinearizable);
  OpResult r = client.Invoke(MakeOp(Fn::kWrite, "k1", "v1"), kTimeout);
  EXPECT_EQ(r.outcome, Outcome::kInfo);
  EXPECT_FALSE(r.error.empty());
}

TEST(EtcdClient, ServerTimeoutIsInfoAndBadRequestIsFail) {
  int calls = 0;
  FakeGateway gw([&](const std::string&, const std::string&) {
    return ++calls == 1
               ? FakeHttpAction::Reply(
                     503,
                     R"({"error":"etcdserver: request timed out","message":"etcdserver: request timed out","code":14})")
               : FakeHttpAction::Reply(400, R"({"error":"bad","message":"bad","code":3})");
  });
  EtcdClient client("127.0.0.1", gw.port(), ReadMode::kLinearizable);
  OpResult timed_out = client.Invoke(MakeOp(Fn::kWrite, "k1", "v1"), kTimeout);
  EXPECT_EQ(timed_out.outcome, Outcome::kInfo);
  EXPECT_NE(timed_out.error.find("request timed out"), std::string::npos) << timed_out.error;
  EXPECT_EQ(client.Invoke(MakeOp(Fn::kWrite, "k1", "v2"), kTimeout).outcome, Outcome::kFail);
}

TEST(EtcdClient, UnparsableOkBodyIsInfo) {
  FakeGateway gw([](const std::string&, const std::string&) {
    return FakeHttpAction::Reply(200, "<html>proxy</html>");
  });
  EtcdClient client("127.0.0.1", gw.port(), ReadMode::kLinearizable);
  EXPECT_EQ(client.Invoke(MakeOp(Fn::kWrite, "k1", "v1"), kTimeout).outcome, Outcome::kInfo);
}

TEST(EtcdClient, KeepsOneConnectionAcrossOpsAndReconnectsAfterAFailure) {
  int calls = 0;
  FakeGateway gw([&](const std::string&, const std::string&) {
    return ++calls == 2 ? FakeHttpAction::Silence() : FakeHttpAction::Reply(200, Body());
  });
  EtcdClient client("127.0.0.1", gw.port(), ReadMode::kLinearizable);
  EXPECT_EQ(client.Invoke(MakeOp(Fn::kWrite, "k1", "v1"), kTimeout).outcome, Outcome::kOk);
  EXPECT_EQ(client.Invoke(MakeOp(Fn::kWrite, "k1", "v2"), 300ms).outcome, Outcome::kInfo);
  // The timed-out connection was dropped: a late reply can never answer the next request.
  EXPECT_EQ(client.Invoke(MakeOp(Fn::kWrite, "k1", "v3"), kTimeout).outcome, Outcome::kOk);
  EXPECT_EQ(gw.connections(), 2);
}

}  // namespace
}  // namespace faultline::harness::etcd
