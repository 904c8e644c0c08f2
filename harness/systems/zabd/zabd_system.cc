#include "harness/systems/zabd/zabd_system.h"

#include <fmt/format.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/client/resp_connection.h"
#include "harness/client/zabd_client.h"
#include "harness/cluster/cluster.h"
#include "harness/system/log_tail.h"
#include "harness/systems/zabd/role_query.h"

namespace faultline::harness {
namespace {

namespace fs = std::filesystem;

class ZabdLauncher final : public NodeLauncher {
 public:
  explicit ZabdLauncher(ZabdOptions options) : o_(std::move(options)) {}

  std::vector<std::string> PeerPortNames() const override { return {"peer"}; }
  std::string LogFileName() const override { return "zabd.log"; }

  Status CheckInstalled() const override {
    if (::access(o_.binary.c_str(), X_OK) != 0) {
      return Status::NotFound(fmt::format("zabd binary '{}' is not executable", o_.binary));
    }
    return Status::Ok();
  }

  Result<LaunchCommand> Prepare(const NodeInfo& self, const PeerDirectory& peers) override {
    std::error_code ec;
    fs::create_directories(ZabdDataDir(self), ec);
    if (ec)
      return Status::IoError(fmt::format("cannot create {}: {}", ZabdDataDir(self), ec.message()));
    YAML::Emitter out;
    out << YAML::BeginMap << YAML::Key << "nodes" << YAML::Value << YAML::BeginSeq;
    for (const NodeInfo& other : peers.nodes()) {
      const Endpoint peer =
          other.id == self.id ? self.PeerPort("peer") : peers.Dial(other.id, "peer");
      out << YAML::Flow << YAML::BeginMap << YAML::Key << "id" << YAML::Value << other.id
          << YAML::Key << "client" << YAML::Value << other.client.ToString() << YAML::Key << "peer"
          << YAML::Value << peer.ToString() << YAML::EndMap;
    }
    out << YAML::EndSeq;
    out << YAML::Key << "data_dir" << YAML::Value << ZabdDataDir(self);
    out << YAML::Key << "tick_time_ms" << YAML::Value << o_.tick_time_ms;
    out << YAML::Key << "init_limit" << YAML::Value << o_.init_limit;
    out << YAML::Key << "sync_limit" << YAML::Value << o_.sync_limit;
    out << YAML::Key << "read_mode" << YAML::Value << o_.read_mode;
    out << YAML::Key << "secret" << YAML::Value << o_.secret;
    out << YAML::Key << "snapshot_every" << YAML::Value << o_.snapshot_every;
    out << YAML::EndMap;
    const std::string path = ZabdConfigPath(self);
    std::ofstream file(path, std::ios::trunc);
    file << out.c_str() << "\n";
    file.close();
    if (!file) return Status::IoError(fmt::format("cannot write {}", path));
    LaunchCommand c;
    c.program = o_.binary;
    c.args = {"--config",    path,
              "--id",        std::to_string(self.id),
              "--data-dir",  ZabdDataDir(self),
              "--event-log", ZabdEventLogPath(self)};
    c.args.insert(c.args.end(), o_.extra_flags.begin(), o_.extra_flags.end());
    if (o_.power_loss_sim) c.args.push_back("--power-loss-sim");
    return c;
  }

  Result<RoleInfo> QueryRole(const NodeInfo& node,
                             std::chrono::milliseconds timeout) const override {
    return harness::QueryRole(node.client, timeout);
  }

  Status Ping(const NodeInfo& node, std::chrono::milliseconds timeout) const override {
    return harness::Ping(node.client, timeout);
  }

 private:
  ZabdOptions o_;
};

class ZabdSystem final : public System {
 public:
  explicit ZabdSystem(ZabdOptions options) : o_(std::move(options)) {}

  std::string Kind() const override { return "zabd"; }
  std::string ReadMode() const override { return o_.read_mode; }
  SystemTraits Traits() const override {
    SystemTraits t;
    t.zab_event_log = t.role_phases = t.state_digest = true;
    t.power_loss = true;  // zabd --power-loss-sim
    return t;
  }

  Result<std::unique_ptr<Db>> OpenDb(const DbOptions& options) override {
    ZabdOptions o = o_;
    o.power_loss_sim = options.power_loss;
    return OpenProcessDb(MakeZabdLauncher(o), options);
  }

  std::unique_ptr<Client> NewClient(const NodeInfo& node, const std::string& read_mode) override {
    // "" leaves the connection in the server's configured mode, which is the run's.
    return std::make_unique<ZabdClient>(node.client.host, node.client.port, read_mode, node.id);
  }

  Promises PromisesFor(const std::string& read_mode) const override {
    Promises p;
    const std::string mode = read_mode.empty() ? o_.read_mode : read_mode;
    if (mode == "local") {
      p.linearizable_reads = false;
      p.checkers = {"linearizability", "session-order", "lost-writes", "zab-invariants"};
      p.observations = {"stale-reads"};
      p.summary =
          "zabd, local reads: writes linearizable, reads in session order (a stale read "
          "is allowed), no lost acknowledged write, ZAB invariants";
    } else {
      p.checkers = {"linearizability", "lost-writes", "zab-invariants"};
      p.summary = fmt::format(
          "zabd, {} reads: every op linearizable, no lost acknowledged write, ZAB invariants",
          mode);
    }
    return p;
  }

  std::unique_ptr<EventImporter> NewEventImporter(const NodeInfo& node) override {
    return std::make_unique<TailImporter>(
        ZabdEventLogPath(node),
        [id = node.id](std::string_view l) { return ParseJsonEventLine(l, id); });
  }

  Result<std::string> StateDigest(const NodeInfo& node,
                                  std::chrono::milliseconds timeout) override {
    RespConnection conn(node.client.host, node.client.port);
    CallResult r = conn.Call({"INFO"}, timeout);
    if (r.kind != CallResult::Kind::kReply || r.reply.type != RespValue::Type::kBulk) {
      return Status::Unavailable(fmt::format("n{}: no INFO reply", node.id));
    }
    std::istringstream in(r.reply.str);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("state_digest:", 0) == 0) return line.substr(13);
    }
    return Status::Unavailable(fmt::format("n{}: INFO has no state_digest", node.id));
  }

  std::string EventLogPath(const NodeInfo& node) const override { return ZabdEventLogPath(node); }

 private:
  ZabdOptions o_;
};

using Opt = SystemOptionSpec;

}  // namespace

std::string ZabdConfigPath(const NodeInfo& node) { return node.dir + "/config.yaml"; }
std::string ZabdDataDir(const NodeInfo& node) { return node.dir + "/data"; }
std::string ZabdEventLogPath(const NodeInfo& node) { return node.dir + "/events.jsonl"; }

std::shared_ptr<NodeLauncher> MakeZabdLauncher(ZabdOptions options) {
  return std::make_shared<ZabdLauncher>(std::move(options));
}

std::unique_ptr<System> MakeZabdSystem(ZabdOptions options) {
  return std::make_unique<ZabdSystem>(std::move(options));
}

std::string ResolveZabdBinary(const std::string& from_spec, const std::string& spec_dir,
                              const std::string& bin_dir) {
  const fs::path beside = fs::path(bin_dir) / "zabd";
  if (from_spec.empty()) return beside.string();
  fs::path p(from_spec);
  if (p.is_absolute()) return p.string();
  if (from_spec.find('/') == std::string::npos) {
    // A bare name: beside faultline first, as the default does.
    fs::path near = fs::path(bin_dir) / p;
    if (fs::exists(near)) return near.string();
    return p.string();
  }
  return (fs::path(spec_dir) / p).lexically_normal().string();
}

SystemKind ZabdSystemKind() {
  SystemKind k;
  k.name = "zabd";
  k.description = "faultline's own ZAB key-value server (RESP clients), built beside faultline";
  k.read_modes = {"linearizable", "sync", "local"};
  k.options = {
      Opt{"zabd", Opt::Type::kString, 0, 0, "zabd binary (default: beside faultline)"},
      Opt{"tick_time_ms", Opt::Type::kInt, 1, 10000, "ZAB tick (ms)"},
      Opt{"init_limit", Opt::Type::kInt, 1, 1000, "ticks a follower may take to sync"},
      Opt{"sync_limit", Opt::Type::kInt, 1, 1000, "ticks of silence before a peer is dropped"},
      Opt{"snapshot_every", Opt::Type::kInt, 1, 1000000000, "txns between snapshots"},
      Opt{"extra_flags", Opt::Type::kStringList, 0, 0, "appended to every zabd command line"},
  };
  k.create = [](const SystemConfig& c) -> Result<std::unique_ptr<System>> {
    ZabdOptions o;
    o.binary = ResolveZabdBinary(c.String("zabd", ""), c.spec_dir, c.bin_dir);
    o.tick_time_ms = static_cast<int>(c.Int("tick_time_ms", 50));
    o.init_limit = static_cast<int>(c.Int("init_limit", 10));
    o.sync_limit = static_cast<int>(c.Int("sync_limit", 5));
    o.snapshot_every = c.Int("snapshot_every", 10000);
    o.extra_flags = c.List("extra_flags");
    o.read_mode = c.read_mode;
    return MakeZabdSystem(std::move(o));
  };
  return k;
}

}  // namespace faultline::harness
