// ClientServer against real loopback sockets: reply order, malformed input, bounds.
#include "server/net/client_server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

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
    StartServer(ClientServerOptions::Defaults(),
                [this](const std::shared_ptr<ClientSession>& s, uint64_t seq,
                       std::vector<std::string> args) {
                  held_.push_back({s, seq, std::move(args)});
                });
  }

  void StartServer(ClientServerOptions options, ClientServer::CommandHandler handler) {
    server_.reset();
    // Find a free port by binding a probe first (config refuses port 0).
    tcp::acceptor probe(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port_ = probe.local_endpoint().port();
    probe.close();
    server_ = std::make_unique<ClientServer>(io_, HostPort{"127.0.0.1", port_}, std::move(handler),
                                             options);
    ASSERT_TRUE(server_->Start().ok());
  }

  // Like zabd's driver: holds only a weak_ptr to the session and completes every request later,
  // from the event loop, echoing the request's last argument.
  void StartEchoServer(ClientServerOptions options = ClientServerOptions::Defaults()) {
    StartServer(options, [this](const std::shared_ptr<ClientSession>& s, uint64_t seq,
                                std::vector<std::string> args) {
      std::weak_ptr<ClientSession> weak = s;
      ++handled_;
      if (args[0] == "HOLD") return held_weak_.push_back({weak, seq});  // completed by the test
      asio::post(io_, [weak, seq, last = args.back()] {
        if (auto session = weak.lock()) session->Complete(seq, Bulk(last));
      });
    });
  }

  static std::string Bulk(const std::string& s) {
    std::string out;
    AppendBulk(&out, s);
    return out;
  }

  // Writes `bytes` without blocking while the server's loop runs, and reads replies until `n`
  // are decoded, EOF, or a generous deadline. The client is the same thread as the server.
  std::vector<RespValue> Exchange(tcp::socket& s, const std::string& bytes, std::size_t n,
                                  bool* eof = nullptr, bool half_close = false) {
    std::vector<RespValue> out;
    std::string buf;
    s.non_blocking(true);
    std::size_t sent = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
      boost::system::error_code ec;
      if (sent < bytes.size()) {
        sent += s.write_some(asio::buffer(bytes.data() + sent, bytes.size() - sent), ec);
        if (sent == bytes.size() && half_close) s.shutdown(tcp::socket::shutdown_send, ec);
      }
      io_.run_for(std::chrono::milliseconds(2));
      char chunk[65536];
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

  bool ReadsEof(tcp::socket& s) {
    bool eof = false;
    Exchange(s, "", 1, &eof);
    return eof;
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
    return Exchange(s, "", n, eof);
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
  std::vector<std::pair<std::weak_ptr<ClientSession>, uint64_t>> held_weak_;
  std::size_t handled_ = 0;
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

// CompleteAndClose (QUIT): the reply goes out after the replies owed before it, then the
// connection ends, and nothing pipelined behind it is executed.
TEST_F(ClientServerTest, CompleteAndCloseRepliesAfterTheOwedRepliesThenClosesAndNothingBehindRuns) {
  StartServer(ClientServerOptions::Defaults(), [this](const std::shared_ptr<ClientSession>& s,
                                                      uint64_t seq, std::vector<std::string> args) {
    if (args[0] == "Q") return s->CompleteAndClose(seq, Simple("bye"));
    held_.push_back({s, seq, std::move(args)});
  });
  tcp::socket s = Dial();
  asio::write(s, asio::buffer(std::string("A\r\nQ\r\nB\r\n")));
  ASSERT_TRUE(RunUntil([&] { return held_.size() == 1; }));
  held_[0].session->Complete(held_[0].seq, Simple("a"));
  bool eof = false;
  auto replies = ReadReplies(s, 3, &eof);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].str, "a");
  EXPECT_EQ(replies[1].str, "bye");
  EXPECT_TRUE(eof);
  EXPECT_EQ(held_.size(), 1u) << "B, behind the close, ran";
}

// A client that closes with a request in flight: the session ends once that request completes
// (the reply may still reach a half-closed client), and a second completion is a no-op.
TEST_F(ClientServerTest, CompletingARequestOfAClosedConnectionIsHarmless) {
  {
    tcp::socket s = Dial();
    asio::write(s, asio::buffer(std::string("GET k\r\n")));
    ASSERT_TRUE(RunUntil([&] { return held_.size() == 1; }));
  }
  io_.run_for(std::chrono::milliseconds(20));
  held_[0].session->Complete(held_[0].seq, Simple("late"));
  ASSERT_TRUE(RunUntil([&] { return held_[0].session->closed(); }));
  held_[0].session->Complete(held_[0].seq, Simple("later"));
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

// ---- Issue 8 finding 1: pipelining deeper than the in-flight bound ----------------------

std::string SetCommands(std::size_t first, std::size_t count) {
  std::string wire;
  for (std::size_t i = first; i < first + count; ++i) {
    wire += EncodeCommand({"SET", "p" + std::to_string(i), "v" + std::to_string(i)});
  }
  return wire;
}

TEST_F(ClientServerTest, Finding1TenThousandPipelinedCommandsGetEveryReplyInOrder) {
  StartEchoServer();
  tcp::socket s = Dial();
  auto replies = Exchange(s, SetCommands(0, 10000), 10000);
  ASSERT_EQ(replies.size(), 10000u);
  for (std::size_t i = 0; i < replies.size(); ++i) {
    ASSERT_EQ(replies[i].str, "v" + std::to_string(i)) << "reply " << i;
  }
  EXPECT_GT(server_->stats().pauses, 0u) << "the pipeline bound should have paused reading";
  s.close();
  ASSERT_TRUE(RunUntil([&] { return server_->connections() == 0; }));
}

TEST_F(ClientServerTest, Finding1APausedConnectionIsKeptUntilItsRepliesAreDelivered) {
  StartEchoServer();
  tcp::socket s = Dial();
  std::string wire;
  for (std::size_t i = 0; i < kClientPipelineMax + 10; ++i) wire += "HOLD x\r\n";
  s.non_blocking(true);
  asio::write(s, asio::buffer(wire));
  ASSERT_TRUE(RunUntil([&] { return held_weak_.size() == kClientPipelineMax; }));
  io_.run_for(std::chrono::milliseconds(50));
  // Paused, with no I/O in flight and only weak references held by the handler: still open.
  EXPECT_EQ(held_weak_.size(), kClientPipelineMax);
  EXPECT_EQ(server_->connections(), 1u);
  const auto first = held_weak_;  // completing resumes reading, which appends to held_weak_
  for (const auto& [weak, seq] : first) {
    auto session = weak.lock();
    ASSERT_NE(session, nullptr) << "the paused session was destroyed with its replies owed";
    session->Complete(seq, Bulk("ok"));
  }
  ASSERT_TRUE(RunUntil([&] { return held_weak_.size() == kClientPipelineMax + 10; }));
  for (std::size_t i = kClientPipelineMax; i < held_weak_.size(); ++i) {
    if (auto session = held_weak_[i].first.lock())
      session->Complete(held_weak_[i].second, Bulk("ok"));
  }
  auto replies = Exchange(s, "", kClientPipelineMax + 10);
  EXPECT_EQ(replies.size(), kClientPipelineMax + 10);
}

TEST_F(ClientServerTest, Finding1AHalfClosedClientStillGetsEveryReply) {
  StartEchoServer();
  tcp::socket s = Dial();
  bool eof = false;
  auto replies = Exchange(s, SetCommands(0, 1000), 1001, &eof, /*half_close=*/true);
  EXPECT_EQ(replies.size(), 1000u);
  EXPECT_TRUE(eof) << "the server closes once every reply is written";
  ASSERT_TRUE(RunUntil([&] { return server_->connections() == 0; }));
}

// Every way a session can end returns its slot: clean close, close with requests in flight,
// close while paused, reset, protocol error.
TEST_F(ClientServerTest, Finding1TwoThousandConnectDisconnectCyclesLeaveNoConnection) {
  StartEchoServer();
  const std::string deep = SetCommands(0, kClientPipelineMax + 20);
  for (int i = 0; i < 2000; ++i) {
    tcp::socket s = Dial();
    boost::system::error_code ec;
    switch (i % 5) {
      case 0:  // connect, close
        break;
      case 1:  // requests in flight
        asio::write(s, asio::buffer(SetCommands(0, 3)), ec);
        io_.run_for(std::chrono::milliseconds(1));
        break;
      case 2:  // paused on the pipeline bound, replies unread
        asio::write(s, asio::buffer(deep), ec);
        io_.run_for(std::chrono::milliseconds(2));
        break;
      case 3:  // reset (SO_LINGER 0)
        asio::write(s, asio::buffer(SetCommands(0, 2)), ec);
        s.set_option(asio::socket_base::linger(true, 0), ec);
        break;
      case 4:  // protocol error
        asio::write(s, asio::buffer(std::string("*1\r\n:bad\r\n")), ec);
        io_.run_for(std::chrono::milliseconds(1));
        break;
    }
    s.close(ec);
    if (i % 100 == 99) io_.run_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(RunUntil([&] { return server_->connections() == 0; }))
      << server_->connections() << " connections left open";
  EXPECT_EQ(server_->buffered_bytes(), 0u);
  EXPECT_EQ(server_->stats().accepted, 2000u);
}

// ---- Issue 8 finding 5: idle and slow clients, buffered bytes ----------------------------

TEST_F(ClientServerTest, Finding5AnIdleConnectionIsClosedAfterTheIdleTimeout) {
  ClientServerOptions o = ClientServerOptions::Defaults();
  o.idle_timeout_ms = 100;
  StartEchoServer(o);
  tcp::socket idle = Dial();
  tcp::socket busy = Dial();
  auto replies = Exchange(busy, SetCommands(0, 1), 1);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_TRUE(ReadsEof(idle));
  ASSERT_TRUE(RunUntil([&] { return server_->connections() == 0; }));
  EXPECT_EQ(server_->stats().closed_idle, 2u);
}

TEST_F(ClientServerTest, Finding5AConnectionWaitingForItsRepliesIsNotIdle) {
  ClientServerOptions o = ClientServerOptions::Defaults();
  o.idle_timeout_ms = 50;
  StartEchoServer(o);
  tcp::socket s = Dial();
  asio::write(s, asio::buffer(std::string("HOLD a\r\n")));
  ASSERT_TRUE(RunUntil([&] { return held_weak_.size() == 1; }));
  io_.run_for(std::chrono::milliseconds(300));
  ASSERT_EQ(server_->connections(), 1u);
  held_weak_[0].first.lock()->Complete(held_weak_[0].second, Bulk("late"));
  auto replies = Exchange(s, "", 1);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].str, "late");
}

TEST_F(ClientServerTest, Finding5AHalfSentFrameGetsAnErrorAfterTheRequestTimeout) {
  ClientServerOptions o = ClientServerOptions::Defaults();
  o.request_timeout_ms = 100;
  StartEchoServer(o);
  tcp::socket s = Dial();
  // A 2 MiB value announced, a quarter of it sent, then nothing.
  std::string half = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + std::to_string(kv::kValueBytesMax) +
                     "\r\n" + std::string(kv::kValueBytesMax / 4, 'x');
  bool eof = false;
  auto replies = Exchange(s, half, 2, &eof);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].kind, RespValue::Kind::kError);
  EXPECT_NE(replies[0].str.find("not completed within 100 ms"), std::string::npos)
      << replies[0].str;
  EXPECT_TRUE(eof);
  EXPECT_EQ(server_->stats().closed_slow_request, 1u);
  ASSERT_TRUE(RunUntil([&] { return server_->connections() == 0; }));
  EXPECT_EQ(server_->buffered_bytes(), 0u);
}

TEST_F(ClientServerTest, Finding5HalfSentFramesStayWithinTheTotalBound) {
  ClientServerOptions o = ClientServerOptions::Defaults();
  o.total_bytes_max = 2u << 20;
  StartEchoServer(o);
  std::vector<tcp::socket> clients;
  std::string header =
      "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + std::to_string(kv::kValueBytesMax) + "\r\n";
  std::size_t peak = 0;
  for (int i = 0; i < 8; ++i) {
    clients.push_back(Dial());
    clients.back().non_blocking(true);
    // Half a value each: 8 x 512 KiB would be 4 MiB buffered.
    std::string part = header + std::string(kv::kValueBytesMax / 2, 'x');
    std::size_t sent = 0;
    boost::system::error_code ec;
    while (sent < part.size() && !ec) {
      sent += clients.back().write_some(asio::buffer(part.data() + sent, part.size() - sent), ec);
      io_.run_for(std::chrono::milliseconds(2));
      peak = std::max(peak, server_->buffered_bytes());
    }
    io_.run_for(std::chrono::milliseconds(20));
    peak = std::max(peak, server_->buffered_bytes());
  }
  EXPECT_LE(peak, o.total_bytes_max);
  EXPECT_GT(server_->stats().closed_total_bound, 0u);
  EXPECT_LT(server_->connections(), 8u);
  EXPECT_GT(server_->connections(), 0u);
}

TEST_F(ClientServerTest, Finding5AClientThatNeverReadsItsRepliesIsClosedAtTheOutputBound) {
  ClientServerOptions o = ClientServerOptions::Defaults();
  o.output_bytes_pause = 64 << 10;
  o.output_bytes_max = 1 << 20;
  StartEchoServer(o);
  tcp::socket s = Dial();
  std::string wire;
  for (std::size_t i = 0; i < 64; ++i) wire += "HOLD x\r\n";
  asio::write(s, asio::buffer(wire));
  ASSERT_TRUE(RunUntil([&] { return held_weak_.size() == 64; }));
  // Requests already in flight complete with 64 KiB replies the client never reads: past the
  // output bound the connection goes, with its memory.
  const auto held = held_weak_;
  for (const auto& [weak, seq] : held) {
    if (auto session = weak.lock()) session->Complete(seq, Bulk(std::string(64 << 10, 'r')));
  }
  EXPECT_EQ(server_->stats().closed_output_bound, 1u);
  EXPECT_EQ(server_->connections(), 0u);
  EXPECT_EQ(server_->buffered_bytes(), 0u);
}

// Reading pauses while replies wait to be written, so a client that sends requests but never
// reads cannot grow zabd's output beyond the pause bound plus what is in flight.
TEST_F(ClientServerTest, Finding5ReadingPausesWhileRepliesWaitToBeWritten) {
  ClientServerOptions o = ClientServerOptions::Defaults();
  o.output_bytes_pause = 64 << 10;
  StartServer(
      o, [this](const std::shared_ptr<ClientSession>& s, uint64_t seq, std::vector<std::string>) {
        ++handled_;
        s->Complete(seq, Bulk(std::string(8 << 10, 'r')));  // 8 KiB per reply, synchronously
      });
  tcp::socket s = Dial();
  s.set_option(asio::socket_base::receive_buffer_size(4096));
  s.non_blocking(true);
  std::string pings;
  for (int i = 0; i < 5000; ++i) pings += "PING\r\n";
  std::size_t sent = 0;
  boost::system::error_code ec;
  for (int i = 0; i < 200 && sent < pings.size(); ++i) {
    sent += s.write_some(asio::buffer(pings.data() + sent, pings.size() - sent), ec);
    io_.run_for(std::chrono::milliseconds(2));
  }
  io_.run_for(std::chrono::milliseconds(50));
  EXPECT_GT(server_->stats().pauses, 0u);
  EXPECT_LT(handled_, 5000u) << "every request was executed although no reply was read";
  EXPECT_LE(server_->buffered_bytes(), o.output_bytes_pause + (64u << 10) + 8u * 1024);
  EXPECT_EQ(server_->connections(), 1u);
}

}  // namespace
}  // namespace zabd
