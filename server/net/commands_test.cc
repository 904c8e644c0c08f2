// The RESP command table without sockets: a fake session records what it is completed with,
// a fake core records what it is handed (contracts.md 1).
#include "server/net/commands.h"

#include <gtest/gtest.h>

#include "server/kv/op.h"
#include "server/net/resp.h"

namespace zabd {
namespace {

class FakeSession final : public ClientSession {
 public:
  void Complete(uint64_t seq, std::string reply) override {
    if (closed_) return;
    replies[seq].push_back(std::move(reply));
  }
  void CompleteAndClose(uint64_t seq, std::string reply) override {
    Complete(seq, std::move(reply));
    closes_after.push_back(seq);
  }
  bool closed() const override { return closed_; }
  void Close() { closed_ = true; }
  std::map<uint64_t, std::vector<std::string>> replies;
  std::vector<uint64_t> closes_after;  // seqs given to CompleteAndClose

 private:
  bool closed_ = false;
};

class CommandTableTest : public ::testing::Test {
 protected:
  CommandTableTest()
      : table_(zab::ReadMode::kLinearizable,
               CommandTable::Hooks{[this](const zab::Input& in) { submitted_.push_back(in); },
                                   [this] { return status_; }, [] { return std::string("i\r\n"); },
                                   [this] { return now_ms_; }},
               3000),
        session_(std::make_shared<FakeSession>()) {}

  // Dispatches one command and returns its immediate reply ("" if it went to the core).
  std::string Run(std::vector<std::string> args) {
    const uint64_t seq = next_seq_++;
    table_.Dispatch(session_, seq, std::move(args));
    auto it = session_->replies.find(seq);
    return it == session_->replies.end() ? "" : it->second.back();
  }
  uint64_t last_request_id() const {
    const zab::Input& in = submitted_.back();
    if (const auto* w = std::get_if<zab::ClientWrite>(&in)) return w->request_id;
    return std::get<zab::ClientRead>(in).request_id;
  }
  static RespValue Decode(const std::string& bytes) {
    RespValue v;
    auto used = DecodeReply(bytes, &v);
    EXPECT_TRUE(used && *used == bytes.size()) << bytes;
    return v;
  }

  zab::Status status_;
  uint64_t now_ms_ = 1000;
  std::vector<zab::Input> submitted_;
  CommandTable table_;
  std::shared_ptr<FakeSession> session_;
  uint64_t next_seq_ = 0;
};

TEST_F(CommandTableTest, CommandsThatNeedNoCoreAreAnsweredAtOnce) {
  EXPECT_EQ(Run({"PING"}), "+PONG\r\n");
  EXPECT_EQ(Run({"ping", "hi"}), "$2\r\nhi\r\n");
  EXPECT_EQ(Run({"ECHO", "x y"}), "$3\r\nx y\r\n");
  EXPECT_EQ(Decode(Run({"INFO"})).str, "i\r\n");
  EXPECT_EQ(Decode(Run({"INFO", "server"})).str, "i\r\n");
  EXPECT_TRUE(submitted_.empty());
}

// Found probing zabd as clients that end with QUIT (Jedis, telnet users) do: `-ERR unknown
// command 'QUIT'` and an open connection. Redis answers +OK and closes.
TEST_F(CommandTableTest, QuitIsOkAndEndsTheConnectionAfterItsReply) {
  EXPECT_EQ(Run({"PING"}), "+PONG\r\n");
  EXPECT_EQ(Run({"quit"}), "+OK\r\n");
  EXPECT_EQ(session_->closes_after, (std::vector<uint64_t>{1}));
  EXPECT_TRUE(submitted_.empty());
}

TEST_F(CommandTableTest, RoleRendersStatusAsSixElements) {
  status_.role = zab::Role::kFollowing;
  status_.phase = zab::Phase::kBroadcast;
  status_.current_epoch = zab::Epoch{3};
  status_.last_logged = zab::Zxid{(uint64_t{3} << 32) | 7};
  status_.last_committed = zab::Zxid{(uint64_t{3} << 32) | 6};
  status_.leader = zab::PeerId{2};
  RespValue v = Decode(Run({"ROLE"}));
  ASSERT_EQ(v.elements.size(), 6u);
  EXPECT_EQ(v.elements[0].str, "following");
  EXPECT_EQ(v.elements[1].integer, 3);
  EXPECT_EQ(v.elements[2].integer, static_cast<int64_t>(status_.last_logged.value));
  EXPECT_EQ(v.elements[3].integer, 2);
  EXPECT_EQ(v.elements[4].str, "broadcast");
  EXPECT_EQ(v.elements[5].integer, static_cast<int64_t>(status_.last_committed.value));
  status_.leader.reset();
  EXPECT_EQ(Decode(Run({"ROLE"})).elements[3].integer, -1);
}

TEST_F(CommandTableTest, BadArgumentsAreErrErrorsThatKeepTheConnection) {
  EXPECT_EQ(Run({"GET"}).rfind("-ERR wrong number of arguments for 'GET'", 0), 0u);
  EXPECT_EQ(Run({"SET", "k"}).rfind("-ERR wrong number", 0), 0u);
  EXPECT_EQ(Run({"CAS", "k", "a"}).rfind("-ERR wrong number", 0), 0u);
  EXPECT_EQ(Run({"PING", "a", "b"}).rfind("-ERR wrong number", 0), 0u);
  EXPECT_EQ(Run({"GET", std::string(kv::kKeyBytesMax + 1, 'k')}).rfind("-ERR key larger", 0), 0u);
  EXPECT_EQ(Run({"SET", "k", std::string(kv::kValueBytesMax + 1, 'v')}).rfind("-ERR value", 0), 0u);
  EXPECT_EQ(Run({"ZXIDS", "maybe"}), "-ERR ZXIDS takes ON or OFF\r\n");
  EXPECT_EQ(Run({"READMODE", "fast"}), "-ERR READMODE takes linearizable|sync|local\r\n");
  EXPECT_EQ(Run({"FLUSHALL"}), "-ERR unknown command 'FLUSHALL'\r\n");
  EXPECT_EQ(Run({std::string(500, 'X')}).size(),
            std::string("-ERR unknown command ''\r\n").size() + 64);
  EXPECT_TRUE(submitted_.empty());
}

TEST_F(CommandTableTest, WritesGoToTheCoreAndTheirRepliesAreRenderedPerCommand) {
  EXPECT_EQ(Run({"SET", "k", "v"}), "");
  const auto* set = std::get_if<zab::ClientWrite>(&submitted_.back());
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->op, (kv::Op{kv::OpType::kSet, "k", "v", ""}));
  const uint64_t set_id = set->request_id;
  EXPECT_EQ(Run({"CAS", "k", "old", "new"}), "");
  const auto& cas = std::get<zab::ClientWrite>(submitted_.back());
  EXPECT_EQ(cas.op, (kv::Op{kv::OpType::kCas, "k", "new", "old"}));  // value, expected
  const uint64_t cas_id = cas.request_id;
  EXPECT_EQ(Run({"DEL", "k"}), "");
  const uint64_t del_id = last_request_id();
  EXPECT_EQ(table_.pending(), 3u);

  table_.Deliver(zab::ClientReply{cas_id, zab::ReplyStatus::kOk, "", zab::Zxid{5}, false, {}});
  table_.Deliver(zab::ClientReply{set_id, zab::ReplyStatus::kOk, "", zab::Zxid{4}, true, {}});
  table_.Deliver(zab::ClientReply{del_id, zab::ReplyStatus::kOk, "", zab::Zxid{6}, true, {}});
  EXPECT_EQ(session_->replies[0].back(), "+OK\r\n");
  EXPECT_EQ(session_->replies[1].back(), ":0\r\n");  // CAS did not swap
  EXPECT_EQ(session_->replies[2].back(), ":1\r\n");  // DEL removed the key
  EXPECT_EQ(table_.pending(), 0u);
}

TEST_F(CommandTableTest, ReadsCarryTheSessionsReadModeAndZxidsOnAddsTheZxid) {
  EXPECT_EQ(Run({"GET", "k"}), "");
  EXPECT_EQ(std::get<zab::ClientRead>(submitted_.back()).mode, zab::ReadMode::kLinearizable);
  EXPECT_EQ(Run({"READMODE", "local"}), "+OK\r\n");
  EXPECT_EQ(Run({"ZXIDS", "on"}), "+OK\r\n");
  EXPECT_EQ(Run({"GET", "k"}), "");
  const auto& read = std::get<zab::ClientRead>(submitted_.back());
  EXPECT_EQ(read.mode, zab::ReadMode::kLocal);
  table_.Deliver(zab::ClientReply{read.request_id, zab::ReplyStatus::kOk, "", zab::Zxid{9}, true,
                                  std::string("val")});
  RespValue v = Decode(session_->replies[3].back());
  ASSERT_EQ(v.elements.size(), 2u);
  EXPECT_EQ(v.elements[0].str, "val");
  EXPECT_EQ(v.elements[1].integer, 9);
  EXPECT_EQ(CommandTable::Render(
                CommandTable::Command::kGet, false,
                zab::ClientReply{1, zab::ReplyStatus::kOk, "", zab::Zxid{1}, true, std::nullopt}),
            "$-1\r\n");
}

TEST_F(CommandTableTest, CoreErrorsGetTheirClassWordOnce) {
  auto render = [](zab::ReplyStatus st, const char* why) {
    return CommandTable::Render(CommandTable::Command::kSet, true,
                                zab::ClientReply{1, st, why, zab::Zxid{}, false, {}});
  };
  EXPECT_EQ(render(zab::ReplyStatus::kNotApplied, "no leader"), "-NOTAPPLIED no leader\r\n");
  EXPECT_EQ(render(zab::ReplyStatus::kUnknown, "UNKNOWN leadership lost"),
            "-UNKNOWN leadership lost\r\n");
  EXPECT_EQ(render(zab::ReplyStatus::kUnknown, ""), "-UNKNOWN no reason given\r\n");
}

TEST_F(CommandTableTest, ARequestTheCoreDoesNotAnswerInTimeIsUnknownAndALateReplyIsDropped) {
  EXPECT_EQ(Run({"SET", "a", "1"}), "");
  const uint64_t first = last_request_id();
  now_ms_ += 1000;
  EXPECT_EQ(Run({"SET", "b", "2"}), "");
  table_.Expire(now_ms_ + 2500);  // past the first deadline only
  ASSERT_EQ(session_->replies[0].size(), 1u);
  EXPECT_EQ(session_->replies[0][0], "-UNKNOWN server-side timeout after 3000 ms\r\n");
  EXPECT_TRUE(session_->replies[1].empty());
  table_.Deliver(zab::ClientReply{first, zab::ReplyStatus::kOk, "", zab::Zxid{1}, true, {}});
  EXPECT_EQ(session_->replies[0].size(), 1u) << "a late reply must not complete it twice";
  EXPECT_EQ(table_.pending(), 1u);
}

TEST_F(CommandTableTest, ARepliedRequestOfAClosedSessionIsDropped) {
  EXPECT_EQ(Run({"SET", "a", "1"}), "");
  session_->Close();
  table_.Deliver(
      zab::ClientReply{last_request_id(), zab::ReplyStatus::kOk, "", zab::Zxid{1}, true, {}});
  EXPECT_TRUE(session_->replies[0].empty());
  EXPECT_EQ(table_.pending(), 0u);
}

}  // namespace
}  // namespace zabd
