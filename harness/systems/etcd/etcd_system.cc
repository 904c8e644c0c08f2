#include "harness/systems/etcd/etcd_system.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <sstream>

#include "harness/cluster/cluster.h"
#include "harness/system/log_tail.h"
#include "harness/systems/etcd/etcd_client.h"
#include "harness/systems/etcd/launcher.h"
#include "harness/systems/etcd/limits.h"
#include "harness/systems/etcd/log_import.h"
#include "harness/systems/etcd/status_query.h"

namespace faultline::harness::etcd {
namespace {

constexpr const char* kProxyRefusal =
    "etcd cannot run through the TCP proxy: it derives member and cluster ids from the peer URLs "
    "every member is given, so a proxy address per link makes each member a different cluster "
    "(\"request cluster ID mismatch\"); partition etcd with iptables (run faultline as root)";

// What every node of one cluster shares: peer URLs (for the importer) and the member ids learned
// from status answers (for naming leaders). Filled once the supervisor has laid the nodes out.
struct Layout {
  mutable std::mutex mu;
  std::map<std::string, NodeId> peer_urls;  // "http://127.0.0.11:7101" -> 1
  std::map<NodeId, Endpoint> clients;
  MemberIds members;
};

class EtcdLauncher final : public NodeLauncher {
 public:
  EtcdLauncher(EtcdOptions options, std::string token, std::shared_ptr<Layout> layout)
      : o_(std::move(options)), token_(std::move(token)), layout_(std::move(layout)) {}

  std::vector<std::string> PeerPortNames() const override { return {"peer"}; }
  std::string LogFileName() const override { return "etcd.out"; }

  Status CheckInstalled() const override {
    if (FindExecutable(o_.binary).empty()) {
      return Status::NotFound(fmt::format(
          "etcd binary '{}' not found: install Debian's etcd-server (apt-get install etcd-server "
          "etcd-client, or scripts/setup.sh --with etcd) or set system.etcd",
          o_.binary));
    }
    return Status::Ok();
  }

  Result<LaunchCommand> Prepare(const NodeInfo& self, const PeerDirectory& peers) override {
    EtcdLaunch launch;
    launch.etcd_path = FindExecutable(o_.binary);
    launch.cluster_token = token_;
    launch.heartbeat_interval_ms = o_.heartbeat_interval_ms;
    launch.election_timeout_ms = o_.election_timeout_ms;
    for (const NodeInfo& n : peers.nodes()) {
      // Always the real peer address: etcd cannot be proxied (see kProxyRefusal), and the run
      // refuses proxy mode for etcd before any node is prepared.
      launch.members.push_back({n.id, n.client, n.PeerPort("peer")});
    }
    std::vector<std::string> argv = EtcdArgv(launch, self.id, EtcdDataDir(self), EtcdLogPath(self));
    LaunchCommand c;
    c.program = argv.front();
    c.args.assign(argv.begin() + 1, argv.end());
    return c;
  }

  Result<RoleInfo> QueryRole(const NodeInfo& node,
                             std::chrono::milliseconds timeout) const override {
    auto status = QueryStatus(node.client, timeout);
    if (!status.ok()) return status.status();
    Learn(status.value().header.member_id, node.id);
    if (status.value().leader_id != 0 && !Known(status.value().leader_id)) {
      LearnAll(node.id, timeout / 4);
    }
    std::lock_guard<std::mutex> l(layout_->mu);
    return ToRoleInfo(status.value(), layout_->members);
  }

  Status Ping(const NodeInfo& node, std::chrono::milliseconds timeout) const override {
    auto status = QueryStatus(node.client, timeout);
    if (!status.ok()) return status.status();
    Learn(status.value().header.member_id, node.id);
    // A member that knows no leader cannot serve a linearizable request yet.
    if (status.value().leader_id == 0) {
      return Status::Unavailable(fmt::format("etcd node {} has no leader yet", node.id));
    }
    return Status::Ok();
  }

 private:
  void Learn(uint64_t member, NodeId id) const {
    std::lock_guard<std::mutex> l(layout_->mu);
    layout_->members[member] = id;
  }
  bool Known(uint64_t member) const {
    std::lock_guard<std::mutex> l(layout_->mu);
    return layout_->members.count(member) > 0;
  }
  // Asks every other node for its member id (each status names its own), bounded by `timeout`
  // per node.
  void LearnAll(NodeId except, std::chrono::milliseconds timeout) const {
    std::map<NodeId, Endpoint> clients;
    {
      std::lock_guard<std::mutex> l(layout_->mu);
      clients = layout_->clients;
    }
    for (const auto& [id, endpoint] : clients) {
      if (id == except) continue;
      auto s = QueryStatus(endpoint, timeout);
      if (s.ok()) Learn(s.value().header.member_id, id);
    }
  }

  EtcdOptions o_;
  std::string token_;
  std::shared_ptr<Layout> layout_;
};

// Tails <dir>/etcd.log and turns its lines into node events as the run goes.
class EtcdEventImporter final : public EventImporter {
 public:
  EtcdEventImporter(const NodeInfo& node, std::map<std::string, NodeId> peer_urls)
      : tail_(EtcdLogPath(node)), importer_(node.id, std::move(peer_urls)) {}
  Batch Poll() override { return Feed(tail_.ReadLines(false)); }
  Batch Finish() override { return Feed(tail_.ReadLines(true)); }

 private:
  Batch Feed(const std::vector<std::string>& lines) {
    Batch b;
    const int64_t before = importer_.stats().not_json;
    for (const std::string& line : lines) importer_.Feed(line, &b.events);
    b.skipped = static_cast<int>(importer_.stats().not_json - before);
    return b;
  }
  LogTail tail_;
  EtcdLogImporter importer_;
};

class EtcdSystem final : public System {
 public:
  explicit EtcdSystem(EtcdOptions options)
      : o_(std::move(options)), layout_(std::make_shared<Layout>()) {}

  std::string Kind() const override { return "etcd"; }
  std::string ReadMode() const override { return o_.read_mode; }
  SystemTraits Traits() const override {
    SystemTraits t;
    t.proxy_refusal = kProxyRefusal;
    // b's stream readers dial a and a writes its a -> b messages on them.
    t.peers_reply_on_dialed_connections = true;
    return t;
  }

  Result<std::unique_ptr<Db>> OpenDb(const DbOptions& options) override {
    // A token unique to the run folder: members of another run can never join this cluster.
    Result<std::unique_ptr<Db>> db = OpenProcessDb(
        std::make_shared<EtcdLauncher>(
            o_, fmt::format("faultline-{:x}", std::hash<std::string>()(options.run_dir)), layout_),
        options);
    if (!db.ok()) return db.status();
    {
      std::lock_guard<std::mutex> l(layout_->mu);
      layout_->peer_urls.clear();
      layout_->clients.clear();
      layout_->members.clear();
      for (const NodeInfo& n : db.value()->Infos()) {
        layout_->peer_urls[Url(n.PeerPort("peer"))] = n.id;
        layout_->clients[n.id] = n.client;
      }
    }
    return db;
  }

  std::unique_ptr<Client> NewClient(const NodeInfo& node, const std::string& read_mode) override {
    const std::string mode = read_mode.empty() ? o_.read_mode : read_mode;
    return std::make_unique<EtcdClient>(
        node.client.host, node.client.port,
        mode == "local" ? etcd::ReadMode::kSerializable : etcd::ReadMode::kLinearizable, node.id);
  }

  Promises PromisesFor(const std::string& read_mode) const override {
    Promises p;
    const std::string mode = read_mode.empty() ? o_.read_mode : read_mode;
    if (mode == "local") {
      // Serializable ranges are served from the member's own applied state: possibly stale,
      // never from the future, and monotonic for one member.
      p.linearizable_reads = false;
      p.checkers = {"linearizability", "session-order", "lost-writes", "zab-invariants"};
      p.observations = {"stale-reads"};
      p.summary =
          "etcd, serializable (local) reads: writes linearizable, reads in session order (a "
          "stale read is allowed), no lost acknowledged write, one Raft leader per term";
    } else {
      p.checkers = {"linearizability", "lost-writes", "zab-invariants"};
      p.summary =
          "etcd, linearizable reads: every op linearizable, no lost acknowledged write, one Raft "
          "leader per term (from etcd's own log)";
    }
    return p;
  }

  std::unique_ptr<EventImporter> NewEventImporter(const NodeInfo& node) override {
    std::lock_guard<std::mutex> l(layout_->mu);
    return std::make_unique<EtcdEventImporter>(node, layout_->peer_urls);
  }

 private:
  EtcdOptions o_;
  std::shared_ptr<Layout> layout_;
};

using Opt = SystemOptionSpec;

}  // namespace

std::string EtcdDataDir(const NodeInfo& node) { return node.dir + "/data"; }
std::string EtcdLogPath(const NodeInfo& node) { return node.dir + "/etcd.log"; }

std::string FindExecutable(const std::string& binary) {
  if (binary.empty()) return "";
  if (binary.find('/') != std::string::npos) {
    return ::access(binary.c_str(), X_OK) == 0 ? binary : "";
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + binary;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::unique_ptr<System> MakeEtcdSystem(EtcdOptions options) {
  return std::make_unique<EtcdSystem>(std::move(options));
}

SystemKind EtcdSystemKind() {
  SystemKind k;
  k.name = "etcd";
  k.description = "etcd 3.4 (Debian etcd-server), clients through its v3 JSON gateway";
  k.read_modes = {"linearizable", "local"};
  k.options = {
      Opt{"etcd", Opt::Type::kString, 0, 0, "etcd binary (default: etcd from PATH)"},
      Opt{"heartbeat_interval_ms", Opt::Type::kInt, 10, 10000, "Raft heartbeat (ms)"},
      Opt{"election_timeout_ms", Opt::Type::kInt, 50, 50000,
          "Raft election timeout (ms), at least 5 heartbeats"},
  };
  k.create = [](const SystemConfig& c) -> Result<std::unique_ptr<System>> {
    EtcdOptions o;
    o.binary = c.String("etcd", "etcd");
    if (o.binary.find('/') != std::string::npos && o.binary.front() != '/') {
      o.binary = c.spec_dir + "/" + o.binary;  // relative to the spec file
    }
    o.heartbeat_interval_ms = c.Int("heartbeat_interval_ms", kHeartbeatIntervalMs);
    o.election_timeout_ms = c.Int("election_timeout_ms", kElectionTimeoutMs);
    if (o.election_timeout_ms < 5 * o.heartbeat_interval_ms) {
      return Status::InvalidArgument(fmt::format(
          "system.election_timeout_ms ({}) must be at least 5 x system.heartbeat_interval_ms "
          "({}): etcd refuses to start otherwise",
          o.election_timeout_ms, o.heartbeat_interval_ms));
    }
    o.read_mode = c.read_mode;
    return MakeEtcdSystem(std::move(o));
  };
  return k;
}

}  // namespace faultline::harness::etcd
