// IptablesPartitioner: a grudge as iptables DROP rules between nodes (root only, and only inside
// the private namespace this process created with EnterPrivateNetns(): Create refuses to run
// anywhere else, see InPrivateNetns()).
//
// How a node is recognised: zabd dials its peers from an unbound socket, so the kernel picks
// 127.0.0.1 as the source address and a source match cannot tell nodes apart. Instead every node
// runs with its own group id (Cluster does this under root in AddressMode::kPrivateNetns, see
// NodeInfo::gid), and "b drops packets from a" becomes, in the OUTPUT path,
//   -A FAULTLINE -m owner --gid-owner <a's gid> -d <b's host> -j DROP
// i.e. every packet a's process sends to b's address is dropped. zabd sends A->B messages only over
// A's own connection to B (server/net/transport.h), so this cuts exactly the a -> b message flow
// and leaves b -> a intact: one-way grudges are one-way. Client traffic from the controller (gid 0)
// is never matched.
//
// Systems whose nodes receive peer messages on connections they opened themselves (etcd: b's
// stream readers dial a, and a writes its a -> b messages on them) need more: a's packets on a
// connection b opened go to 127.0.0.1 (b's kernel-picked source), not to b's host, so the rule
// above lets them through (checked by hand on etcd 3.4.23: a new leader's MsgApp reached the
// isolated old leader). With IptablesOptions::cut_connections_opened_by_target, Create marks every
// connection with the gid of the node that opened it (mangle table, conntrack NEW -> CONNMARK)
// and the grudge also gets
//   -A FAULTLINE -m owner --gid-owner <a's gid> -m connmark --mark <b's gid> -j DROP
// That drops a's ACKs to b on those connections too, so for such systems a one-way grudge also
// stalls b's sending on connections b opened: one-way grudges are approximate there, two-way cuts
// are exact. The marks are set when a connection starts: the partitioner must exist before the
// nodes start (the run creates it before StartAll).
//
// Rules live in chains faultline owns: kChain (filter, jumped from OUTPUT; Apply flushes it and
// writes the new grudge, Heal flushes it) and kChain in the mangle table (the connection marks,
// written once by Create). Nothing outside those chains is ever touched.
//
// Thread-safety: thread-safe (a mutex serializes iptables invocations).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "harness/cluster/node.h"
#include "harness/net/partitioner.h"

namespace faultline::harness {

struct IptablesOptions {
  // Also cut a's packets on the connections b opened (see the header comment).
  bool cut_connections_opened_by_target = false;
};

struct IptablesNode {
  std::string host;  // the node's own address (distinct per node)
  unsigned gid = 0;  // the group id its process runs with (distinct per node, not 0)
};

class IptablesPartitioner final : public Partitioner {
 public:
  // Creates (or flushes) the chain and the OUTPUT jump. Unavailable when not root or when not in
  // the namespace EnterPrivateNetns() created; InvalidArgument when hosts or gids are not distinct
  // or a gid is 0; IoError when iptables fails.
  static Result<std::unique_ptr<IptablesPartitioner>> Create(std::map<NodeId, IptablesNode> nodes,
                                                             IptablesOptions options = {});
  // The same, with host and gid taken from each node's NodeInfo (host, gid).
  static Result<std::unique_ptr<IptablesPartitioner>> ForCluster(const std::vector<NodeInfo>& infos,
                                                                 IptablesOptions options = {});
  ~IptablesPartitioner() override;  // flushes the chain (the namespace dies soon anyway)

  Status Apply(const Grudge& grudge) override;
  Status Heal() override;
  bool SupportsLinkFaults() const override { return false; }
  Status SetDelay(NodeId from, NodeId to, int delay_ms) override;       // Unavailable
  Status SetLoss(NodeId from, NodeId to, double probability) override;  // Unavailable
  std::string Name() const override { return "iptables"; }

  static constexpr const char* kChain = "FAULTLINE";

 private:
  struct Impl;
  explicit IptablesPartitioner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace faultline::harness
