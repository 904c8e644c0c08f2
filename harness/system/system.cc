#include "harness/system/system.h"

#include <fmt/format.h>

#include <algorithm>

#include "harness/cluster/cluster.h"
#include "harness/system/system_kind.h"

namespace faultline::harness {

Result<std::unique_ptr<Db>> OpenProcessDb(std::shared_ptr<NodeLauncher> launcher,
                                          const DbOptions& options) {
  ClusterOptions c;
  c.launcher = std::move(launcher);
  c.run_dir = options.run_dir;
  c.node_count = options.nodes;
  c.address_mode = options.layout == NetLayout::kPrivateNetns ? AddressMode::kPrivateNetns
                                                              : AddressMode::kLoopback;
  Result<std::unique_ptr<Cluster>> cluster = Cluster::Create(std::move(c));
  if (!cluster.ok()) return cluster.status();
  return std::unique_ptr<Db>(std::move(cluster).value());
}

bool Promises::Promised(const std::string& checker) const {
  return std::find(checkers.begin(), checkers.end(), checker) != checkers.end();
}

Result<std::string> System::StateDigest(const NodeInfo& node, std::chrono::milliseconds timeout) {
  return Status::Unavailable(fmt::format("system {} reports no state digest", Kind()));
}

std::string SystemConfig::String(const std::string& key, const std::string& fallback) const {
  auto it = options.find(key);
  return it == options.end() || it->second.empty() ? fallback : it->second.front();
}

int64_t SystemConfig::Int(const std::string& key, int64_t fallback) const {
  auto it = options.find(key);
  // Validated against the kind's table before the factory runs: a number in range.
  return it == options.end() || it->second.empty() ? fallback : std::stoll(it->second.front());
}

bool SystemConfig::Bool(const std::string& key, bool fallback) const {
  auto it = options.find(key);
  if (it == options.end() || it->second.empty()) return fallback;
  return it->second.front() == "true";
}

std::vector<std::string> SystemConfig::List(const std::string& key) const {
  auto it = options.find(key);
  return it == options.end() ? std::vector<std::string>{} : it->second;
}

}  // namespace faultline::harness
