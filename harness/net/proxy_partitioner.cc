#include "harness/net/proxy_partitioner.h"

#include <fmt/format.h>

#include <array>
#include <boost/asio.hpp>
#include <chrono>
#include <deque>
#include <future>
#include <list>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace faultline::harness {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using Pair = std::pair<NodeId, NodeId>;

constexpr size_t kChunkBytes = 16 * 1024;

// A refused dial of the listening node is retried this long (Impl::Dial).
constexpr auto kRefusedRetryWindow = std::chrono::milliseconds(500);
constexpr auto kRefusedRetryStep = std::chrono::milliseconds(20);

struct Settings {
  bool cut = false;
  int delay_ms = 0;
  double loss = 0.0;
};

using Clock = std::chrono::steady_clock;

// At most this many bytes read and not yet delivered per direction; beyond it the proxy stops
// reading that direction's source until the sink drains (a slow node must not grow the proxy).
constexpr size_t kMaxQueuedBytes = 16 * 1024 * 1024;

// Bytes read from a direction's source and not yet written to its sink, in order.
struct Chunk {
  std::vector<char> data;
  Clock::time_point due;  // when a delay lets it go (read time when undelayed)
  bool delayed = false;
};

// One data direction of a connection (0: initiator -> acceptor, 1: the reverse).
struct Direction {
  explicit Direction(asio::io_context& io) : timer(io) {}
  std::array<char, kChunkBytes> buffer;
  std::deque<Chunk> queue;  // front is being written when `writing`
  size_t queued_bytes = 0;
  bool reading = false;
  bool writing = false;
  bool waiting = false;       // the timer waits for the front chunk's due time
  bool source_ended = false;  // EOF or error on the source: close once the queue is flushed
  asio::steady_timer timer;
};

// One proxied connection: `down` is the dialing node's side, `up` the listening node's side.
// Lives on the io thread only; kept alive by the handlers that reference it.
struct ProxyConnection : std::enable_shared_from_this<ProxyConnection> {
  ProxyConnection(asio::io_context& io, NodeId initiator, NodeId acceptor)
      : initiator(initiator),
        acceptor(acceptor),
        down(io),
        up(io),
        dirs{Direction(io), Direction(io)} {}

  tcp::socket& Source(int dir) { return dir == 0 ? down : up; }
  tcp::socket& Sink(int dir) { return dir == 0 ? up : down; }
  NodeId From(int dir) const { return dir == 0 ? initiator : acceptor; }
  NodeId To(int dir) const { return dir == 0 ? acceptor : initiator; }

  // Closes both sides: a FIN to each, or with `reset` an RST (SO_LINGER 0), as a peer whose
  // connection was reset shows it.
  void Close(bool reset = false) {
    if (closed) return;
    closed = true;
    boost::system::error_code ec;
    for (tcp::socket* socket : {&down, &up}) {
      if (reset) {
        socket->set_option(asio::socket_base::linger(true, 0), ec);
      } else {
        socket->shutdown(tcp::socket::shutdown_both, ec);
      }
      socket->close(ec);
    }
    for (Direction& d : dirs)
      d.timer.cancel();  // queues go with the connection (a write may
                         // still reference its chunk until aborted)
  }

  const NodeId initiator;
  const NodeId acceptor;
  tcp::socket down;
  tcp::socket up;
  std::array<Direction, 2> dirs;
  bool closed = false;
  bool reset = false;  // a source ended with an error (a reset): the close is an RST
};

}  // namespace

struct ProxyPartitioner::Impl : std::enable_shared_from_this<ProxyPartitioner::Impl> {
  enum class Verdict { kForward, kDrop };

  asio::io_context io;  // declared first: destroyed last, after every socket
  using PortLink = ProxyPartitioner::PortLink;
  std::map<NodeId, std::map<std::string, Endpoint>> peers;
  std::map<PortLink, std::unique_ptr<tcp::acceptor>> acceptors;  // by listener
  std::map<PortLink, Endpoint> routes;
  std::map<Pair, std::list<std::weak_ptr<ProxyConnection>>> live;  // by listener link; io thread
  std::thread thread;

  mutable std::mutex mu;              // guards settings, stats, rng
  std::map<Pair, Settings> settings;  // by directed data pair; absent = normal
  std::map<Pair, LinkStats> stats;
  std::mt19937_64 rng;

  bool HasPair(NodeId from, NodeId to) const {
    return from != to && peers.contains(from) && peers.contains(to);
  }

  // Link (from, to) is dead when the grudge says `to` drops packets from `from`.
  bool LinkCutLocked(const Pair& link) const {
    auto it = settings.find(link);
    return it != settings.end() && it->second.cut;
  }

  // Decides the fate of one chunk of `bytes` flowing in direction `dir` of `conn`, and counts it.
  Verdict Decide(const ProxyConnection& conn, int dir, size_t bytes, int* delay_ms,
                 bool after_delay) {
    const NodeId from = conn.From(dir);
    const NodeId to = conn.To(dir);
    std::lock_guard lock(mu);
    Settings s;
    if (auto it = settings.find({from, to}); it != settings.end()) s = it->second;
    LinkStats& st = stats[{from, to}];
    if (LinkCutLocked({conn.initiator, conn.acceptor})) {
      // Cut while the chunk was read or delayed: Apply is closing the connection anyway.
      ++stats[{conn.initiator, conn.acceptor}].dropped;
      return Verdict::kDrop;
    }
    if (!after_delay && s.loss > 0.0 &&
        std::uniform_real_distribution<double>(0, 1)(rng) < s.loss) {
      ++stats[{conn.initiator, conn.acceptor}].dropped;
      return Verdict::kDrop;
    }
    *delay_ms = after_delay ? 0 : s.delay_ms;
    if (*delay_ms > 0) {
      ++st.chunks_delayed;
    } else {
      st.bytes_forwarded += bytes;
    }
    return Verdict::kForward;
  }

  void Accept(PortLink listener) {
    auto self = shared_from_this();
    auto& acceptor = *acceptors.at(listener);
    acceptor.async_accept([this, self, listener](boost::system::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptors.at(listener)->is_open()) return;
      if (!ec) OnAccepted(listener, std::move(socket));
      Accept(listener);
    });
  }

  void OnAccepted(const PortLink& listener, tcp::socket socket) {
    const Pair link{listener.from, listener.to};
    auto conn = std::make_shared<ProxyConnection>(io, link.first, link.second);
    conn->down = std::move(socket);
    {
      std::lock_guard lock(mu);
      LinkStats& st = stats[link];
      ++st.accepted;
      if (LinkCutLocked(link)) {
        ++st.refused;
        conn->Close();
        return;
      }
    }
    auto& list = live[link];
    list.remove_if([](const auto& weak) { return weak.expired(); });
    list.push_back(conn);
    const Endpoint& target = peers.at(link.second).at(listener.port);
    const tcp::endpoint endpoint(asio::ip::make_address(target.host), target.port);
    Dial(conn, endpoint, Clock::now() + kRefusedRetryWindow);
  }

  // Connects the listening node's side. The proxy has already accepted the dialer, so a refused
  // dial cannot be shown as the refusal it is; a listener that is not bound *yet* (a ZooKeeper
  // leader binds its quorum port only once it is LEADING, while its followers already connect)
  // would end the dialer's connection at once, which a direct connection never does: the dialer
  // would see connect-then-EOF and give up (a follower goes back to LOOKING) instead of
  // retrying a refused connect. So a refused dial is retried every kRefusedRetryStep for up to
  // kRefusedRetryWindow, the dialer's bytes waiting in its socket; then the dialer gets an RST,
  // the nearest thing to the refusal.
  void Dial(const std::shared_ptr<ProxyConnection>& conn, const tcp::endpoint& endpoint,
            Clock::time_point deadline) {
    conn->up.async_connect(endpoint, [this, self = shared_from_this(), conn, endpoint,
                                      deadline](boost::system::error_code ec) {
      if (conn->closed) return;
      if (ec == asio::error::connection_refused && Clock::now() < deadline) {
        {
          std::lock_guard lock(mu);
          ++stats[{conn->initiator, conn->acceptor}].dials_refused;
          if (LinkCutLocked({conn->initiator, conn->acceptor})) {
            conn->Close();
            return;
          }
        }
        boost::system::error_code ignored;
        conn->up.close(ignored);  // a fresh socket for the next try
        auto& timer = conn->dirs[0].timer;  // unused until the connection pumps
        timer.expires_after(kRefusedRetryStep);
        timer.async_wait([this, self, conn, endpoint, deadline](boost::system::error_code wec) {
          if (wec || conn->closed) return;
          Dial(conn, endpoint, deadline);
        });
        return;
      }
      if (ec) {
        conn->Close(/*reset=*/true);
        return;
      }
      Pump(conn, 0);
      Pump(conn, 1);
    });
  }

  // Reads the next chunk of direction `dir` from its source. The source is read while earlier
  // chunks wait for their delay or their write, so the proxy sees a source end (its node died or
  // closed) at once, not after the data it holds.
  void Pump(std::shared_ptr<ProxyConnection> conn, int dir) {
    Direction& d = conn->dirs[dir];
    if (conn->closed || d.reading || d.source_ended || d.queued_bytes >= kMaxQueuedBytes) return;
    d.reading = true;
    conn->Source(dir).async_read_some(
        asio::buffer(d.buffer),
        [this, self = shared_from_this(), conn, dir](boost::system::error_code ec, size_t n) {
          Direction& d = conn->dirs[dir];
          d.reading = false;
          if (conn->closed) return;
          if (ec) {
            SourceEnded(conn, dir, ec != asio::error::eof);
            return;
          }
          int delay_ms = 0;
          if (Decide(*conn, dir, n, &delay_ms, false) == Verdict::kDrop) {
            conn->Close();
            return;
          }
          Chunk chunk{std::vector<char>(d.buffer.begin(), d.buffer.begin() + n), Clock::now(),
                      delay_ms > 0};
          chunk.due += std::chrono::milliseconds(delay_ms);
          // Order is preserved when the delay shrinks: no chunk goes before the one ahead of it.
          if (!d.queue.empty() && chunk.due < d.queue.back().due) chunk.due = d.queue.back().due;
          d.queued_bytes += n;
          d.queue.push_back(std::move(chunk));
          Flush(conn, dir);
          Pump(conn, dir);
        });
  }

  // The source of direction `dir` ended: its node closed the connection or died (EOF), or the
  // connection was reset (`reset`). What a TCP connection to a dead peer shows: the bytes the
  // peer got out before the end arrive, then the end, at once. Chunks the proxy still holds for a
  // delay are the dead peer's unsent data: they are dropped and the connection closes now (an
  // RST after a reset), instead of delivering them first and closing when the delay runs out.
  // Chunks already due (queued behind a write) are flushed first, then the connection closes.
  void SourceEnded(const std::shared_ptr<ProxyConnection>& conn, int dir, bool reset) {
    Direction& d = conn->dirs[dir];
    d.source_ended = true;
    conn->reset = conn->reset || reset;
    const auto now = Clock::now();
    size_t keep = 0;
    while (keep < d.queue.size() && (d.queue[keep].due <= now || (d.writing && keep == 0))) {
      ++keep;
    }
    if (keep < d.queue.size()) {
      std::lock_guard lock(mu);
      stats[{conn->From(dir), conn->To(dir)}].chunks_discarded += d.queue.size() - keep;
      d.queue.resize(keep);
    }
    if (d.queue.empty() || conn->reset) {
      conn->Close(conn->reset);
      return;
    }
    Flush(conn, dir);
  }

  // Writes the queue's front chunk to the sink once its delay is over.
  void Flush(std::shared_ptr<ProxyConnection> conn, int dir) {
    Direction& d = conn->dirs[dir];
    if (conn->closed || d.writing || d.waiting) return;
    if (d.queue.empty()) {
      if (d.source_ended) conn->Close(conn->reset);
      return;
    }
    Chunk& front = d.queue.front();
    if (front.due > Clock::now()) {
      d.waiting = true;
      d.timer.expires_at(front.due);
      d.timer.async_wait([this, self = shared_from_this(), conn, dir](boost::system::error_code) {
        conn->dirs[dir].waiting = false;
        Flush(conn, dir);
      });
      return;
    }
    // A cut that arrived while the chunk waited drops the connection.
    int unused = 0;
    if (front.delayed && Decide(*conn, dir, front.data.size(), &unused, true) == Verdict::kDrop) {
      conn->Close();
      return;
    }
    d.writing = true;
    asio::async_write(
        conn->Sink(dir), asio::buffer(front.data),
        [this, self = shared_from_this(), conn, dir](boost::system::error_code ec, size_t) {
          Direction& d = conn->dirs[dir];
          d.writing = false;
          if (conn->closed) return;
          if (ec) {
            conn->Close();
            return;
          }
          d.queued_bytes -= d.queue.front().data.size();
          d.queue.pop_front();
          Flush(conn, dir);
          Pump(conn, dir);
        });
  }

  // Runs `fn` on the io thread and waits for it.
  void RunOnIo(std::function<void()> fn) {
    std::promise<void> done;
    asio::post(io, [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }

  // io thread: closes the connections of every cut link.
  void CloseCutLinks() {
    for (auto& [link, list] : live) {
      bool cut;
      {
        std::lock_guard lock(mu);
        cut = LinkCutLocked(link);
      }
      if (!cut) continue;
      for (auto& weak : list) {
        if (auto conn = weak.lock(); conn && !conn->closed) {
          conn->Close();
          std::lock_guard lock(mu);
          ++stats[{conn->initiator, conn->acceptor}].dropped;
        }
      }
      list.clear();
    }
  }
};

ProxyPartitioner::ProxyPartitioner(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<ProxyPartitioner>> ProxyPartitioner::Create(
    std::map<NodeId, std::map<std::string, Endpoint>> peers, uint64_t seed,
    std::string listen_host) {
  auto impl = std::make_shared<Impl>();
  impl->rng.seed(seed);
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(listen_host, ec);
  if (ec) return Status::InvalidArgument(fmt::format("bad listen host '{}'", listen_host));
  for (const auto& [from, unused] : peers) {
    for (const auto& [to, ports] : peers) {
      if (from == to) continue;
      for (const auto& [port, target] : ports) {
        asio::ip::make_address(target.host, ec);
        if (ec) return Status::InvalidArgument(fmt::format("bad peer host '{}'", target.host));
        auto acceptor = std::make_unique<tcp::acceptor>(impl->io);
        const tcp::endpoint endpoint(address, 0);
        acceptor->open(endpoint.protocol(), ec);
        if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
        if (!ec) acceptor->bind(endpoint, ec);
        if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
        if (ec) {
          return Status::IoError(fmt::format("proxy link {}->{} port {}: cannot listen on {}: {}",
                                             from, to, port, listen_host, ec.message()));
        }
        const PortLink listener{from, to, port};
        impl->routes[listener] = {listen_host, acceptor->local_endpoint().port()};
        impl->acceptors[listener] = std::move(acceptor);
      }
    }
  }
  impl->peers = std::move(peers);
  for (const auto& [listener, acceptor] : impl->acceptors) impl->Accept(listener);
  impl->thread = std::thread([raw = impl.get()] { raw->io.run(); });
  return std::unique_ptr<ProxyPartitioner>(new ProxyPartitioner(std::move(impl)));
}

Result<std::unique_ptr<ProxyPartitioner>> ProxyPartitioner::Create(std::map<NodeId, Endpoint> peers,
                                                                   uint64_t seed,
                                                                   std::string listen_host) {
  std::map<NodeId, std::map<std::string, Endpoint>> named;
  for (auto& [id, endpoint] : peers) named[id]["peer"] = std::move(endpoint);
  return Create(std::move(named), seed, std::move(listen_host));
}

ProxyPartitioner::~ProxyPartitioner() {
  impl_->RunOnIo([impl = impl_.get()] {
    boost::system::error_code ec;
    for (auto& [listener, acceptor] : impl->acceptors) acceptor->close(ec);
    for (auto& [pair, list] : impl->live) {
      for (auto& weak : list) {
        if (auto conn = weak.lock()) conn->Close();
      }
    }
  });
  // Every handler now completes with an error and stops rescheduling, so run() returns.
  impl_->thread.join();
}

std::map<ProxyPartitioner::PortLink, Endpoint> ProxyPartitioner::PortRoutes() const {
  return impl_->routes;
}

std::map<std::pair<NodeId, NodeId>, Endpoint> ProxyPartitioner::Routes() const {
  std::map<std::pair<NodeId, NodeId>, Endpoint> out;
  for (const auto& [link, endpoint] : impl_->routes) {
    if (link.port == "peer") out[{link.from, link.to}] = endpoint;
  }
  return out;
}

Status ProxyPartitioner::Apply(const Grudge& grudge) {
  {
    std::lock_guard lock(impl_->mu);
    for (const auto& [to, drops] : grudge) {
      if (!impl_->peers.contains(to)) return Status::InvalidArgument(fmt::format("node {}", to));
      for (NodeId from : drops) {
        if (!impl_->peers.contains(from)) {
          return Status::InvalidArgument(fmt::format("node {}", from));
        }
      }
    }
    for (auto& [pair, s] : impl_->settings) s.cut = false;
    for (const auto& [to, drops] : grudge) {
      for (NodeId from : drops) impl_->settings[{from, to}].cut = true;
    }
  }
  impl_->RunOnIo([impl = impl_.get()] { impl->CloseCutLinks(); });
  return Status::Ok();
}

Status ProxyPartitioner::Heal() {
  std::lock_guard lock(impl_->mu);
  impl_->settings.clear();
  return Status::Ok();
}

Status ProxyPartitioner::SetDelay(NodeId from, NodeId to, int delay_ms) {
  std::lock_guard lock(impl_->mu);
  if (!impl_->HasPair(from, to) || delay_ms < 0) {
    return Status::InvalidArgument(fmt::format("bad delay {}ms on {}->{}", delay_ms, from, to));
  }
  impl_->settings[{from, to}].delay_ms = delay_ms;
  return Status::Ok();
}

Status ProxyPartitioner::SetLoss(NodeId from, NodeId to, double probability) {
  std::lock_guard lock(impl_->mu);
  if (!impl_->HasPair(from, to) || !(probability >= 0.0 && probability <= 1.0)) {
    return Status::InvalidArgument(fmt::format("bad loss {} on {}->{}", probability, from, to));
  }
  impl_->settings[{from, to}].loss = probability;
  return Status::Ok();
}

ProxyPartitioner::LinkStats ProxyPartitioner::Stats(NodeId from, NodeId to) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->stats.find({from, to});
  return it == impl_->stats.end() ? LinkStats{} : it->second;
}

}  // namespace faultline::harness
