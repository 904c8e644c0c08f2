#include "harness/systems/zookeeper/zk_system.h"

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <mutex>

#include "harness/system/log_tail.h"
#include "harness/systems/zookeeper/log_stream.h"
#include "harness/systems/zookeeper/srvr.h"
#ifdef FAULTLINE_ZOOKEEPER_CLIENT
#include "harness/systems/zookeeper/zk_client.h"
#endif

namespace faultline::harness::zookeeper {
namespace {

namespace fs = std::filesystem;

class ZkLauncher final : public NodeLauncher {
 public:
  explicit ZkLauncher(ZkSystemOptions options) : o_(std::move(options)) {}

  std::vector<std::string> PeerPortNames() const override { return {"quorum", "election"}; }
  std::string LogFileName() const override { return kJvmLogFile; }

  Status CheckInstalled() const override {
    if (!ClientBuilt()) {
      return Status::NotFound(
          "this faultline was built without libzookeeper-mt (Debian package "
          "libzookeeper-mt-dev): install it and rebuild to test ZooKeeper");
    }
    return ZkInstall::Detect().status();
  }

  Result<LaunchCommand> Prepare(const NodeInfo& self, const PeerDirectory& peers) override {
    auto install = ZkInstall::Detect();
    if (!install.ok()) return install.status();
    ZkNodeConfig n;
    n.id = self.id;
    n.dir = self.dir;
    n.client = self.client;
    n.timings = o_.timings;
    n.extra_config = o_.extra_config;
    for (const NodeInfo& other : peers.nodes()) {
      if (other.id == self.id) {
        n.servers[other.id] = {self.PeerPort("quorum"), self.PeerPort("election")};
      } else {
        n.servers[other.id] = {peers.Dial(other.id, "quorum"), peers.Dial(other.id, "election")};
      }
    }
    if (Status s = WriteNodeFiles(n); !s.ok()) return s;
    std::vector<std::string> argv = JavaCommand(*install, n, JvmOptions(n, o_.jvm));
    LaunchCommand c;
    c.program = argv.front();
    c.args.assign(argv.begin() + 1, argv.end());
    c.cwd = n.dir;
    return c;
  }

  Result<RoleInfo> QueryRole(const NodeInfo& node,
                             std::chrono::milliseconds timeout) const override {
    auto info = QuerySrvr(node.client, timeout);
    if (info.ok() && info->role == Role::kLeading) info->leader_id = node.id;
    return info;
  }

  Status Ping(const NodeInfo& node, std::chrono::milliseconds timeout) const override {
    auto info = QuerySrvr(node.client, timeout);
    if (!info.ok()) return info.status();
    if (info->phase != "broadcast") {
      return Status::Unavailable(fmt::format("n{}: not serving (no quorum)", node.id));
    }
    return Status::Ok();
  }

 private:
  ZkSystemOptions o_;
};

// Every node's server log of one run, read and joined together (log_stream.h).
class RunLogs {
 public:
  void Register(const NodeInfo& node) {
    std::lock_guard<std::mutex> lock(mu_);
    tails_.try_emplace(node.id, ServerLogPath(node.dir));
  }

  EventImporter::Batch Poll(NodeId node, bool finish) {
    std::lock_guard<std::mutex> lock(mu_);
    // A follower's events need its leader's lines: read every node's log, not only this one's.
    // Finish comes after the nodes stopped: their files are as complete as they will be.
    for (auto& [id, tail] : tails_) malformed_[id] += stream_.AddLines(id, tail.ReadLines(finish));
    if (finish) stream_.MarkComplete();
    EventImporter::Batch b;
    b.events = stream_.Take(node);
    b.skipped = malformed_[node];  // lines that look like records but do not parse
    malformed_[node] = 0;
    return b;
  }

 private:
  std::mutex mu_;
  std::map<NodeId, LogTail> tails_;
  std::map<NodeId, int> malformed_;
  ZkLogStream stream_;
};

class ZkEventImporter final : public EventImporter {
 public:
  ZkEventImporter(std::shared_ptr<RunLogs> logs, NodeId node)
      : logs_(std::move(logs)), node_(node) {}
  Batch Poll() override { return logs_->Poll(node_, false); }
  Batch Finish() override { return logs_->Poll(node_, true); }

 private:
  std::shared_ptr<RunLogs> logs_;
  NodeId node_;
};

#ifndef FAULTLINE_ZOOKEEPER_CLIENT
// Never reached in a run (CheckInstalled refuses first); keeps the system's shape without the C
// client.
class UnbuiltClient final : public Client {
 public:
  OpResult Invoke(const checkers::Op&, std::chrono::milliseconds) override {
    OpResult r;
    r.outcome = checkers::Outcome::kFail;
    r.error = "faultline was built without libzookeeper-mt";
    return r;
  }
};
#endif

class ZkSystem final : public System {
 public:
  explicit ZkSystem(ZkSystemOptions options) : o_(std::move(options)) {}

  std::string Kind() const override { return "zookeeper"; }
  std::string ReadMode() const override { return o_.read_mode; }
  SystemTraits Traits() const override {
    SystemTraits t;
    // Followers dial their leader and get its proposals on that connection; FLE keeps one link per
    // pair (the higher sid's).
    t.peers_reply_on_dialed_connections = true;
    return t;
  }

  Result<std::unique_ptr<Db>> OpenDb(const DbOptions& options) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      logs_.clear();  // a new run
    }
    return OpenProcessDb(MakeZkLauncher(o_), options);
  }

  std::unique_ptr<Client> NewClient(const NodeInfo& node, const std::string& read_mode) override {
#ifdef FAULTLINE_ZOOKEEPER_CLIENT
    ZkClientOptions c;
    c.connect = node.client.ToString();
    c.node = node.id;
    c.read_mode = read_mode.empty() ? o_.read_mode : read_mode;
    c.session_timeout = o_.session_timeout;
    return std::make_unique<ZkClient>(c);
#else
    return std::make_unique<UnbuiltClient>();
#endif
  }

  Promises PromisesFor(const std::string& read_mode) const override {
    Promises p;
    const std::string mode = read_mode.empty() ? o_.read_mode : read_mode;
    if (mode == "sync") {
      p.checkers = {"linearizability", "lost-writes", "zab-invariants"};
      p.summary =
          "ZooKeeper, sync+get reads: every op linearizable (a violation met by a partition is "
          "named as ZOOKEEPER-1675: sync is not a quorum operation), no lost acknowledged write, "
          "ZAB invariants on the servers' logs";
    } else {
      p.linearizable_reads = false;
      p.checkers = {"linearizability", "session-order", "lost-writes", "zab-invariants"};
      p.observations = {"stale-reads"};
      p.summary =
          "ZooKeeper, plain get: writes and cas linearizable, reads sequentially consistent (a "
          "stale read is an observation; going back in time within a session is an anomaly), no "
          "lost acknowledged write, ZAB invariants on the servers' logs";
    }
    return p;
  }

  std::unique_ptr<EventImporter> NewEventImporter(const NodeInfo& node) override {
    std::lock_guard<std::mutex> lock(mu_);
    // One RunLogs per run folder, shared by that run's node importers.
    const std::string run_dir = fs::path(node.dir).parent_path().string();
    std::shared_ptr<RunLogs>& logs = logs_[run_dir];
    if (!logs) logs = std::make_shared<RunLogs>();
    logs->Register(node);
    return std::make_unique<ZkEventImporter>(logs, node.id);
  }

 private:
  ZkSystemOptions o_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<RunLogs>> logs_;
};

}  // namespace

bool ClientBuilt() {
#ifdef FAULTLINE_ZOOKEEPER_CLIENT
  return true;
#else
  return false;
#endif
}

std::shared_ptr<NodeLauncher> MakeZkLauncher(ZkSystemOptions options) {
  return std::make_shared<ZkLauncher>(std::move(options));
}

std::unique_ptr<System> MakeZkSystem(ZkSystemOptions options) {
  return std::make_unique<ZkSystem>(std::move(options));
}

}  // namespace faultline::harness::zookeeper

namespace faultline::harness {

SystemKind ZooKeeperSystemKind() {
  using Opt = SystemOptionSpec;
  SystemKind k;
  k.name = "zookeeper";
  k.description =
      "Apache ZooKeeper 3.8 (Debian zookeeper + libzookeeper-mt-dev), forceSync on, znode per key";
  k.read_modes = {"local", "sync"};
  k.options = {
      Opt{"tick_time_ms", Opt::Type::kInt, 10, 10000, "ZooKeeper tickTime (ms)"},
      Opt{"init_limit", Opt::Type::kInt, 1, 1000, "initLimit: ticks for discovery + sync"},
      Opt{"sync_limit", Opt::Type::kInt, 1, 1000, "syncLimit: ticks of silence before a drop"},
      Opt{"session_timeout_ms", Opt::Type::kInt, 100, 600000,
          "client session timeout asked of the server (it clamps to 2..20 ticks)"},
      Opt{"election_connect_timeout_ms", Opt::Type::kInt, 100, 60000,
          "zookeeper.cnxTimeout: FLE connect timeout to a peer"},
      Opt{"jvm", Opt::Type::kString, 0, 0,
          "JVM options: chaos (small heap, serial GC) or packaged (the JVM's defaults)"},
      Opt{"extra_config", Opt::Type::kStringList, 0, 0, "extra zoo.cfg lines (key=value)"},
  };
  k.create = [](const SystemConfig& c) -> Result<std::unique_ptr<System>> {
    zookeeper::ZkSystemOptions o;
    o.timings.tick_time_ms = static_cast<int>(c.Int("tick_time_ms", 200));
    o.timings.init_limit = static_cast<int>(c.Int("init_limit", 10));
    o.timings.sync_limit = static_cast<int>(c.Int("sync_limit", 5));
    o.timings.election_connect_timeout_ms =
        static_cast<int>(c.Int("election_connect_timeout_ms", 1000));
    o.session_timeout = std::chrono::milliseconds(c.Int("session_timeout_ms", 3000));
    const std::string jvm = c.String("jvm", "chaos");
    if (jvm != "chaos" && jvm != "packaged") {
      return Status::InvalidArgument(fmt::format("system.jvm: '{}' is not chaos or packaged", jvm));
    }
    o.jvm = jvm == "chaos" ? zookeeper::JvmProfile::kChaos : zookeeper::JvmProfile::kPackaged;
    o.extra_config = c.List("extra_config");
    for (const std::string& line : o.extra_config) {
      if (line.find('=') == std::string::npos || line.find('\n') != std::string::npos) {
        return Status::InvalidArgument(
            fmt::format("system.extra_config: '{}' is not one key=value line", line));
      }
    }
    o.read_mode = c.read_mode;
    return zookeeper::MakeZkSystem(std::move(o));
  };
  return k;
}

}  // namespace faultline::harness
