#include "harness/net/iptables_partitioner.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <set>

#include "harness/net/netns.h"
#include "harness/net/run_command.h"

namespace faultline::harness {
namespace {

Status Iptables(std::vector<std::string> args) {
  args.insert(args.begin(), {"iptables", "-w"});
  return RunCommand(args);
}

// Every new connection remembers which node opened it (see the header: a's packets on a
// connection b opened are addressed to 127.0.0.1, so only this mark tells whom they go to).
Status MarkConnectionsByOpener(const std::map<NodeId, IptablesNode>& nodes) {
  const char* chain = IptablesPartitioner::kChain;
  if (!Iptables({"-t", "mangle", "-N", chain}).ok()) {
    if (Status s = Iptables({"-t", "mangle", "-F", chain}); !s.ok()) return s;
  }
  if (!Iptables({"-t", "mangle", "-C", "OUTPUT", "-j", chain}).ok()) {
    if (Status s = Iptables({"-t", "mangle", "-I", "OUTPUT", "-j", chain}); !s.ok()) return s;
  }
  for (const auto& [id, node] : nodes) {
    const std::string gid = std::to_string(node.gid);
    Status s = Iptables({"-t", "mangle", "-A", chain, "-m", "owner", "--gid-owner", gid, "-m",
                         "conntrack", "--ctstate", "NEW", "-j", "CONNMARK", "--set-mark", gid});
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace

struct IptablesPartitioner::Impl {
  std::map<NodeId, IptablesNode> nodes;
  IptablesOptions options;
  std::mutex mu;  // serializes every iptables invocation
};

IptablesPartitioner::IptablesPartitioner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<IptablesPartitioner>> IptablesPartitioner::ForCluster(
    const std::vector<NodeInfo>& infos, IptablesOptions options) {
  std::map<NodeId, IptablesNode> nodes;
  for (const NodeInfo& info : infos) nodes[info.id] = {info.host, info.gid};
  return Create(std::move(nodes), options);
}

Result<std::unique_ptr<IptablesPartitioner>> IptablesPartitioner::Create(
    std::map<NodeId, IptablesNode> nodes, IptablesOptions options) {
  if (geteuid() != 0) return Status::Unavailable("iptables partitions need root");
  // Safety: never touch the rules of a namespace we did not create (the machine's or the
  // container's own).
  if (!InPrivateNetns()) {
    return Status::Unavailable(
        "refusing to touch iptables outside the private network namespace created by "
        "EnterPrivateNetns()");
  }
  std::set<std::string> hosts;
  std::set<unsigned> gids;
  for (const auto& [id, node] : nodes) {
    hosts.insert(node.host);
    gids.insert(node.gid);
  }
  if (hosts.size() != nodes.size() || gids.size() != nodes.size() || gids.contains(0)) {
    return Status::InvalidArgument(
        "iptables partitions need a distinct host and a distinct non-zero gid per node");
  }
  // A chain left from an earlier partitioner in this namespace is reused after a flush.
  if (!Iptables({"-N", kChain}).ok()) {
    if (Status s = Iptables({"-F", kChain}); !s.ok()) return s;
  }
  if (!Iptables({"-C", "OUTPUT", "-j", kChain}).ok()) {
    if (Status s = Iptables({"-I", "OUTPUT", "-j", kChain}); !s.ok()) return s;
  }
  if (options.cut_connections_opened_by_target) {
    if (Status s = MarkConnectionsByOpener(nodes); !s.ok()) return s;
  }
  auto impl = std::make_unique<Impl>();
  impl->nodes = std::move(nodes);
  impl->options = options;
  return std::unique_ptr<IptablesPartitioner>(new IptablesPartitioner(std::move(impl)));
}

IptablesPartitioner::~IptablesPartitioner() {
  std::lock_guard lock(impl_->mu);
  (void)Iptables({"-F", kChain});
}

Status IptablesPartitioner::Apply(const Grudge& grudge) {
  std::lock_guard lock(impl_->mu);
  for (const auto& [to, drops] : grudge) {
    if (!impl_->nodes.contains(to)) return Status::InvalidArgument(fmt::format("node {}", to));
    for (NodeId from : drops) {
      if (!impl_->nodes.contains(from)) {
        return Status::InvalidArgument(fmt::format("node {}", from));
      }
    }
  }
  if (Status s = Iptables({"-F", kChain}); !s.ok()) return s;
  for (const auto& [to, drops] : grudge) {
    for (NodeId from : drops) {
      const std::string from_gid = std::to_string(impl_->nodes.at(from).gid);
      // Everything `from`'s process sends to `to`'s address ...
      Status s = Iptables({"-A", kChain, "-m", "owner", "--gid-owner", from_gid, "-d",
                           impl_->nodes.at(to).host, "-j", "DROP"});
      if (!s.ok()) return s;
      if (!impl_->options.cut_connections_opened_by_target) continue;
      // ... and on the connections `to` opened to it.
      s = Iptables({"-A", kChain, "-m", "owner", "--gid-owner", from_gid, "-m", "connmark",
                    "--mark", std::to_string(impl_->nodes.at(to).gid), "-j", "DROP"});
      if (!s.ok()) return s;
    }
  }
  return Status::Ok();
}

Status IptablesPartitioner::Heal() {
  std::lock_guard lock(impl_->mu);
  return Iptables({"-F", kChain});
}

Status IptablesPartitioner::SetDelay(NodeId, NodeId, int) {
  return Status::Unavailable("delay needs the proxy (tc netem is not available)");
}

Status IptablesPartitioner::SetLoss(NodeId, NodeId, double) {
  return Status::Unavailable("loss needs the proxy");
}

}  // namespace faultline::harness
