#include "harness/systems/fake/fake_system.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "harness/system/log_tail.h"

namespace faultline::harness {
namespace {

namespace fs = std::filesystem;
using checkers::Fn;
using checkers::Outcome;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string EventLog(const NodeInfo& node) { return node.dir + "/events.jsonl"; }

// The replicated state and every node's process state, shared by the Db and the clients.
class World {
 public:
  World(std::vector<NodeInfo> nodes, int lose_every) : lose_every_(lose_every) {
    for (auto& n : nodes) nodes_[n.id] = std::move(n);
  }

  std::vector<NodeInfo> Infos() const {
    std::lock_guard l(mu_);
    std::vector<NodeInfo> out;
    for (const auto& [id, n] : nodes_) out.push_back(n);
    return out;
  }
  NodeState State(NodeId id) const {
    std::lock_guard l(mu_);
    auto it = nodes_.find(id);
    return it == nodes_.end() ? NodeState::kNotStarted : it->second.state;
  }
  bool Has(NodeId id) const {
    std::lock_guard l(mu_);
    return nodes_.contains(id);
  }

  // Moves `id` from one of `from` to `to`; Unavailable (the ClusterControl contract) otherwise.
  Status Transition(NodeId id, std::initializer_list<NodeState> from, NodeState to) {
    std::lock_guard l(mu_);
    auto it = nodes_.find(id);
    if (it == nodes_.end()) return Status::InvalidArgument(fmt::format("no node {}", id));
    NodeInfo& n = it->second;
    if (std::find(from.begin(), from.end(), n.state) == from.end()) {
      return Status::Unavailable(fmt::format("node {} is {}", id, NodeStateName(n.state)));
    }
    if (to == NodeState::kRunning && n.state != NodeState::kPaused) {
      if (!started_once_.insert(id).second) ++n.restarts;
      Log(n, {{"type", "start"}});
    }
    n.state = to;
    ElectLocked();
    return Status::Ok();
  }

  Result<RoleInfo> Role(NodeId id) const {
    std::lock_guard l(mu_);
    const NodeInfo& n = nodes_.at(id);
    if (n.state != NodeState::kRunning) {
      return Status::Unavailable(fmt::format("n{} is {}", id, NodeStateName(n.state)));
    }
    RoleInfo r;
    r.epoch = epoch_;
    r.leader_id = leader_;
    r.role = leader_ == 0 ? Role::kLooking : leader_ == id ? Role::kLeading : Role::kFollowing;
    r.phase = leader_ == 0 ? "election" : "broadcast";
    r.last_zxid = r.last_committed = (epoch_ << 32) | counter_;
    return r;
  }

  OpResult Apply(NodeId id, const checkers::Op& op) {
    std::lock_guard l(mu_);
    OpResult r;
    const NodeState st = nodes_.at(id).state;
    if (st == NodeState::kPaused) {
      r.outcome = Outcome::kInfo;
      r.error = "no reply (node paused)";
      return r;
    }
    if (st != NodeState::kRunning) {
      r.outcome = Outcome::kFail;
      r.error = "connection refused";
      return r;
    }
    if (leader_ == 0) {
      r.outcome = Outcome::kFail;
      r.error = "no quorum";
      return r;
    }
    auto& cell = data_[op.key];
    switch (op.f) {
      case Fn::kRead:
        r.outcome = Outcome::kOk;
        r.value = cell;
        r.zxid = (epoch_ << 32) | counter_;
        return r;
      case Fn::kWrite:
        Write(op.key, op.value, &r);
        return r;
      case Fn::kCas:
        if (cell != op.expected) {
          r.outcome = Outcome::kFail;
          r.error = "cas mismatch";
          return r;
        }
        Write(op.key, op.value, &r);
        return r;
      default:
        r.outcome = Outcome::kFail;
        r.error = "operation not supported by the fake system";
        return r;
    }
  }

 private:
  void Write(const std::string& key, const std::optional<std::string>& value, OpResult* r) {
    ++counter_;
    ++writes_;
    if (lose_every_ == 0 || writes_ % lose_every_ != 0) data_[key] = value;  // planted bug
    r->outcome = Outcome::kOk;
    r->zxid = (epoch_ << 32) | counter_;
  }

  // Leader = lowest running id while a majority runs; a change is a new epoch, logged.
  void ElectLocked() {
    std::vector<NodeId> running;
    for (const auto& [id, n] : nodes_) {
      if (n.state == NodeState::kRunning) running.push_back(id);
    }
    const NodeId leader = running.size() * 2 > nodes_.size() ? running.front() : 0;
    if (leader == leader_) return;
    leader_ = leader;
    if (leader != 0) {
      ++epoch_;
      counter_ = 0;
    }
    for (NodeId id : running) {
      const char* role = leader == 0 ? "looking" : leader == id ? "leading" : "following";
      Log(nodes_.at(id), {{"type", "role"}, {"role", role}, {"epoch", epoch_}, {"leader", leader}});
    }
  }

  void Log(const NodeInfo& n, nlohmann::json event) const {
    event["ts_ms"] = NowMs();
    event["node"] = n.id;
    std::ofstream(EventLog(n), std::ios::app) << event.dump() << "\n";
  }

  mutable std::mutex mu_;
  std::map<NodeId, NodeInfo> nodes_;
  std::set<NodeId> started_once_;
  std::map<std::string, std::optional<std::string>> data_;
  NodeId leader_ = 0;
  int64_t epoch_ = 0, counter_ = 0, writes_ = 0;
  const int lose_every_;
};

class FakeDb final : public Db {
 public:
  explicit FakeDb(std::shared_ptr<World> world) : world_(std::move(world)) {}
  ~FakeDb() override { (void)StopAll(); }

  Status StartAll() override {
    for (NodeId id : NodeIds()) {
      NodeState st = State(id);
      if (st == NodeState::kRunning || st == NodeState::kPaused) continue;
      if (Status s = Start(id); !s.ok()) return s;
    }
    return Status::Ok();
  }
  Status StopAll() override {
    for (NodeId id : NodeIds()) {
      (void)world_->Transition(id,
                               {NodeState::kRunning, NodeState::kPaused, NodeState::kKilled,
                                NodeState::kExitedUnexpectedly},
                               NodeState::kNotStarted);
    }
    return Status::Ok();
  }
  Status WaitUntilServing(std::chrono::milliseconds) override { return Status::Ok(); }
  Result<RoleInfo> QueryRole(NodeId id, std::chrono::milliseconds) override {
    if (!world_->Has(id)) return Status::InvalidArgument(fmt::format("no node {}", id));
    return world_->Role(id);
  }
  bool CanQueryRoles() const override { return true; }
  Status SetPeerRoute(NodeId, NodeId, const std::string&, Endpoint) override {
    return Status::InvalidArgument("the fake system has no peer network");
  }
  std::vector<NodeInfo> Infos() const override { return world_->Infos(); }
  NodeInfo Info(NodeId id) const override {
    for (NodeInfo& n : world_->Infos()) {
      if (n.id == id) return n;
    }
    return {};
  }
  std::vector<UnexpectedExit> DrainUnexpectedExits() override { return {}; }

  std::vector<NodeId> NodeIds() const override {
    std::vector<NodeId> ids;
    for (const NodeInfo& n : world_->Infos()) ids.push_back(n.id);
    return ids;
  }
  NodeState State(NodeId id) const override { return world_->State(id); }
  std::map<NodeId, Role> Roles(std::chrono::milliseconds timeout) override {
    std::map<NodeId, Role> out;
    for (NodeId id : NodeIds()) {
      Result<RoleInfo> r = world_->Role(id);
      out[id] = r.ok() ? r->role : Role::kUnknown;
    }
    return out;
  }
  Result<NodeId> FindLeader(std::chrono::milliseconds timeout) override {
    for (NodeId id : NodeIds()) {
      Result<RoleInfo> r = world_->Role(id);
      if (r.ok() && r->role == Role::kLeading) return id;
    }
    return Status::Timeout("no leader (no majority running)");
  }
  Status Start(NodeId id) override {
    return world_->Transition(
        id, {NodeState::kNotStarted, NodeState::kKilled, NodeState::kExitedUnexpectedly},
        NodeState::kRunning);
  }
  Status Kill(NodeId id) override {
    return world_->Transition(id, {NodeState::kRunning, NodeState::kPaused}, NodeState::kKilled);
  }
  Status Pause(NodeId id) override {
    return world_->Transition(id, {NodeState::kRunning}, NodeState::kPaused);
  }
  Status Resume(NodeId id) override {
    return world_->Transition(id, {NodeState::kPaused}, NodeState::kRunning);
  }

 private:
  std::shared_ptr<World> world_;
};

class FakeClient final : public Client {
 public:
  FakeClient(std::shared_ptr<World> world, NodeId node) : world_(std::move(world)), node_(node) {}
  OpResult Invoke(const checkers::Op& op, std::chrono::milliseconds) override {
    return world_->Apply(node_, op);
  }
  int64_t node() const override { return node_; }

 private:
  std::shared_ptr<World> world_;
  NodeId node_;
};

class FakeSystem final : public System {
 public:
  explicit FakeSystem(int lose_every) : lose_every_(lose_every) {}

  std::string Kind() const override { return "fake"; }
  std::string ReadMode() const override { return "linearizable"; }
  SystemTraits Traits() const override {
    SystemTraits t;
    t.has_peer_network = false;
    t.proxy_refusal = "the fake system runs in process and has no peer network";
    return t;
  }

  Result<std::unique_ptr<Db>> OpenDb(const DbOptions& options) override {
    std::vector<NodeInfo> nodes;
    for (NodeId id = 1; id <= options.nodes; ++id) {
      NodeInfo n;
      n.id = id;
      n.host = "in-process";
      n.dir = (fs::absolute(options.run_dir) / fmt::format("node-{}", id)).string();
      n.log_path = n.dir + "/fake.log";
      std::error_code ec;
      fs::create_directories(n.dir, ec);
      if (ec) return Status::IoError(fmt::format("cannot create {}: {}", n.dir, ec.message()));
      nodes.push_back(std::move(n));
    }
    world_ = std::make_shared<World>(std::move(nodes), lose_every_);
    return std::unique_ptr<Db>(std::make_unique<FakeDb>(world_));
  }

  std::unique_ptr<Client> NewClient(const NodeInfo& node, const std::string&) override {
    return std::make_unique<FakeClient>(world_, node.id);
  }

  Promises PromisesFor(const std::string&) const override {
    Promises p;
    p.checkers = {"linearizability", "lost-writes"};
    p.summary = "fake: every op linearizable, no lost acknowledged write";
    return p;
  }

  std::unique_ptr<EventImporter> NewEventImporter(const NodeInfo& node) override {
    return std::make_unique<TailImporter>(
        EventLog(node), [id = node.id](std::string_view l) { return ParseJsonEventLine(l, id); });
  }

 private:
  const int lose_every_;
  std::shared_ptr<World> world_;
};

}  // namespace

SystemKind FakeSystemKind() {
  SystemKind k;
  k.name = "fake";
  k.description = "in-process fake register (tests the System seam; no processes, no network)";
  k.read_modes = {"linearizable"};
  k.options = {SystemOptionSpec{"lose_every", SystemOptionSpec::Type::kInt, 0, 1000000,
                                "acknowledge but drop every Nth write (a planted bug)"}};
  k.create = [](const SystemConfig& c) -> Result<std::unique_ptr<System>> {
    return std::unique_ptr<System>(
        std::make_unique<FakeSystem>(static_cast<int>(c.Int("lose_every", 0))));
  };
  return k;
}

}  // namespace faultline::harness
