// ProxyPartitioner: a TCP proxy inside the controller, one listener per directed peer link.
// Link (i, j) listens on 127.0.0.1:<free port> and forwards every connection to j's real peer
// address; node i's config names that listener as j's peer address (Cluster::SetPeerRoute with
// Routes()). A connection on link (i, j) carries data both ways: i -> j upstream, j -> i
// downstream, and each direction obeys the settings of its own directed pair.
//
// Per directed pair (from, to):
//   cut    (from the grudge) when both directions between two nodes are cut, their existing
//          connections are closed and new ones are accepted and closed at once; when only one
//          direction is cut, its bytes are discarded silently (the connection stays open, like
//          under an iptables DROP)
//   delay  every chunk waits delay_ms before it is forwarded (order is preserved)
//   loss   every chunk closes its connection with the given probability (seeded RNG)
// Heal clears all three on every pair.
//
// Threading: one Asio io_context on one internal thread, started by Create and joined by the
// destructor (which closes every listener and connection). Public methods are thread-safe and
// return once the change is in force for every chunk read afterwards (connections a cut closes
// are closed before Apply returns).
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
  // `peers`: node id -> the node's real peer listen address. Opens one listener
  // per ordered pair (n * (n - 1) listeners) on `listen_host`. IoError when a
  // listener cannot be bound.
  static Result<std::unique_ptr<ProxyPartitioner>> Create(std::map<NodeId, Endpoint> peers,
                                                          uint64_t seed = 1,
                                                          std::string listen_host = "127.0.0.1");
  ~ProxyPartitioner() override;

  // (from, to) -> where `from` must dial to reach `to` through the proxy.
  std::map<std::pair<NodeId, NodeId>, Endpoint> Routes() const;

  Status Apply(const Grudge &grudge) override;
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
    uint64_t bytes_discarded = 0;  // from -> to, one-way cut
    uint64_t chunks_delayed = 0;   // from -> to
  };
  LinkStats Stats(NodeId from, NodeId to) const;

 private:
  struct Impl;
  explicit ProxyPartitioner(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace faultline::harness
