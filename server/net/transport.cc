#include "server/net/transport.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio.hpp>
#include <deque>
#include <map>
#include <random>

#include "server/net/limits.h"
#include "server/net/wire.h"

namespace zabd {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using faultline::Status;

namespace {
constexpr std::size_t kWriteBatchBytes = 1 << 20;  // frames coalesced into one write
constexpr std::size_t kReadChunkBytes = 64 * 1024;
constexpr char kAcceptByte = 'A';  // listener -> dialer: Auth verified

tcp::endpoint ToEndpoint(const HostPort& hp) {
  return tcp::endpoint(asio::ip::make_address(hp.host), hp.port);
}
}  // namespace

class PeerTransport::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::io_context& io, uint64_t self_id, HostPort listen, std::vector<Peer> peers,
       std::string secret, Callbacks callbacks, PeerLinkLimits inbound)
      : io_(io),
        self_id_(self_id),
        listen_(std::move(listen)),
        secret_(std::move(secret)),
        callbacks_(std::move(callbacks)),
        inbound_(inbound),
        acceptor_(io) {
    inbound_.unauthenticated_max = std::max<std::size_t>(inbound_.unauthenticated_max, 1);
    inbound_.redial_backoff_ms_min = std::max<uint64_t>(inbound_.redial_backoff_ms_min, 1);
    inbound_.redial_backoff_ms_max =
        std::max(inbound_.redial_backoff_ms_max, inbound_.redial_backoff_ms_min);
    for (auto& p : peers) {
      auto link = std::make_unique<OutLink>(io);
      link->peer = p.id;
      link->endpoint = ToEndpoint(p.address);
      link->backoff_ms = inbound_.redial_backoff_ms_min;
      out_.emplace(p.id, std::move(link));
    }
  }

  Status Start() {
    error_code ec;
    tcp::endpoint ep = ToEndpoint(listen_);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::IoError(fmt::format("peer address {}: {}", listen_.ToString(), ec.message()));
    }
    Accept();
    for (auto& [id, link] : out_) Dial(link.get());
    return Status::Ok();
  }

  void Stop() {
    if (stopped_) return;
    stopped_ = true;
    error_code ec;
    acceptor_.close(ec);
    for (auto& [id, link] : out_) {
      ++link->generation;
      link->socket.close(ec);
      link->timer.cancel();
    }
    for (auto& [id, conn] : in_) {
      conn->closed = true;
      conn->socket.close(ec);
      conn->timer.cancel();
    }
    in_.clear();
    in_by_peer_.clear();
  }

  void Send(uint64_t to, std::string_view payload) {
    auto it = out_.find(to);
    if (it == out_.end() || stopped_) return;
    OutLink* link = it->second.get();
    if (link->state != OutLink::kReady) {
      ++stats_.frames_dropped;
      return;
    }
    std::string frame = EncodeFrame(payload);
    if (link->queue.size() + 1 > kPeerSendQueueFramesMax ||
        link->queued_bytes + frame.size() > kPeerSendQueueBytesMax) {
      spdlog::warn("peer {}: send queue full ({} frames, {} bytes); resetting the link", to,
                   link->queue.size(), link->queued_bytes);
      ++stats_.frames_dropped;
      FailOut(link, link->generation);
      return;
    }
    link->queued_bytes += frame.size();
    link->queue.push_back(std::move(frame));
    // One write per burst: the frames a handler sends (a batch's PROPOSALs and COMMITs) leave in
    // one gather write after it returns, not one syscall each (issue 8, leader CPU per write).
    if (link->writing || link->write_posted) return;
    link->write_posted = true;
    asio::post(io_, [this, self = shared_from_this(), link, gen = link->generation] {
      if (stopped_ || gen != link->generation) return;
      link->write_posted = false;
      StartWrite(link);
    });
  }

  void PushWrites() {
    if (stopped_) return;
    for (auto& [peer, link] : out_) StartWrite(link.get());  // a posted StartWrite finds it busy
  }

  bool connected_to(uint64_t peer) const {
    auto it = out_.find(peer);
    return it != out_.end() && it->second->state == OutLink::kReady;
  }
  const PeerTransportStats& stats() const {
    stats_.inbound_unauthenticated = UnauthenticatedCount();
    return stats_;
  }

 private:
  struct OutLink {
    explicit OutLink(asio::io_context& io) : socket(io), timer(io) {}
    enum State { kIdle, kConnecting, kHandshaking, kReady };
    uint64_t peer = 0;
    tcp::endpoint endpoint;
    tcp::socket socket;
    asio::steady_timer timer;  // handshake timeout, then reconnect backoff
    State state = kIdle;
    uint64_t generation = 0;  // bumped on every (re)dial and failure: stale handlers bail out
    std::deque<std::string> queue;
    std::size_t queued_bytes = 0;
    bool writing = false;
    bool write_posted = false;  // a StartWrite is posted (this generation)
    std::array<char, kHelloBytes> hello{};
    std::array<char, 1> probe{};
    uint64_t backoff_ms = 0;  // the next redial's wait (set by the constructor and OnReady)
  };

  struct InConn {
    explicit InConn(asio::io_context& io)
        : socket(io), timer(io), decoder(kPeerFrameBytesMax), read_buffer(kReadChunkBytes) {}
    uint64_t id = 0;  // grows with accept order: the smallest is the oldest
    tcp::socket socket;
    asio::ip::address source;  // remote address, for per-source fairness while handshaking
    asio::steady_timer timer;
    FrameDecoder decoder;
    std::vector<char> read_buffer;
    std::string hello;
    std::array<char, kAuthBytes> auth{};
    Nonce nonce{};
    uint64_t peer = 0;
    bool authenticated = false;
    bool closed = false;
  };

  // ---- Outgoing links ----------------------------------------------------------------------
  void Dial(OutLink* link) {
    if (stopped_) return;
    const uint64_t gen = ++link->generation;
    link->state = OutLink::kConnecting;
    error_code ignored;
    link->socket.close(ignored);
    auto self = shared_from_this();
    link->timer.expires_after(std::chrono::milliseconds(kPeerHandshakeTimeoutMs));
    link->timer.async_wait([this, self, link, gen](error_code ec) {
      if (ec || stopped_ || gen != link->generation || link->state == OutLink::kReady) return;
      spdlog::debug("peer {}: connect/handshake timed out", link->peer);
      FailOut(link, gen);
    });
    link->socket.async_connect(link->endpoint, [this, self, link, gen](error_code ec) {
      if (stopped_ || gen != link->generation) return;
      if (ec) return FailOut(link, gen);
      error_code ignored;
      link->socket.set_option(tcp::no_delay(true), ignored);
      link->state = OutLink::kHandshaking;
      asio::async_read(link->socket, asio::buffer(link->hello),
                       [this, self, link, gen](error_code ec, std::size_t) {
                         if (stopped_ || gen != link->generation) return;
                         if (ec) return FailOut(link, gen);
                         OnHello(link, gen);
                       });
    });
  }

  void OnHello(OutLink* link, uint64_t gen) {
    Hello hello;
    if (!DecodeHello(std::string_view(link->hello.data(), link->hello.size()), &hello)) {
      spdlog::warn("peer {}: bad handshake hello from {}", link->peer,
                   link->endpoint.address().to_string());
      return FailOut(link, gen);
    }
    if (hello.listener_id != link->peer) {
      spdlog::warn("peer {}: the node at {}:{} says it is node {}", link->peer,
                   link->endpoint.address().to_string(), link->endpoint.port(), hello.listener_id);
      return FailOut(link, gen);
    }
    Auth auth{self_id_, link->peer, ComputeAuthMac(secret_, hello.nonce, self_id_, link->peer)};
    auto buf = std::make_shared<std::string>(EncodeAuth(auth));
    auto self = shared_from_this();
    asio::async_write(link->socket, asio::buffer(*buf),
                      [this, self, link, gen, buf](error_code ec, std::size_t) {
                        if (stopped_ || gen != link->generation) return;
                        if (ec) return FailOut(link, gen);
                        // The listener answers one accept byte once it verified the Auth.
                        asio::async_read(link->socket, asio::buffer(link->probe),
                                         [this, self, link, gen](error_code ec, std::size_t) {
                                           if (stopped_ || gen != link->generation) return;
                                           if (ec || link->probe[0] != kAcceptByte) {
                                             return FailOut(link, gen);
                                           }
                                           OnReady(link, gen);
                                         });
                      });
  }

  void OnReady(OutLink* link, uint64_t gen) {
    link->state = OutLink::kReady;
    link->timer.cancel();
    link->backoff_ms = inbound_.redial_backoff_ms_min;
    ++stats_.links_established;
    spdlog::info("peer {}: link up", link->peer);
    Probe(link, gen);
    StartWrite(link);
    if (callbacks_.on_connected) callbacks_.on_connected(link->peer);
  }

  // The listener never writes after its hello: any read completion means the link is gone.
  void Probe(OutLink* link, uint64_t gen) {
    auto self = shared_from_this();
    link->socket.async_read_some(asio::buffer(link->probe),
                                 [this, self, link, gen](error_code ec, std::size_t) {
                                   if (stopped_ || gen != link->generation) return;
                                   FailOut(link, gen);
                                 });
  }

  void StartWrite(OutLink* link) {
    if (link->writing || link->queue.empty() || link->state != OutLink::kReady) return;
    // The queued frames themselves, gathered (no copy into one buffer).
    auto batch = std::make_shared<std::vector<std::string>>();
    std::vector<asio::const_buffer> buffers;
    std::size_t bytes = 0;
    while (!link->queue.empty() && (batch->empty() || bytes < kWriteBatchBytes)) {
      bytes += link->queue.front().size();
      link->queued_bytes -= link->queue.front().size();
      batch->push_back(std::move(link->queue.front()));
      link->queue.pop_front();
    }
    for (const std::string& f : *batch) buffers.push_back(asio::buffer(f));
    const std::size_t frames = batch->size();
    link->writing = true;
    const uint64_t gen = link->generation;
    auto self = shared_from_this();
    asio::async_write(link->socket, buffers,
                      [this, self, link, gen, batch, frames](error_code ec, std::size_t) {
                        if (stopped_ || gen != link->generation) return;
                        link->writing = false;
                        if (ec) return FailOut(link, gen);
                        stats_.frames_sent += frames;
                        StartWrite(link);
                      });
  }

  void FailOut(OutLink* link, uint64_t gen) {
    if (stopped_ || gen != link->generation) return;
    const bool was_ready = link->state == OutLink::kReady;
    const uint64_t next_gen = ++link->generation;
    error_code ignored;
    link->socket.close(ignored);
    link->queue.clear();
    link->queued_bytes = 0;
    link->writing = false;
    link->write_posted = false;  // the posted StartWrite sees the new generation and bails out
    link->state = OutLink::kIdle;
    if (was_ready) spdlog::info("peer {}: link down", link->peer);
    auto self = shared_from_this();
    link->timer.expires_after(std::chrono::milliseconds(link->backoff_ms));
    link->backoff_ms = std::min(link->backoff_ms * 2, inbound_.redial_backoff_ms_max);
    link->timer.async_wait([this, self, link, next_gen](error_code ec) {
      if (ec || stopped_ || next_gen != link->generation) return;
      Dial(link);
    });
    if (was_ready && callbacks_.on_disconnected) callbacks_.on_disconnected(link->peer);
  }

  // ---- Incoming links ----------------------------------------------------------------------
  void Accept() {
    auto self = shared_from_this();
    acceptor_.async_accept([this, self](error_code ec, tcp::socket socket) {
      if (stopped_ || ec == asio::error::operation_aborted) return;
      if (!ec) {
        // Never refuse the newcomer (it may be a real peer): make room instead.
        if (UnauthenticatedCount() >= inbound_.unauthenticated_max) EvictOneUnauthenticated();
        StartInbound(std::move(socket));
      }
      Accept();
    });
  }

  std::size_t UnauthenticatedCount() const {
    std::size_t n = 0;
    for (const auto& [id, conn] : in_) n += conn->authenticated ? 0 : 1;
    return n;
  }

  // The pool of handshaking connections is full: close the oldest one of the source address
  // that holds the most (limits.h). A stranger flooding from one address evicts only its own
  // sockets; one holding sockets open loses its oldest to every newcomer, a real peer included.
  void EvictOneUnauthenticated() {
    std::map<asio::ip::address, std::size_t> per_source;
    for (const auto& [id, conn] : in_) {
      if (!conn->authenticated) ++per_source[conn->source];
    }
    asio::ip::address heaviest;
    std::size_t most = 0;
    for (const auto& [source, n] : per_source) {
      if (n > most) most = n, heaviest = source;
    }
    for (const auto& [id, conn] : in_) {  // by id: the first match is the oldest
      if (conn->authenticated || conn->source != heaviest) continue;
      ++stats_.inbound_evicted;
      spdlog::debug("peer port: {} handshaking connections, closing the oldest from {}",
                    UnauthenticatedCount(), heaviest.to_string());
      auto victim = conn;  // CloseIn erases the map entry
      CloseIn(victim);
      return;
    }
  }

  void StartInbound(tcp::socket socket) {
    auto conn = std::make_shared<InConn>(io_);
    conn->id = ++next_conn_id_;
    conn->socket = std::move(socket);
    error_code ignored;
    conn->source = conn->socket.remote_endpoint(ignored).address();
    conn->socket.set_option(tcp::no_delay(true), ignored);
    std::random_device rd;
    for (std::size_t i = 0; i < conn->nonce.size(); i += 4) {
      uint32_t r = rd();
      for (std::size_t j = 0; j < 4; ++j) conn->nonce[i + j] = static_cast<uint8_t>(r >> (8 * j));
    }
    conn->hello = EncodeHello(Hello{self_id_, conn->nonce});
    in_[conn->id] = conn;
    auto self = shared_from_this();
    conn->timer.expires_after(std::chrono::milliseconds(inbound_.handshake_timeout_ms));
    conn->timer.async_wait([this, self, conn](error_code ec) {
      if (ec || conn->closed || conn->authenticated) return;
      Refuse(conn, "handshake timed out");
    });
    asio::async_write(conn->socket, asio::buffer(conn->hello),
                      [this, self, conn](error_code ec, std::size_t) {
                        if (conn->closed || stopped_) return;
                        if (ec) return CloseIn(conn);
                        asio::async_read(conn->socket, asio::buffer(conn->auth),
                                         [this, self, conn](error_code ec, std::size_t) {
                                           if (conn->closed || stopped_) return;
                                           if (ec) return CloseIn(conn);
                                           OnAuth(conn);
                                         });
                      });
  }

  void Refuse(const std::shared_ptr<InConn>& conn, const std::string& why) {
    ++stats_.handshakes_refused;
    error_code ignored;
    auto remote = conn->socket.remote_endpoint(ignored);
    spdlog::warn("peer port: refused connection from {}:{}: {}", remote.address().to_string(),
                 remote.port(), why);
    CloseIn(conn);
  }

  void OnAuth(const std::shared_ptr<InConn>& conn) {
    Auth auth;
    if (!DecodeAuth(std::string_view(conn->auth.data(), conn->auth.size()), &auth)) {
      return Refuse(conn, "bad magic or version");
    }
    if (auth.sender_id == self_id_ || out_.find(auth.sender_id) == out_.end()) {
      return Refuse(conn, fmt::format("unknown node id {}", auth.sender_id));
    }
    if (auth.receiver_id != self_id_) {
      return Refuse(
          conn, fmt::format("addressed to node {}, this is node {}", auth.receiver_id, self_id_));
    }
    if (!MacEquals(auth.mac, ComputeAuthMac(secret_, conn->nonce, auth.sender_id, self_id_))) {
      return Refuse(conn, fmt::format("node {} did not prove the shared secret", auth.sender_id));
    }
    conn->authenticated = true;
    conn->peer = auth.sender_id;
    conn->timer.cancel();
    // The newest connection from a peer wins: the older one is stale (the peer redialled).
    auto old = in_by_peer_.find(conn->peer);
    if (old != in_by_peer_.end()) {
      auto old_conn = in_.find(old->second);
      if (old_conn != in_.end()) {
        auto victim = old_conn->second;  // CloseIn erases the map entry
        CloseIn(victim);
      }
    }
    in_by_peer_[conn->peer] = conn->id;
    RedialIfWaiting(conn->peer);
    auto self = shared_from_this();
    asio::async_write(conn->socket, asio::buffer(&kAcceptByte, 1),
                      [this, self, conn](error_code ec, std::size_t) {
                        if (conn->closed || stopped_) return;
                        if (ec) return CloseIn(conn);
                      });
    ReadLoop(conn);
  }

  // `peer` just proved itself on an inbound connection, so it is up: if our link to it waits
  // out a reconnect backoff (it was down when we last dialled), dial now.
  void RedialIfWaiting(uint64_t peer) {
    auto it = out_.find(peer);
    if (it == out_.end() || it->second->state != OutLink::kIdle) return;
    it->second->backoff_ms = inbound_.redial_backoff_ms_min;
    Dial(it->second.get());  // a new generation: the pending backoff wait becomes a no-op
  }

  void ReadLoop(const std::shared_ptr<InConn>& conn) {
    auto self = shared_from_this();
    conn->socket.async_read_some(
        asio::buffer(conn->read_buffer), [this, self, conn](error_code ec, std::size_t n) {
          if (conn->closed || stopped_) return;
          if (ec) return CloseIn(conn);
          conn->decoder.Append(std::string_view(conn->read_buffer.data(), n));
          std::string payload;
          while (true) {
            auto r = conn->decoder.Next(&payload);
            if (r == FrameDecoder::Result::kNeedMore) break;
            if (r == FrameDecoder::Result::kError) {
              spdlog::warn("peer {}: {}; closing the link", conn->peer, conn->decoder.error());
              return CloseIn(conn);
            }
            ++stats_.frames_received;
            if (callbacks_.on_message) callbacks_.on_message(conn->peer, std::move(payload));
            if (conn->closed || stopped_) return;
          }
          ReadLoop(conn);
        });
  }

  void CloseIn(const std::shared_ptr<InConn>& conn) {
    if (conn->closed) return;
    conn->closed = true;
    error_code ignored;
    conn->socket.close(ignored);
    conn->timer.cancel();
    in_.erase(conn->id);
    if (!conn->authenticated) return;
    auto it = in_by_peer_.find(conn->peer);
    if (it != in_by_peer_.end() && it->second == conn->id) {
      in_by_peer_.erase(it);
      if (!stopped_ && callbacks_.on_disconnected) callbacks_.on_disconnected(conn->peer);
    }
  }

  asio::io_context& io_;
  const uint64_t self_id_;
  const HostPort listen_;
  const std::string secret_;
  Callbacks callbacks_;
  PeerLinkLimits inbound_;
  tcp::acceptor acceptor_;
  std::map<uint64_t, std::unique_ptr<OutLink>> out_;
  std::map<uint64_t, std::shared_ptr<InConn>> in_;  // by connection id
  std::map<uint64_t, uint64_t> in_by_peer_;         // authenticated peer -> connection id
  uint64_t next_conn_id_ = 0;
  bool stopped_ = false;
  mutable PeerTransportStats stats_;
};

PeerTransport::PeerTransport(asio::io_context& io, uint64_t self_id, HostPort listen,
                             std::vector<Peer> peers, std::string secret, Callbacks callbacks,
                             PeerLinkLimits inbound)
    : impl_(std::make_shared<Impl>(io, self_id, std::move(listen), std::move(peers),
                                   std::move(secret), std::move(callbacks), inbound)) {}

PeerTransport::~PeerTransport() { impl_->Stop(); }

Status PeerTransport::Start() { return impl_->Start(); }
void PeerTransport::Send(uint64_t to, std::string_view payload) { impl_->Send(to, payload); }
void PeerTransport::PushWrites() { impl_->PushWrites(); }
void PeerTransport::Stop() { impl_->Stop(); }
bool PeerTransport::connected_to(uint64_t peer) const { return impl_->connected_to(peer); }
const PeerTransportStats& PeerTransport::stats() const { return impl_->stats(); }

}  // namespace zabd
