// ClientServer against real loopback sockets: reply order, malformed input, bounds.
#include "server/net/client_server.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <chrono>
#include <thread>

#include "server/net/limits.h"
#include "server/net/resp.h"

namespace zabd {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct Held {
  std::shared_ptr<ClientSession> session;
  uint64_t seq;
  std::vector<std::string> args;
};

class ClientServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Find a free port by binding a probe first (config refuses port 0).
    tcp::acceptor probe(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port_ = probe.local_endpoint().port();
    probe.close();
    server_ = std::make_unique<ClientServer>(io_, HostPort{"127.0.0.1", port_},
                                             [this](const std::shared_ptr<ClientSession>& s,
                                                    uint64_t seq, std::vector<std::string> args) {
                                               held_.push_back({s, seq, std::move(args)});
                                             });
    ASSERT_TRUE(server_->Start().ok());
  }

  bool RunUntil(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.run_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  // Reads from `s` (driving the server's loop meanwhile) until `n` replies decoded or EOF.
  std::vector<RespValue> ReadReplies(tcp::socket& s, std::size_t n, bool* eof = nullptr) {
    std::vector<RespValue> out;
    std::string buf;
    s.non_blocking(true);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
      io_.run_for(std::chrono::milliseconds(5));
      char chunk[4096];
      boost::system::error_code ec;
      std::size_t got = s.read_some(asio::buffer(chunk), ec);
      if (ec == asio::error::eof) {
        if (eof) *eof = true;
        break;
      }
      buf.append(chunk, got);
      while (true) {
        RespValue v;
        auto used = DecodeReply(buf, &v);
        if (!used || *used == 0) break;
        buf.erase(0, *used);
        out.push_back(v);
      }
    }
    return out;
  }

  tcp::socket Dial() {
    tcp::socket s(io_);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    return s;
  }

  asio::io_context io_;
  uint16_t port_ = 0;
  std::unique_ptr<ClientServer> server_;
  std::vector<Held> held_;
};

std::string Simple(const std::string& s) {
  std::string out;
  AppendSimple(&out, s);
  return out;
}

TEST_F(ClientServerTest, PipelinedRepliesLeaveInRequestOrderWhateverOrderTheyComplete) {
  tcp::socket s = Dial();
  asio::write(s, asio::buffer(EncodeCommand({"A"}) + "B\r\n" + EncodeCommand({"C"})));
  ASSERT_TRUE(RunUntil([&] { return held_.size() == 3; }));
  EXPECT_EQ(held_[1].args, (std::vector<std::string>{"B"}));
  held_[2].session->Complete(held_[2].seq, Simple("c"));
  held_[1].session->Complete(held_[1].seq, Simple("b"));
  held_[0].session->Complete(held_[0].seq, Simple("a"));
  auto replies = ReadReplies(s, 3);
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_EQ(replies[0].str, "a");
  EXPECT_EQ(replies[1].str, "b");
  EXPECT_EQ(replies[2].str, "c");
}

TEST_F(ClientServerTest, AMalformedFrameGetsAnErrorAfterOwedRepliesThenTheConnectionCloses) {
  tcp::socket s = Dial();
  asio::write(s, asio::buffer(std::string("PING\r\n*1\r\n:bad\r\n")));
  ASSERT_TRUE(RunUntil([&] { return held_.size() == 1; }));
  held_[0].session->Complete(held_[0].seq, Simple("PONG"));
  bool eof = false;
  auto replies = ReadReplies(s, 3, &eof);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].str, "PONG");
  EXPECT_EQ(replies[1].kind, RespValue::Kind::kError);
  EXPECT_EQ(replies[1].str.rfind("ERR Protocol error", 0), 0u) << replies[1].str;
  EXPECT_TRUE(eof);
}

TEST_F(ClientServerTest, CompletingARequestOfAClosedConnectionIsHarmless) {
  {
    tcp::socket s = Dial();
    asio::write(s, asio::buffer(std::string("GET k\r\n")));
    ASSERT_TRUE(RunUntil([&] { return held_.size() == 1; }));
  }
  ASSERT_TRUE(RunUntil([&] { return held_[0].session->closed(); }));
  held_[0].session->Complete(held_[0].seq, Simple("late"));
  EXPECT_EQ(server_->connections(), 0u);
}

TEST_F(ClientServerTest, ReadingPausesWhileThePipelineIsFull) {
  tcp::socket s = Dial();
  std::string many;
  for (std::size_t i = 0; i < kClientPipelineMax + 50; ++i) many += "PING\r\n";
  asio::write(s, asio::buffer(many));
  ASSERT_TRUE(RunUntil([&] { return held_.size() == kClientPipelineMax; }));
  io_.run_for(std::chrono::milliseconds(50));
  EXPECT_EQ(held_.size(), kClientPipelineMax);  // nothing more until replies drain
  for (std::size_t i = 0; i < kClientPipelineMax; ++i) {
    held_[i].session->Complete(held_[i].seq, Simple("PONG"));
  }
  ASSERT_TRUE(RunUntil([&] { return held_.size() == kClientPipelineMax + 50; }));
}

}  // namespace
}  // namespace zabd
