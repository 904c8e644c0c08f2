#include "harness/client/zabd_client.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>

#include "harness/client/fake_resp_server.h"

namespace faultline::harness {
namespace {

using checkers::Fn;
using checkers::Outcome;
using std::chrono::milliseconds;

// A tiny in-memory zabd: ZXIDS ON wraps replies; some keys trigger scripted misbehaviour.
class FakeZabd {
 public:
  FakeAction Handle(const std::vector<std::string>& a) {
    std::lock_guard<std::mutex> l(mu_);
    if (a[0] == "ZXIDS" || a[0] == "READMODE") return FakeAction::Reply(RespValue::Simple("OK"));
    const std::string& key = a.size() > 1 ? a[1] : "";
    if (key == "silent") return FakeAction::Silence();
    if (key == "drop") return FakeAction::Close();
    if (key == "noleader") return FakeAction::Reply(RespValue::Error("NOTAPPLIED no leader"));
    if (key == "lost") return FakeAction::Reply(RespValue::Error("UNKNOWN leadership lost"));
    if (key == "bad") return FakeAction::Reply(RespValue::Error("ERR wrong number of arguments"));
    ++zxid_;
    RespValue inner;
    if (a[0] == "GET") {
      inner = kv_.count(key) ? RespValue::Bulk(kv_[key]) : RespValue::Nil();
    } else if (a[0] == "SET") {
      kv_[key] = a[2];
      inner = RespValue::Simple("OK");
    } else if (a[0] == "CAS") {
      bool swap = kv_.count(key) && kv_[key] == a[2];
      if (swap) kv_[key] = a[3];
      inner = RespValue::Integer(swap ? 1 : 0);
    } else {
      return FakeAction::Reply(RespValue::Error("ERR unknown command"));
    }
    return FakeAction::Reply(RespValue::Array({inner, RespValue::Integer(zxid_)}));
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> kv_;
  int64_t zxid_ = (int64_t{1} << 32);
};

class ZabdClientTest : public ::testing::Test {
 protected:
  ZabdClientTest()
      : server_([this](const std::vector<std::string>& a) { return zabd_.Handle(a); }),
        client_("127.0.0.1", server_.port(), "sync") {}

  checkers::Op MakeOp(Fn f, std::string key, std::optional<std::string> value = std::nullopt,
                      std::optional<std::string> expected = std::nullopt) {
    checkers::Op op;
    op.f = f;
    op.key = std::move(key);
    op.value = std::move(value);
    op.expected = std::move(expected);
    return op;
  }

  FakeZabd zabd_;
  FakeRespServer server_;
  ZabdClient client_;
};

TEST_F(ZabdClientTest, WriteThenReadIsOkWithZxids) {
  OpResult w = client_.Invoke(MakeOp(Fn::kWrite, "k", "v1"), milliseconds(2000));
  EXPECT_EQ(w.outcome, Outcome::kOk) << w.error;
  ASSERT_TRUE(w.zxid.has_value());
  OpResult r = client_.Invoke(MakeOp(Fn::kRead, "k"), milliseconds(2000));
  EXPECT_EQ(r.outcome, Outcome::kOk);
  EXPECT_EQ(r.value, "v1");
  EXPECT_GT(*r.zxid, *w.zxid);
  // The session was set up once: ZXIDS ON and the read mode before the first command.
  std::vector<std::string> reqs = server_.requests();
  ASSERT_GE(reqs.size(), 2u);
  EXPECT_EQ(reqs[0], "ZXIDS ON");
  EXPECT_EQ(reqs[1], "READMODE sync");
  EXPECT_EQ(server_.connections(), 1);
}

TEST_F(ZabdClientTest, ReadOfAbsentKeyIsOkNil) {
  OpResult r = client_.Invoke(MakeOp(Fn::kRead, "nothing"), milliseconds(2000));
  EXPECT_EQ(r.outcome, Outcome::kOk);
  EXPECT_FALSE(r.value.has_value());
}

TEST_F(ZabdClientTest, CasThatSwapsIsOkAndMismatchIsFail) {
  ASSERT_EQ(client_.Invoke(MakeOp(Fn::kWrite, "k", "a"), milliseconds(2000)).outcome, Outcome::kOk);
  EXPECT_EQ(client_.Invoke(MakeOp(Fn::kCas, "k", "b", "a"), milliseconds(2000)).outcome,
            Outcome::kOk);
  EXPECT_EQ(client_.Invoke(MakeOp(Fn::kCas, "k", "c", "a"), milliseconds(2000)).outcome,
            Outcome::kFail);
}

TEST_F(ZabdClientTest, NotAppliedErrorIsFail) {
  OpResult r = client_.Invoke(MakeOp(Fn::kWrite, "noleader", "v"), milliseconds(2000));
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_NE(r.error.find("NOTAPPLIED"), std::string::npos);
}

TEST_F(ZabdClientTest, ErrErrorIsFail) {
  EXPECT_EQ(client_.Invoke(MakeOp(Fn::kWrite, "bad", "v"), milliseconds(2000)).outcome,
            Outcome::kFail);
}

TEST_F(ZabdClientTest, UnknownErrorIsInfoNeverFail) {
  EXPECT_EQ(client_.Invoke(MakeOp(Fn::kWrite, "lost", "v"), milliseconds(2000)).outcome,
            Outcome::kInfo);
}

TEST_F(ZabdClientTest, TimeoutAfterSendIsInfoAndReconnects) {
  OpResult r = client_.Invoke(MakeOp(Fn::kWrite, "silent", "v"), milliseconds(200));
  EXPECT_EQ(r.outcome, Outcome::kInfo);
  EXPECT_NE(r.error.find("timed out"), std::string::npos);
  // The next op must not read the late reply: it runs on a fresh connection.
  OpResult w = client_.Invoke(MakeOp(Fn::kWrite, "k", "x"), milliseconds(2000));
  EXPECT_EQ(w.outcome, Outcome::kOk);
  EXPECT_EQ(server_.connections(), 2);
}

TEST_F(ZabdClientTest, ConnectionLostAfterSendIsInfo) {
  OpResult r = client_.Invoke(MakeOp(Fn::kWrite, "drop", "v"), milliseconds(2000));
  EXPECT_EQ(r.outcome, Outcome::kInfo);
}

TEST(ZabdClient, RefusedConnectionIsFailBecauseNothingWasSent) {
  int port = 0;
  {
    FakeRespServer gone([](const std::vector<std::string>&) { return FakeAction::Close(); });
    port = gone.port();
  }  // closed: nothing listens on the port any more
  ZabdClient client("127.0.0.1", port);
  checkers::Op op;
  op.f = Fn::kWrite;
  op.key = "k";
  op.value = "v";
  EXPECT_EQ(client.Invoke(op, milliseconds(1000)).outcome, Outcome::kFail);
}

TEST_F(ZabdClientTest, SetAddsAndReadSetSeesPresentElements) {
  ASSERT_EQ(client_.Invoke(MakeOp(Fn::kAdd, "s", "1"), milliseconds(2000)).outcome, Outcome::kOk);
  ASSERT_EQ(client_.Invoke(MakeOp(Fn::kAdd, "s", "3"), milliseconds(2000)).outcome, Outcome::kOk);
  checkers::Op read = MakeOp(Fn::kReadSet, "s");
  read.elements = {"1", "2", "3"};
  OpResult r = client_.Invoke(read, milliseconds(2000));
  EXPECT_EQ(r.outcome, Outcome::kOk);
  EXPECT_EQ(r.elements, (std::vector<std::string>{"1", "3"}));
}

}  // namespace
}  // namespace faultline::harness
