#include "harness/net/iptables_partitioner.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <set>

#include "harness/net/run_command.h"

namespace faultline::harness {
namespace {

// The network namespace of a thread, as the kernel names it ("net:[4026531840]").
std::string NetnsOf(const std::string& path) {
  std::error_code ec;
  auto target = std::filesystem::read_symlink(path, ec);
  return ec ? std::string() : target.string();
}

Status Iptables(std::vector<std::string> args) {
  args.insert(args.begin(), {"iptables", "-w"});
  return RunCommand(args);
}

}  // namespace

struct IptablesPartitioner::Impl {
  std::map<NodeId, std::string> hosts;
  std::mutex mu;  // serializes every iptables invocation
};

IptablesPartitioner::IptablesPartitioner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<IptablesPartitioner>> IptablesPartitioner::Create(
    std::map<NodeId, std::string> hosts) {
  if (geteuid() != 0) return Status::Unavailable("iptables partitions need root");
  // Safety: never touch the rules of the namespace we were started in (the machine's or the
  // container's). PID 1 lives there; a namespace from EnterPrivateNetns() differs from it.
  const std::string mine = NetnsOf("/proc/thread-self/ns/net");
  const std::string initial = NetnsOf("/proc/1/ns/net");
  if (mine.empty() || mine == initial) {
    return Status::Unavailable(
        "refusing to touch iptables outside a private network namespace (call "
        "EnterPrivateNetns first)");
  }
  std::set<std::string> distinct;
  for (const auto& [id, host] : hosts) distinct.insert(host);
  if (distinct.size() != hosts.size()) {
    return Status::InvalidArgument("iptables partitions need a distinct host per node");
  }
  // A chain left from an earlier partitioner in this namespace is reused after a flush.
  if (!Iptables({"-N", kChain}).ok()) {
    if (Status s = Iptables({"-F", kChain}); !s.ok()) return s;
  }
  if (!Iptables({"-C", "INPUT", "-j", kChain}).ok()) {
    if (Status s = Iptables({"-I", "INPUT", "-j", kChain}); !s.ok()) return s;
  }
  auto impl = std::make_unique<Impl>();
  impl->hosts = std::move(hosts);
  return std::unique_ptr<IptablesPartitioner>(new IptablesPartitioner(std::move(impl)));
}

IptablesPartitioner::~IptablesPartitioner() {
  std::lock_guard lock(impl_->mu);
  (void)Iptables({"-F", kChain});
}

Status IptablesPartitioner::Apply(const Grudge& grudge) {
  std::lock_guard lock(impl_->mu);
  for (const auto& [to, drops] : grudge) {
    if (!impl_->hosts.contains(to)) return Status::InvalidArgument(fmt::format("node {}", to));
    for (NodeId from : drops) {
      if (!impl_->hosts.contains(from)) {
        return Status::InvalidArgument(fmt::format("node {}", from));
      }
    }
  }
  if (Status s = Iptables({"-F", kChain}); !s.ok()) return s;
  for (const auto& [to, drops] : grudge) {
    for (NodeId from : drops) {
      Status s = Iptables(
          {"-A", kChain, "-s", impl_->hosts.at(from), "-d", impl_->hosts.at(to), "-j", "DROP"});
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
