#include "harness/systems/etcd/launcher.h"

#include <algorithm>
#include <cassert>

namespace faultline::harness::etcd {

std::string MemberName(NodeId id) { return "n" + std::to_string(id); }

std::string Url(const Endpoint& endpoint) { return "http://" + endpoint.ToString(); }

std::string InitialCluster(const std::vector<EtcdMember>& members) {
  std::string out;
  for (const EtcdMember& m : members) {
    if (!out.empty()) out += ",";
    out += MemberName(m.id) + "=" + Url(m.peer);
  }
  return out;
}

std::vector<std::string> EtcdArgv(const EtcdLaunch& launch, NodeId id, const std::string& data_dir,
                                  const std::string& log_path) {
  auto self = std::find_if(launch.members.begin(), launch.members.end(),
                           [&](const EtcdMember& m) { return m.id == id; });
  assert(self != launch.members.end() && "EtcdArgv: id is not a member");
  const std::string client = Url(self->client);
  const std::string peer = Url(self->peer);
  return {
      launch.etcd_path,
      "--name",
      MemberName(id),
      "--data-dir",
      data_dir,
      "--listen-client-urls",
      client,
      "--advertise-client-urls",
      client,
      "--listen-peer-urls",
      peer,
      "--initial-advertise-peer-urls",
      peer,
      "--initial-cluster",
      InitialCluster(launch.members),
      "--initial-cluster-state",
      "new",
      "--initial-cluster-token",
      launch.cluster_token,
      "--heartbeat-interval",
      std::to_string(launch.heartbeat_interval_ms),
      "--election-timeout",
      std::to_string(launch.election_timeout_ms),
      // Structured logs to the node folder (see launcher.h); info level carries every raft
      // state change the importer reads.
      "--logger",
      "zap",
      "--log-outputs",
      log_path,
      "--log-level",
      "info",
  };
}

}  // namespace faultline::harness::etcd
