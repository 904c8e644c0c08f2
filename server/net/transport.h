// PeerTransport: zabd's peer links over TCP (Boost.Asio), one directed connection per ordered
// pair of nodes.
//
// Contract:
//  * Node A sends to B only over A's own outgoing connection to B's configured peer address (the
//    harness may put a TCP proxy on each directed link, so one direction can be cut alone). A
//    connection B accepted is only ever read from (after the handshake of wire.h).
//  * Per directed link, payloads are delivered in order, each at most once; a broken connection
//    loses whatever was in flight. Send() on a link that is not connected drops the payload (the
//    core tolerates loss: it detects gaps and times out). A send queue over its bound
//    (limits.h) resets the link rather than growing.
//  * on_disconnected(peer) is called when an established link to or from `peer` breaks, so the
//    driver can hand the core a PeerDisconnected hint; on_connected(peer) when this node's own
//    link to `peer` (the one Send() uses) completes its handshake, for the PeerConnected hint.
//  * Lost links are redialled with exponential backoff (limits.h). A peer that proves itself on
//    an inbound connection is up: a link to it waiting out its backoff is redialled at once, so
//    a node that starts last is reached as soon as it dials in (cluster start, issue 8).
//  * Inbound: a configured peer that proves the secret always gets in, however many strangers
//    hold connections to the peer port (limits.h "Inbound peer connections": authenticated
//    connections have a slot per peer id; handshaking ones share a pool where a newcomer evicts
//    the oldest connection of the source address holding the most; a short handshake timeout).
//  * Single-threaded: every method and callback runs on the io_context's one thread. Callbacks
//    may call Send().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "server/net/config.h"
#include "server/net/limits.h"

namespace boost::asio {
class io_context;
}

namespace zabd {

struct PeerTransportStats {
  uint64_t frames_sent = 0;
  uint64_t frames_received = 0;
  uint64_t frames_dropped = 0;      // Send() while the link was down
  uint64_t links_established = 0;   // outgoing handshakes completed
  uint64_t handshakes_refused = 0;  // incoming connections refused (bad id / secret / format)
  uint64_t inbound_evicted = 0;     // handshaking connections closed to make room for a newer one
  uint64_t inbound_unauthenticated = 0;  // handshaking connections open now
};

// The inbound bounds and the redial backoff (limits.h); tests shrink or stretch them.
struct PeerLinkLimits {
  std::size_t unauthenticated_max = kPeerUnauthenticatedMax;
  uint64_t handshake_timeout_ms = kPeerInboundHandshakeTimeoutMs;
  uint64_t redial_backoff_ms_min = kPeerReconnectBackoffMsMin;
  uint64_t redial_backoff_ms_max = kPeerReconnectBackoffMsMax;
};

class PeerTransport {
 public:
  struct Callbacks {
    std::function<void(uint64_t from, std::string payload)> on_message;
    std::function<void(uint64_t peer)> on_disconnected;
    std::function<void(uint64_t peer)> on_connected;
  };
  struct Peer {
    uint64_t id = 0;
    HostPort address;  // where this node dials to reach it
  };

  PeerTransport(boost::asio::io_context& io, uint64_t self_id, HostPort listen,
                std::vector<Peer> peers, std::string secret, Callbacks callbacks,
                PeerLinkLimits inbound = {});
  ~PeerTransport();
  PeerTransport(const PeerTransport&) = delete;
  PeerTransport& operator=(const PeerTransport&) = delete;

  // Binds the listen address and starts dialing every peer. Error: the address is in use.
  faultline::Status Start();
  // Queues one frame; the frames queued by one handler leave together in one write after it
  // returns (or at PushWrites()).
  void Send(uint64_t to, std::string_view payload);
  // Starts writing every link's queued frames now (before the caller blocks, e.g. in an fsync).
  void PushWrites();
  // Closes everything; no callback runs afterwards.
  void Stop();

  bool connected_to(uint64_t peer) const;
  const PeerTransportStats& stats() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace zabd
