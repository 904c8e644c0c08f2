// Partitioner: enforces a Grudge on the live network between nodes, and (proxy only) slows or drops
// individual directed links. Two implementations:
//   IptablesPartitioner (iptables_partitioner.h)  root, inside the run's private netns
//   ProxyPartitioner    (proxy_partitioner.h)     no root; a TCP proxy per directed peer link
//
// Semantics shared by both:
//   Apply(g) replaces the grudge in force by g (it is not additive): afterwards the messages a
//   sends to b are lost iff Drops(g, a, b). Apply({}) heals the partition.
//   Heal() removes the grudge AND every delay and loss setting: the network is back to normal.
//   Only peer traffic (node <-> node) is affected; client traffic from the controller is not.
//
// Thread-safety: implementations are thread-safe (the run loop's nemesis thread applies faults
// while the end-of-run cleanup may Heal from another thread).
#pragma once

#include <string>

#include "common/status.h"
#include "harness/cluster/node.h"
#include "harness/net/grudge.h"

namespace faultline::harness {

class Partitioner {
 public:
  virtual ~Partitioner() = default;

  virtual Status Apply(const Grudge& grudge) = 0;
  virtual Status Heal() = 0;

  // Whether SetDelay / SetLoss work (true for the proxy only).
  virtual bool SupportsLinkFaults() const = 0;
  // Adds `delay_ms` before forwarding every chunk of data sent from `from` to `to`; 0 removes it.
  // Unavailable when !SupportsLinkFaults().
  virtual Status SetDelay(NodeId from, NodeId to, int delay_ms) = 0;
  // Each chunk sent from `from` to `to` kills its connection with `probability` (0 removes it). TCP
  // cannot lose bytes silently, so loss shows up as dropped connections that nodes redial.
  // Unavailable when !SupportsLinkFaults().
  virtual Status SetLoss(NodeId from, NodeId to, double probability) = 0;

  virtual std::string Name() const = 0;  // "iptables" or "proxy"
};

}  // namespace faultline::harness
