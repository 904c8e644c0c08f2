// How one etcd 3.4 node is started: its command line, built from plain data (no processes here;
// the generic supervisor in harness/cluster runs it). Pure, so every flag has a unit test.
//
// Per node (node-<id>/ in the run folder):
//   data/      --data-dir: etcd's WAL and bbolt store, kept across restarts
//   etcd.log   --log-outputs: zap JSON lines, one per event, read by EtcdLogImporter
//              (log_import.h). Chosen over etcd 3.4's default capnslog text because every line
//              has an exact UTC timestamp and raft's "became leader at term N" messages arrive
//              whole in "msg", with the member ids etcd uses everywhere else.
//   stdout/stderr: whatever etcd prints outside its logger, kept by the supervisor.
//
// Membership: the node's name is "n<id>"; every node gets the same --initial-cluster, token and
// peer URLs, because etcd derives member ids and the cluster id from them: a node told a
// different peer URL (a per-link TCP proxy in front of a peer) computes a different cluster id,
// and the peers refuse each other ("request cluster ID mismatch", testdata/etcd/
// proxy-cluster-id-mismatch.log). Partitions therefore need iptables (the run's own network
// namespace, node i on 127.0.0.(10+i)); the proxy partitioner cannot be used.
//
// Restarts reuse the same command line: on a data dir that already holds a member, etcd ignores
// the --initial-* flags ("server has been already initialized") and rejoins with its WAL.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/cluster/node.h"

namespace faultline::harness::etcd {

struct EtcdMember {
  NodeId id = 0;
  Endpoint client;  // --listen-client-urls / --advertise-client-urls
  Endpoint peer;    // --listen-peer-urls / --initial-advertise-peer-urls
};

struct EtcdLaunch {
  std::string etcd_path = "etcd";
  std::vector<EtcdMember> members;  // every voter, each id once
  std::string cluster_token;        // --initial-cluster-token: unique per run
  int64_t heartbeat_interval_ms = 0;
  int64_t election_timeout_ms = 0;
};

std::string MemberName(NodeId id);          // "n3"
std::string Url(const Endpoint& endpoint);  // "http://127.0.0.13:23803"
// "n1=http://127.0.0.11:23801,n2=..." in member order.
std::string InitialCluster(const std::vector<EtcdMember>& members);

// argv (argv[0] = etcd_path) for node `id`. `id` must be one of launch.members (asserted).
std::vector<std::string> EtcdArgv(const EtcdLaunch& launch, NodeId id, const std::string& data_dir,
                                  const std::string& log_path);

}  // namespace faultline::harness::etcd
