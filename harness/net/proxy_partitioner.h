// ProxyPartitioner: a TCP proxy inside the controller, one listener per directed peer link and
// peer port. Link (i, j) port p listens on 127.0.0.1:<free port> and forwards every connection to
// j's real peer port p; node i's config names that listener as j's port p (Db::SetPeerRoute with
// PortRoutes()). Systems with several peer ports (ZooKeeper: quorum + election) get a listener for
// each; cuts, delay and loss are per directed node pair and apply to every port of the pair. A
// connection on link (i, j) carries data both ways (i -> j upstream, j -> i downstream): a cut
// applies to the whole link, delay and loss to each data direction.
//
// Per directed pair (from, to):
//   cut    (from the grudge: `to` drops packets from `from`) link (from, to) is dead: its open
//          connections are closed and new ones are accepted and closed at once. Link (to, from)
//          is untouched, so `from` still hears `to`. zabd sends A -> B messages only over A's own
//          connection to B (server/net/transport.h), so this is a message-level one-way cut, the
//          same as IptablesPartitioner's.
//   delay  every chunk of bytes flowing from -> to (on either link) waits delay_ms before it is
//          forwarded; order is preserved. When `from`'s side of a connection ends (its process
//          died or closed the socket) the chunks still waiting are dropped and the other side
//          sees the end at once (FIN, or RST after a reset), as a TCP connection to a dead peer
//          shows it: the held data is what the dead peer never got out.
//   loss   every chunk flowing from -> to closes its connection with the given probability
//          (seeded RNG); TCP cannot lose bytes silently, so loss is dropped connections
// Heal clears all three on every pair.
//
// Threading: one Asio io_context on one internal thread, started by Create and joined by the
// destructor (which closes every listener and connection). Public methods are thread-safe and
// return once the change is in force for every chunk read afterwards (connections a cut closes are
// closed before Apply returns).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "common/status.h"
#include "harness/cluster/node.h"
#include "harness/net/partitioner.h"

namespace faultline::harness {

class ProxyPartitioner final : public Partitioner {
 public:
  // `peers`: node id -> the node's named real peer listen ports (every node the same names).
  // Opens one listener per ordered pair and port (n * (n - 1) * ports listeners) on
  // `listen_host`. IoError when a listener cannot be bound.
  static Result<std::unique_ptr<ProxyPartitioner>> Create(
      std::map<NodeId, std::map<std::string, Endpoint>> peers, uint64_t seed = 1,
      std::string listen_host = "127.0.0.1");
  // One peer port per node (named "peer").
  static Result<std::unique_ptr<ProxyPartitioner>> Create(std::map<NodeId, Endpoint> peers,
                                                          uint64_t seed = 1,
                                                          std::string listen_host = "127.0.0.1");
  ~ProxyPartitioner() override;

  struct PortLink {
    NodeId from = 0;
    NodeId to = 0;
    std::string port;
    auto operator<=>(const PortLink&) const = default;
  };
  // (from, to, port) -> where `from` must dial to reach `to`'s port through the proxy.
  std::map<PortLink, Endpoint> PortRoutes() const;
  // (from, to) -> the listener for port "peer" (single-port systems).
  std::map<std::pair<NodeId, NodeId>, Endpoint> Routes() const;

  Status Apply(const Grudge& grudge) override;
  Status Heal() override;
  bool SupportsLinkFaults() const override { return true; }
  Status SetDelay(NodeId from, NodeId to, int delay_ms) override;
  Status SetLoss(NodeId from, NodeId to, double probability) override;
  std::string Name() const override { return "proxy"; }

  // Counters for tests and reports. Connection counts are per listener link (connections that
  // `from` dialed towards `to`); byte and chunk counts are per data direction (bytes flowing from
  // `from` to `to`, on connections of either link).
  struct LinkStats {
    uint64_t accepted = 0;         // connections accepted on the link
    uint64_t refused = 0;          // accepted then closed at once because the pair was cut
    uint64_t dropped = 0;          // closed by a cut applied later or by loss
    uint64_t bytes_forwarded = 0;  // from -> to
    uint64_t chunks_delayed = 0;   // from -> to
    // from -> to: delayed chunks dropped because `from`'s side of their connection ended (died
    // or closed) while they waited.
    uint64_t chunks_discarded = 0;
    // Dials of the listening node refused and retried (it was not listening yet, or is down).
    uint64_t dials_refused = 0;
  };
  LinkStats Stats(NodeId from, NodeId to) const;

 private:
  struct Impl;
  explicit ProxyPartitioner(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace faultline::harness
