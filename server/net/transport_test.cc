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
  std::vector<uint64_t> connects;
  std::function<void(uint64_t)> on_connected;  // extra action, after recording the hint
  std::unique_ptr<PeerTransport> transport;
};

class TransportTest : public ::testing::Test {
 protected:
  void Make(uint64_t id, const std::string& secret, std::vector<uint64_t> peer_ids,
            PeerLinkLimits inbound = {}) {
    auto& n = nodes_[id];
    n.id = id;
    std::vector<PeerTransport::Peer> peers;
    for (uint64_t p : peer_ids) peers.push_back({p, addr_.at(p)});
    PeerTransport::Callbacks cb;
    cb.on_message = [&n](uint64_t from, std::string payload) {
      n.received.emplace_back(from, std::move(payload));
    };
    cb.on_disconnected = [&n](uint64_t peer) { n.disconnects.push_back(peer); };
    cb.on_connected = [&n](uint64_t peer) {
      n.connects.push_back(peer);
      if (n.on_connected) n.on_connected(peer);
    };
    n.transport = std::make_unique<PeerTransport>(io_, id, addr_.at(id), peers, secret,
                                                  std::move(cb), inbound);
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

// The PeerConnected hint (zab::PeerConnected): once per established outgoing link, again after a
// redial, and a Send() from inside the callback (the core resending its vote) goes out.
TEST_F(TransportTest, EachEstablishedOutgoingLinkIsReportedAndCanBeUsedFromTheCallback) {
  nodes_[1].on_connected = [this](uint64_t peer) { nodes_[1].transport->Send(peer, "hello"); };
  Make(1, "s", {2});
  Make(2, "s", {1});
  ASSERT_TRUE(RunUntil([&] { return !nodes_[2].received.empty(); }));
  EXPECT_EQ(nodes_[2].received[0], (std::pair<uint64_t, std::string>{1, "hello"}));
  EXPECT_EQ(nodes_[1].connects, std::vector<uint64_t>{2});
  nodes_[2].transport.reset();  // node 2 "crashes" and comes back
  nodes_[2].received.clear();
  ASSERT_TRUE(RunUntil([&] { return !nodes_[1].transport->connected_to(2); }));
  Make(2, "s", {1});
  ASSERT_TRUE(RunUntil([&] { return !nodes_[2].received.empty(); }));
  EXPECT_EQ(nodes_[2].received[0].second, "hello");
  EXPECT_EQ(nodes_[1].connects, (std::vector<uint64_t>{2, 2}));
}

// Cluster start (issue 8): node 1 dialled node 2 before it was up and now waits out a redial
// backoff far beyond the test's bound; node 2 dialling in proves it is up, so node 1 redials
// at once instead of leaving its votes to node 2 undelivered until the backoff ends.
TEST_F(TransportTest, APeerThatDialsInIsDialledBackAtOnceInsteadOfAfterTheBackoff) {
  PeerLinkLimits limits;
  limits.redial_backoff_ms_min = limits.redial_backoff_ms_max = 600'000;
  Make(1, "s", {2}, limits);
  io_.run_for(std::chrono::milliseconds(50));  // its first dial fails: node 2 is not up
  ASSERT_FALSE(nodes_[1].transport->connected_to(2));
  Make(2, "s", {1});
  ASSERT_TRUE(RunUntil([&] { return nodes_[1].transport->connected_to(2); }));
  nodes_[1].transport->Send(2, "vote");
  ASSERT_TRUE(RunUntil([&] { return !nodes_[2].received.empty(); }));
  EXPECT_EQ(nodes_[2].received[0].second, "vote");
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

// A stranger holding raw TCP connections to a peer port: each socket connects, never sends a
// byte, and is reopened `reopen_ms` after the listener closes it (a holder, not a flooder).
class SocketHolder {
 public:
  SocketHolder(asio::io_context& io, uint16_t port, int count, uint64_t reopen_ms,
               const char* source = "127.0.0.1")
      : io_(io),
        target_(asio::ip::make_address("127.0.0.1"), port),
        source_(asio::ip::make_address(source), 0),
        reopen_ms_(reopen_ms) {
    for (int i = 0; i < count; ++i) {
      slots_.push_back(std::make_unique<Slot>(io));
      Open(slots_.back().get());
    }
  }
  ~SocketHolder() {
    stopped_ = true;
    for (auto& s : slots_) {
      boost::system::error_code ignored;
      s->socket.close(ignored);
      s->timer.cancel();
    }
    io_.poll();  // let the cancelled handlers run while the slots still exist
  }
  int open() const {
    int n = 0;
    for (const auto& s : slots_) n += s->open ? 1 : 0;
    return n;
  }
  // The first socket: connected, and not closed by the listener (its hello read, then a
  // non-blocking read says "would block" rather than EOF).
  bool FirstStillOpen() {
    Slot* s = slots_.front().get();
    if (!s->open) return false;
    boost::system::error_code ec;
    s->socket.non_blocking(true, ec);
    char c;
    s->socket.read_some(asio::buffer(&c, 1), ec);
    return ec == asio::error::would_block;
  }

 private:
  struct Slot {
    explicit Slot(asio::io_context& io) : socket(io), timer(io) {}
    tcp::socket socket;
    asio::steady_timer timer;
    std::array<char, kHelloBytes> hello{};
    bool open = false;
  };
  void Open(Slot* s) {
    if (stopped_) return;
    boost::system::error_code ignored;
    s->socket.close(ignored);
    s->socket.open(tcp::v4(), ignored);
    s->socket.bind(source_, ignored);
    s->socket.async_connect(target_, [this, s](boost::system::error_code ec) {
      if (stopped_) return;
      if (ec) return Reopen(s);
      s->open = true;
      // Read the listener's hello, then wait for the close that must come (never answer).
      asio::async_read(
          s->socket, asio::buffer(s->hello), [this, s](boost::system::error_code ec, std::size_t) {
            if (stopped_) return;
            if (ec) return Reopen(s);
            s->socket.async_wait(tcp::socket::wait_read, [this, s](boost::system::error_code) {
              if (!stopped_) Reopen(s);
            });
          });
    });
  }
  void Reopen(Slot* s) {
    s->open = false;
    s->timer.expires_after(std::chrono::milliseconds(reopen_ms_));
    s->timer.async_wait([this, s](boost::system::error_code ec) {
      if (!ec && !stopped_) Open(s);
    });
  }
  asio::io_context& io_;
  tcp::endpoint target_, source_;
  uint64_t reopen_ms_;
  bool stopped_ = false;
  std::vector<std::unique_ptr<Slot>> slots_;
};

// Issue 8 finding 2: more than 64 half-open connections to the leader's peer port kept a
// restarted follower LOOKING for as long as they were held (one pool of 64 for everyone,
// newcomers refused when full). Here 120 sockets are held (reopened 100 ms after each close);
// node 2 must still get in and deliver.
TEST_F(TransportTest, HalfOpenConnectionsOnThePeerPortDoNotKeepARealPeerOut) {
  Make(1, "s", {2});
  SocketHolder stranger(io_, addr_[1].port, 120, 100);
  ASSERT_TRUE(RunUntil([&] {
    return nodes_[1].transport->stats().inbound_unauthenticated >= kPeerUnauthenticatedMax;
  }));
  Make(2, "s", {1});
  ASSERT_TRUE(RunUntil([&] { return nodes_[2].transport->connected_to(1); }))
      << "node 2 never got past " << stranger.open() << " held sockets";
  nodes_[2].transport->Send(1, "joined");
  ASSERT_TRUE(RunUntil([&] { return !nodes_[1].received.empty(); }));
  EXPECT_EQ(nodes_[1].received[0], (std::pair<uint64_t, std::string>{2, "joined"}));
  EXPECT_GT(nodes_[1].transport->stats().inbound_evicted, 0u);
  EXPECT_LE(nodes_[1].transport->stats().inbound_unauthenticated, kPeerUnauthenticatedMax);
  // The authenticated link does not take a handshaking slot: the stranger still fills the pool.
  ASSERT_TRUE(RunUntil([&] {
    return nodes_[1].transport->stats().inbound_unauthenticated == kPeerUnauthenticatedMax;
  }));
  EXPECT_TRUE(nodes_[2].transport->connected_to(1));
}

TEST_F(TransportTest, AFloodFromOneAddressEvictsOnlyItsOwnHandshakingConnections) {
  // A pool of 8 and a handshake timeout far beyond the test: only eviction closes anything.
  Make(1, "s", {2}, PeerLinkLimits{8, 600'000});
  SocketHolder other(io_, addr_[1].port, 1, 600'000, "127.0.0.2");
  ASSERT_TRUE(RunUntil([&] { return nodes_[1].transport->stats().inbound_unauthenticated == 1; }));
  SocketHolder flood(io_, addr_[1].port, 40, 600'000, "127.0.0.1");
  ASSERT_TRUE(RunUntil([&] { return nodes_[1].transport->stats().inbound_evicted >= 33; }));
  EXPECT_EQ(nodes_[1].transport->stats().inbound_unauthenticated, 8u);
  EXPECT_TRUE(other.FirstStillOpen()) << "the flood from 127.0.0.1 evicted 127.0.0.2's socket";
}

TEST_F(TransportTest, AStrangerThatNeverAnswersTheHelloIsClosedAfterTheInboundTimeout) {
  Make(1, "s", {2}, PeerLinkLimits{kPeerUnauthenticatedMax, 100});
  SocketHolder stranger(io_, addr_[1].port, 1, 600'000);
  ASSERT_TRUE(RunUntil([&] { return nodes_[1].transport->stats().handshakes_refused == 1; }));
  EXPECT_EQ(nodes_[1].transport->stats().inbound_unauthenticated, 0u);
  EXPECT_EQ(nodes_[1].transport->stats().inbound_evicted, 0u);
}

}  // namespace
}  // namespace zabd
