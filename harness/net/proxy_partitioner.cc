#include "harness/net/proxy_partitioner.h"

#include <fmt/format.h>

#include <array>
#include <boost/asio.hpp>
#include <future>
#include <list>
#include <mutex>
#include <random>
#include <thread>

namespace faultline::harness {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using Pair = std::pair<NodeId, NodeId>;

constexpr size_t kChunkBytes = 16 * 1024;

struct Settings {
  bool cut = false;
  int delay_ms = 0;
  double loss = 0.0;
};

// One proxied connection: `down` is the dialing node's side, `up` the listening node's side.
// Direction 0 carries initiator -> acceptor (down -> up), direction 1 the reverse. Lives on the
// io thread only; kept alive by the handlers that reference it.
struct ProxyConnection : std::enable_shared_from_this<ProxyConnection> {
  ProxyConnection(asio::io_context& io, NodeId initiator, NodeId acceptor)
      : initiator(initiator),
        acceptor(acceptor),
        down(io),
        up(io),
        timers{asio::steady_timer(io), asio::steady_timer(io)} {}

  tcp::socket& Source(int dir) { return dir == 0 ? down : up; }
  tcp::socket& Sink(int dir) { return dir == 0 ? up : down; }
  NodeId From(int dir) const { return dir == 0 ? initiator : acceptor; }
  NodeId To(int dir) const { return dir == 0 ? acceptor : initiator; }

  void Close() {
    if (closed) return;
    closed = true;
    boost::system::error_code ec;
    down.shutdown(tcp::socket::shutdown_both, ec);
    up.shutdown(tcp::socket::shutdown_both, ec);
    down.close(ec);
    up.close(ec);
    timers[0].cancel();
    timers[1].cancel();
  }

  const NodeId initiator;
  const NodeId acceptor;
  tcp::socket down;
  tcp::socket up;
  std::array<asio::steady_timer, 2> timers;
  std::array<std::array<char, kChunkBytes>, 2> buffers;
  bool closed = false;
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
    conn->up.async_connect(endpoint,
                           [this, self = shared_from_this(), conn](boost::system::error_code ec) {
                             if (ec || conn->closed) {
                               conn->Close();
                               return;
                             }
                             Pump(conn, 0);
                             Pump(conn, 1);
                           });
  }

  void Pump(std::shared_ptr<ProxyConnection> conn, int dir) {
    conn->Source(dir).async_read_some(
        asio::buffer(conn->buffers[dir]),
        [this, self = shared_from_this(), conn, dir](boost::system::error_code ec, size_t n) {
          if (ec || conn->closed) {
            conn->Close();
            return;
          }
          int delay_ms = 0;
          switch (Decide(*conn, dir, n, &delay_ms, false)) {
            case Verdict::kDrop:
              conn->Close();
              return;
            case Verdict::kForward:
              break;
          }
          if (delay_ms == 0) {
            Write(conn, dir, n);
            return;
          }
          conn->timers[dir].expires_after(std::chrono::milliseconds(delay_ms));
          conn->timers[dir].async_wait(
              [this, self = shared_from_this(), conn, dir, n](boost::system::error_code ec) {
                if (ec || conn->closed) {
                  conn->Close();
                  return;
                }
                // A cut that arrived while the chunk waited drops the connection.
                int unused = 0;
                if (Decide(*conn, dir, n, &unused, true) == Verdict::kDrop) {
                  conn->Close();
                } else {
                  Write(conn, dir, n);
                }
              });
        });
  }

  void Write(std::shared_ptr<ProxyConnection> conn, int dir, size_t n) {
    asio::async_write(
        conn->Sink(dir), asio::buffer(conn->buffers[dir].data(), n),
        [this, self = shared_from_this(), conn, dir](boost::system::error_code ec, size_t) {
          if (ec || conn->closed) {
            conn->Close();
            return;
          }
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
