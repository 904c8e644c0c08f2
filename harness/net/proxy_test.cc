#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio.hpp>
#include <optional>
#include <set>
#include <thread>

#include "harness/net/proxy_partitioner.h"

namespace faultline::harness {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// A loopback echo server on its own thread; counts the bytes it received.
class EchoServer {
 public:
  EchoServer() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~EchoServer() {
    asio::post(io_, [this] {
      acceptor_.close();
      for (auto& weak : sessions_) {
        boost::system::error_code ec;
        if (auto s = weak.lock()) s->socket.close(ec);
      }
    });
    thread_.join();
  }
  Endpoint endpoint() const { return {"127.0.0.1", acceptor_.local_endpoint().port()}; }
  uint64_t received() const { return received_; }

 private:
  struct Session {
    explicit Session(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    std::array<char, 4096> buffer;
  };
  void Accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) return;
      auto session = std::make_shared<Session>(std::move(socket));
      sessions_.push_back(session);
      Echo(session);
      Accept();
    });
  }
  void Echo(std::shared_ptr<Session> s) {
    s->socket.async_read_some(asio::buffer(s->buffer),
                              [this, s](boost::system::error_code ec, size_t n) {
                                if (ec) return;
                                received_ += n;
                                asio::async_write(s->socket, asio::buffer(s->buffer.data(), n),
                                                  [this, s](boost::system::error_code ec, size_t) {
                                                    if (!ec) Echo(s);
                                                  });
                              });
  }
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::vector<std::weak_ptr<Session>> sessions_;  // io thread only
  std::atomic<uint64_t> received_{0};
  std::thread thread_;
};

// The dialing node's side: a blocking socket whose reads give up after a generous 30 s without
// data, so a broken proxy fails the test instead of hanging it.
class Dialer {
 public:
  explicit Dialer(const Endpoint& to) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address(to.host), to.port));
  }
  // The listening node's side of a connection it accepted.
  explicit Dialer(tcp::socket accepted) : socket_(std::move(accepted)) {}
  void Send(const std::string& data) { asio::write(socket_, asio::buffer(data)); }
  // Reads exactly n bytes; "" on EOF, reset or 30 s without data.
  std::string Receive(size_t n) {
    std::string out(n, '\0');
    for (size_t got = 0; got < n;) {
      if (!Readable()) return "";
      boost::system::error_code ec;
      got += socket_.read_some(asio::buffer(out.data() + got, n - got), ec);
      if (ec) return "";
    }
    return out;
  }
  // True when the proxy closed the connection (EOF or reset), false on data or timeout.
  bool Closed() {
    const boost::system::error_code ec = End();
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }
  // What the next read ends with: eof (FIN) or connection_reset (RST); success when data arrived
  // instead; timed_out when nothing came within 30 s.
  boost::system::error_code End() {
    if (!Readable()) return asio::error::timed_out;
    char c;
    boost::system::error_code ec;
    socket_.read_some(asio::buffer(&c, 1), ec);
    return ec;
  }
  // Dies as a killed process with unread input does: an RST instead of a FIN.
  void Reset() {
    socket_.set_option(asio::socket_base::linger(true, 0));
    socket_.close();
  }
  void Close() { socket_.close(); }

 private:
  // Data, an end or an error within 30 s. (A poll: asio's blocking read waits for readiness
  // itself, so SO_RCVTIMEO would not bound it.)
  bool Readable() {
    pollfd p{socket_.native_handle(), POLLIN, 0};
    return ::poll(&p, 1, 30'000) > 0;
  }
  asio::io_context io_;
  tcp::socket socket_;
};

// Polls a counter until it reaches `at_least` (not a timing assertion: a generous deadline only
// turns a hang into a failure).
template <typename F>
bool Eventually(F f) {
  for (int i = 0; i < 1000; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

class ProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto proxy = ProxyPartitioner::Create({{1, one_.endpoint()}, {2, two_.endpoint()}});
    ASSERT_TRUE(proxy.ok()) << proxy.status().ToString();
    proxy_ = std::move(*proxy);
  }
  Endpoint Route(NodeId from, NodeId to) { return proxy_->Routes().at({from, to}); }

  EchoServer one_;
  EchoServer two_;
  std::unique_ptr<ProxyPartitioner> proxy_;
};

TEST_F(ProxyTest, HealedLinkForwardsBytesBothWays) {
  Dialer node1(Route(1, 2));
  node1.Send("hello");
  EXPECT_EQ(node1.Receive(5), "hello");
  EXPECT_EQ(two_.received(), 5u);
  EXPECT_EQ(one_.received(), 0u);
  EXPECT_EQ(proxy_->Stats(1, 2).bytes_forwarded, 5u);
  EXPECT_EQ(proxy_->Stats(2, 1).bytes_forwarded, 5u);
  EXPECT_EQ(proxy_->Stats(1, 2).accepted, 1u);
}

TEST_F(ProxyTest, CutBothWaysClosesOpenConnectionsAndClosesNewOnesAtOnce) {
  Dialer early(Route(1, 2));
  Dialer reverse(Route(2, 1));
  early.Send("x");
  ASSERT_EQ(early.Receive(1), "x");
  reverse.Send("y");
  ASSERT_EQ(reverse.Receive(1), "y");
  ASSERT_TRUE(proxy_->Apply(IsolateNode({1, 2}, 1)).ok());
  EXPECT_TRUE(early.Closed());
  EXPECT_TRUE(reverse.Closed());
  Dialer late(Route(1, 2));
  EXPECT_TRUE(late.Closed());
  EXPECT_EQ(proxy_->Stats(1, 2).refused, 1u);
  EXPECT_EQ(proxy_->Stats(1, 2).dropped, 1u);
}

TEST_F(ProxyTest, HealAfterACutLetsNewConnectionsThrough) {
  ASSERT_TRUE(proxy_->Apply(IsolateNode({1, 2}, 2)).ok());
  ASSERT_TRUE(proxy_->Heal().ok());
  Dialer node1(Route(1, 2));
  node1.Send("back");
  EXPECT_EQ(node1.Receive(4), "back");
}

TEST_F(ProxyTest, ApplyingAnEmptyGrudgeReplacesTheOldOne) {
  ASSERT_TRUE(proxy_->Apply(IsolateNode({1, 2}, 2)).ok());
  ASSERT_TRUE(proxy_->Apply({}).ok());
  Dialer node1(Route(1, 2));
  node1.Send("ok");
  EXPECT_EQ(node1.Receive(2), "ok");
}

TEST_F(ProxyTest, OneWayCutKillsOnlyTheCutLinkAndTheReverseLinkStillCarriesBothWays) {
  Dialer one_to_two(Route(1, 2));
  Dialer two_to_one(Route(2, 1));
  one_to_two.Send("a");
  ASSERT_EQ(one_to_two.Receive(1), "a");
  ASSERT_TRUE(proxy_->Apply(OneWayLinks({{1, 2}})).ok());  // 2 drops packets from 1
  EXPECT_TRUE(one_to_two.Closed());
  Dialer again(Route(1, 2));
  EXPECT_TRUE(again.Closed());
  EXPECT_EQ(proxy_->Stats(1, 2).refused, 1u);
  // 2 still reaches 1, and 1's replies on 2's connection still come back.
  two_to_one.Send("b");
  EXPECT_EQ(two_to_one.Receive(1), "b");
  EXPECT_EQ(one_.received(), 1u);
}

TEST_F(ProxyTest, AChunkDelayedWhenACutArrivesIsNeverDelivered) {
  ASSERT_TRUE(proxy_->SetDelay(1, 2, 60'000).ok());  // long enough to still be waiting
  Dialer node1(Route(1, 2));
  node1.Send("late");
  ASSERT_TRUE(Eventually([&] { return proxy_->Stats(1, 2).chunks_delayed == 1; }));
  ASSERT_TRUE(proxy_->Apply(OneWayLinks({{1, 2}})).ok());
  EXPECT_TRUE(node1.Closed());
  EXPECT_EQ(two_.received(), 0u);
}

TEST_F(ProxyTest, DelayedLinksStillDeliverEveryByteInOrder) {
  ASSERT_TRUE(proxy_->SetDelay(1, 2, 20).ok());
  ASSERT_TRUE(proxy_->SetDelay(2, 1, 20).ok());
  Dialer node1(Route(1, 2));
  node1.Send("a");
  node1.Send("b");
  node1.Send("c");
  EXPECT_EQ(node1.Receive(3), "abc");
  EXPECT_GE(proxy_->Stats(1, 2).chunks_delayed, 1u);
  EXPECT_GE(proxy_->Stats(2, 1).chunks_delayed, 1u);
  ASSERT_TRUE(proxy_->SetDelay(1, 2, 0).ok());
  ASSERT_TRUE(proxy_->SetDelay(2, 1, 0).ok());
  const auto delayed = proxy_->Stats(1, 2).chunks_delayed;
  node1.Send("d");
  EXPECT_EQ(node1.Receive(1), "d");
  EXPECT_EQ(proxy_->Stats(1, 2).chunks_delayed, delayed);
}

TEST_F(ProxyTest, CertainLossClosesTheConnectionOnItsFirstChunk) {
  ASSERT_TRUE(proxy_->SetLoss(1, 2, 1.0).ok());
  Dialer node1(Route(1, 2));
  node1.Send("x");
  EXPECT_TRUE(node1.Closed());
  EXPECT_EQ(two_.received(), 0u);
  EXPECT_EQ(proxy_->Stats(1, 2).dropped, 1u);
}

TEST_F(ProxyTest, BadArgumentsAreRejected) {
  EXPECT_EQ(proxy_->Apply({{3, {1}}}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(proxy_->SetDelay(1, 1, 5).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(proxy_->SetLoss(1, 2, 1.5).code(), StatusCode::kInvalidArgument);
}

// Node 2's real peer port, where the test accepts the proxy's upstream connections itself (so
// it can close or reset the listening node's side as a dying process would).
class PeerListener {
 public:
  PeerListener() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
  Endpoint endpoint() const { return {"127.0.0.1", acceptor_.local_endpoint().port()}; }
  tcp::socket Accept() { return acceptor_.accept(); }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
};

// Node 1 dials node 2 through the proxy; `dialer` is node 1's side, `listener` node 2's.
struct ProxiedPair {
  ProxiedPair() {
    auto created = ProxyPartitioner::Create({{1, one.endpoint()}, {2, two.endpoint()}});
    if (created.ok()) proxy = std::move(*created);
  }
  void Connect() {
    dialer.emplace(proxy->Routes().at({1, 2}));
    listener.emplace(two.Accept());
  }
  EchoServer one;
  PeerListener two;
  std::unique_ptr<ProxyPartitioner> proxy;
  std::optional<Dialer> dialer;
  std::optional<Dialer> listener;
};

// Regression (delayed data before the close after a node dies): chunks a delay held were
// written out when the delay ran out and only then the connection closed, so a peer of a killed
// node received the dead node's last message seconds after its death and learned of the death
// only then (real ZooKeeper followers, which only read on their leader connection, kept
// following a dead leader for the whole delay; the ZooKeeper scenarios cut the dead leader's
// links to work around it). Now the end of the source closes the other side at once and the held
// chunks are dropped. Without the fix End() returns the held byte when the 20 s delay runs out
// (not an eof), and nothing is discarded.
TEST(ProxyNodeDeathTest, DelayedDataBeforeCloseRegressionHeldChunksDieWithTheirSender) {
  ProxiedPair p;
  ASSERT_NE(p.proxy, nullptr);
  ASSERT_TRUE(p.proxy->SetDelay(2, 1, 20'000).ok());
  p.Connect();
  p.listener->Send("proposal");
  ASSERT_TRUE(Eventually([&] { return p.proxy->Stats(2, 1).chunks_delayed == 1; }));
  p.listener->Close();  // node 2 dies (a FIN: it had read everything)
  EXPECT_EQ(p.dialer->End(), asio::error::eof);
  EXPECT_TRUE(Eventually([&] { return p.proxy->Stats(2, 1).chunks_discarded == 1; }));
  EXPECT_EQ(p.proxy->Stats(2, 1).bytes_forwarded, 0u);
}

// The same in the other direction: the dialing node dies while the proxy holds what it sent.
TEST(ProxyNodeDeathTest, TheDialersDeathDropsWhatItsDelayHeldAndEndsTheListenersSide) {
  ProxiedPair p;
  ASSERT_NE(p.proxy, nullptr);
  ASSERT_TRUE(p.proxy->SetDelay(1, 2, 20'000).ok());
  p.Connect();
  p.dialer->Send("ack");
  ASSERT_TRUE(Eventually([&] { return p.proxy->Stats(1, 2).chunks_delayed == 1; }));
  p.dialer->Close();
  EXPECT_EQ(p.listener->End(), asio::error::eof);
  EXPECT_EQ(p.proxy->Stats(1, 2).chunks_discarded, 1u);
}

// A reset (a process killed with unread input sends an RST) reaches the other side as a reset,
// not as an orderly end.
TEST(ProxyNodeDeathTest, AResetSourceResetsTheOtherSide) {
  ProxiedPair p;
  ASSERT_NE(p.proxy, nullptr);
  p.Connect();
  p.dialer->Send("x");  // the link works
  ASSERT_EQ(p.listener->Receive(1), "x");
  p.listener->Reset();
  EXPECT_EQ(p.dialer->End(), asio::error::connection_reset);
}

// Without a delay, everything the dying node wrote before its end arrives, in order, then the end.
TEST(ProxyNodeDeathTest, UndelayedBytesWrittenBeforeTheEndAllArriveBeforeIt) {
  ProxiedPair p;
  ASSERT_NE(p.proxy, nullptr);
  p.Connect();
  std::string data(1 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 26);
  std::thread writer([&] {
    p.listener->Send(data);
    p.listener->Close();
  });
  EXPECT_EQ(p.dialer->Receive(data.size()), data);
  EXPECT_EQ(p.dialer->End(), asio::error::eof);
  writer.join();
}

// A loopback port nothing listens on (bound once to learn a free one, then closed).
uint16_t UnusedPort() {
  asio::io_context io;
  tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return probe.local_endpoint().port();
}

// Regression (a listener not bound yet ended the dialer's connection at once): the proxy
// accepts the dialer before it dials the listening node, and a refused dial closed the dialer's
// side straight away. A ZooKeeper leader binds its quorum port only once it is LEADING, and its
// followers, which decided at the same moment, often connect first: directly they get a refused
// connect and retry; through the proxy they saw connect-then-EOF, went back to LOOKING, and the
// election started over (the zookeeper q3 scenario stayed LOOKING 20 s). Now a refused dial is
// retried for a while and the dialer's bytes wait for the node. Without the fix the dialer's
// End() is an eof and the late listener never sees a connection.
TEST(ProxyNodeDeathTest, ListenerNotBoundYetRegressionARefusedDialIsRetriedUntilTheNodeListens) {
  EchoServer one;
  const uint16_t port = UnusedPort();
  auto created = ProxyPartitioner::Create({{1, one.endpoint()}, {2, {"127.0.0.1", port}}});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  auto& proxy = *created;
  Dialer dialer(proxy->Routes().at({1, 2}));
  dialer.Send("followerinfo");
  ASSERT_TRUE(Eventually([&] { return proxy->Stats(1, 2).dials_refused >= 1; }));
  asio::io_context io;
  tcp::acceptor late(io);
  late.open(tcp::v4());
  late.set_option(asio::socket_base::reuse_address(true));
  late.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  late.listen();
  pollfd p{late.native_handle(), POLLIN, 0};
  ASSERT_GT(::poll(&p, 1, 10'000), 0) << "the proxy never dialed again";
  Dialer listener(late.accept());
  EXPECT_EQ(listener.Receive(12), "followerinfo");
  listener.Send("leaderinfo");
  EXPECT_EQ(dialer.Receive(10), "leaderinfo");
}

// A node that stays down: the retries end and the dialer gets a reset, the nearest thing to the
// refusal a direct connect gets (it was an orderly eof, as if the node had closed).
TEST(ProxyNodeDeathTest, ADialToANodeThatNeverListensEndsWithAReset) {
  EchoServer one;
  auto created =
      ProxyPartitioner::Create({{1, one.endpoint()}, {2, {"127.0.0.1", UnusedPort()}}});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  Dialer dialer((*created)->Routes().at({1, 2}));
  EXPECT_EQ(dialer.End(), asio::error::connection_reset);
  EXPECT_GE((*created)->Stats(1, 2).dials_refused, 1u);
}

TEST(ProxyRoutesTest, EveryDirectedLinkOfFiveNodesGetsItsOwnListener) {
  std::map<NodeId, Endpoint> peers;
  for (NodeId id = 1; id <= 5; ++id) peers[id] = {"127.0.0.1", static_cast<uint16_t>(1 + id)};
  auto proxy = ProxyPartitioner::Create(peers);
  ASSERT_TRUE(proxy.ok());
  auto routes = (*proxy)->Routes();
  EXPECT_EQ(routes.size(), 20u);
  std::set<uint16_t> ports;
  for (const auto& [link, endpoint] : routes) {
    EXPECT_NE(link.first, link.second);
    ports.insert(endpoint.port);
  }
  EXPECT_EQ(ports.size(), 20u);
}

}  // namespace
}  // namespace faultline::harness
