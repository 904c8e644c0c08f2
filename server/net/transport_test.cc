// PeerTransport against real loopback sockets, all in one io_context.
#include "server/net/transport.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <chrono>
#include <map>

#include "server/net/limits.h"
#include "server/net/wire.h"

namespace zabd {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

uint16_t FreePort() {
  asio::io_context io;
  tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

struct Node {
  uint64_t id;
  HostPort addr;
  std::vector<std::pair<uint64_t, std::string>> received;
  std::vector<uint64_t> disconnects;
  std::unique_ptr<PeerTransport> transport;
};

class TransportTest : public ::testing::Test {
 protected:
  void Make(uint64_t id, const std::string& secret, std::vector<uint64_t> peer_ids) {
    auto& n = nodes_[id];
    n.id = id;
    std::vector<PeerTransport::Peer> peers;
    for (uint64_t p : peer_ids) peers.push_back({p, addr_.at(p)});
    PeerTransport::Callbacks cb;
    cb.on_message = [&n](uint64_t from, std::string payload) {
      n.received.emplace_back(from, std::move(payload));
    };
    cb.on_disconnected = [&n](uint64_t peer) { n.disconnects.push_back(peer); };
    n.transport =
        std::make_unique<PeerTransport>(io_, id, addr_.at(id), peers, secret, std::move(cb));
    ASSERT_TRUE(n.transport->Start().ok());
  }

  // Runs the loop until `done` or a generous liveness bound (not a timing assertion).
  bool RunUntil(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.run_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  void SetUp() override {
    for (uint64_t id : {1, 2, 3}) addr_[id] = HostPort{"127.0.0.1", FreePort()};
  }

  asio::io_context io_;
  std::map<uint64_t, HostPort> addr_;
  std::map<uint64_t, Node> nodes_;
};

TEST_F(TransportTest, MessagesArriveInOrderOnEachDirectedLink) {
  Make(1, "s", {2});
  Make(2, "s", {1});
  ASSERT_TRUE(RunUntil([&] {
    return nodes_[1].transport->connected_to(2) && nodes_[2].transport->connected_to(1);
  }));
  for (int i = 0; i < 1000; ++i) nodes_[1].transport->Send(2, "m" + std::to_string(i));
  nodes_[2].transport->Send(1, "back");
  ASSERT_TRUE(RunUntil([&] { return nodes_[2].received.size() == 1000; }));
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(nodes_[2].received[i],
              (std::pair<uint64_t, std::string>{1, "m" + std::to_string(i)}));
  }
  ASSERT_TRUE(RunUntil([&] { return nodes_[1].received.size() == 1; }));
  EXPECT_EQ(nodes_[1].received[0].second, "back");
}

TEST_F(TransportTest, APeerWithTheWrongSecretIsRefused) {
  Make(1, "right", {2});
  Make(2, "wrong", {1});
  ASSERT_TRUE(RunUntil([&] { return nodes_[1].transport->stats().handshakes_refused > 0; }));
  EXPECT_FALSE(nodes_[2].transport->connected_to(1));
  nodes_[2].transport->Send(1, "intrusion");
  io_.run_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(nodes_[1].received.empty());
}

TEST_F(TransportTest, AnUnknownNodeIdIsRefused) {
  Make(1, "s", {2});  // node 1 knows only node 2
  Make(3, "s", {1});  // node 3 dials node 1 with the right secret
  ASSERT_TRUE(RunUntil([&] { return nodes_[1].transport->stats().handshakes_refused > 0; }));
  EXPECT_FALSE(nodes_[3].transport->connected_to(1) &&
               nodes_[1].transport->stats().frames_received > 0);
}

TEST_F(TransportTest, GarbageOnThePeerPortIsRefusedWithoutHarm) {
  Make(1, "s", {2});
  tcp::socket s(io_);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), addr_[1].port));
  std::string junk(kAuthBytes, 'x');
  asio::write(s, asio::buffer(junk));
  ASSERT_TRUE(RunUntil([&] { return nodes_[1].transport->stats().handshakes_refused > 0; }));
  EXPECT_TRUE(nodes_[1].received.empty());
}

TEST_F(TransportTest, ALostPeerIsReportedAndRedialledWhenItReturns) {
  Make(1, "s", {2});
  Make(2, "s", {1});
  ASSERT_TRUE(RunUntil([&] { return nodes_[1].transport->connected_to(2); }));
  nodes_[2].transport.reset();  // node 2 "crashes"
  ASSERT_TRUE(RunUntil(
      [&] { return !nodes_[1].disconnects.empty() && !nodes_[1].transport->connected_to(2); }));
  EXPECT_EQ(nodes_[1].disconnects.front(), 2u);
  nodes_[2].received.clear();
  Make(2, "s", {1});
  ASSERT_TRUE(RunUntil([&] { return nodes_[1].transport->connected_to(2); }));
  nodes_[1].transport->Send(2, "again");
  ASSERT_TRUE(RunUntil([&] { return !nodes_[2].received.empty(); }));
  EXPECT_EQ(nodes_[2].received[0].second, "again");
}

TEST_F(TransportTest, SendingToAPeerThatIsDownDropsInsteadOfQueueing) {
  Make(1, "s", {2});
  for (int i = 0; i < 10; ++i) nodes_[1].transport->Send(2, "lost");
  EXPECT_EQ(nodes_[1].transport->stats().frames_dropped, 10u);
  Make(2, "s", {1});
  ASSERT_TRUE(RunUntil([&] { return nodes_[1].transport->connected_to(2); }));
  nodes_[1].transport->Send(2, "first");
  ASSERT_TRUE(RunUntil([&] { return !nodes_[2].received.empty(); }));
  EXPECT_EQ(nodes_[2].received[0].second, "first");
}

TEST_F(TransportTest, AnOverfullSendQueueResetsTheLinkInsteadOfGrowing) {
  Make(1, "s", {2});
  Make(2, "s", {1});
  ASSERT_TRUE(RunUntil([&] { return nodes_[1].transport->connected_to(2); }));
  // The loop does not run between these sends, so nothing drains: the queue hits its bound.
  for (std::size_t i = 0; i < kPeerSendQueueFramesMax + 10; ++i) {
    nodes_[1].transport->Send(2, "x");
  }
  EXPECT_FALSE(nodes_[1].transport->connected_to(2));
  EXPECT_EQ(nodes_[1].disconnects, (std::vector<uint64_t>{2}));
  EXPECT_GT(nodes_[1].transport->stats().frames_dropped, 0u);
  // It redials and works again.
  ASSERT_TRUE(RunUntil([&] { return nodes_[1].transport->connected_to(2); }));
  nodes_[2].received.clear();
  nodes_[1].transport->Send(2, "after");
  ASSERT_TRUE(RunUntil(
      [&] { return !nodes_[2].received.empty() && nodes_[2].received.back().second == "after"; }));
}

}  // namespace
}  // namespace zabd
