#include "harness/cluster/cluster.h"

#include <fmt/format.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/process.hpp>
#include <boost/process/extend.hpp>
#include <cassert>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "harness/cluster/loopback_block.h"

namespace faultline::harness {
namespace {

namespace bp = boost::process;
namespace fs = std::filesystem;

constexpr auto kReapInterval = std::chrono::milliseconds(20);
constexpr auto kStopConfirmTimeout = std::chrono::milliseconds(2000);
constexpr auto kLeaderPerQuery = std::chrono::milliseconds(500);
constexpr auto kLeaderPoll = std::chrono::milliseconds(100);
constexpr auto kServePerQuery = std::chrono::milliseconds(500);
constexpr auto kServePoll = std::chrono::milliseconds(100);

constexpr int kBlockDraws = 8;

// The port plan of cluster.h, one for both address modes; only the host differs.
void LayOut(NodeId id, const std::string& host, const std::vector<std::string>& peer_names,
            const std::vector<std::string>& other_names, NodeInfo* info) {
  auto port = [&](int p) { return Endpoint{host, static_cast<uint16_t>(p)}; };
  info->host = host;
  info->client = port(kNetnsClientPortBase + id);
  for (size_t k = 0; k < peer_names.size(); ++k) {
    info->peer_ports[peer_names[k]] = port(kNetnsPeerPortBase + 100 * static_cast<int>(k) + id);
  }
  for (size_t k = 0; k < other_names.size(); ++k) {
    info->other_ports[other_names[k]] = port(kNetnsOtherPortBase + 10 * static_cast<int>(k) + id);
  }
}

// /proc/<pid>/stat state letter: 'T' (stopped) after SIGSTOP is delivered.
char ProcState(int pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string text((std::istreambuf_iterator<char>(in)), {});
  const auto paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size() ? '?' : text[paren + 2];
}

}  // namespace

Result<LoopbackLayout> ClaimLoopbackLayout(int node_count,
                                           const std::vector<std::string>& peer_names,
                                           const std::vector<std::string>& other_names) {
  std::random_device entropy;
  std::string last;
  for (int draw = 0; draw < kBlockDraws; ++draw) {
    Result<LoopbackBlock> block =
        LoopbackBlock::Claim((uint64_t{entropy()} << 32) ^ entropy() ^ ::getpid());
    if (!block.ok()) return block.status();
    std::map<NodeId, NodeInfo> nodes;
    Status probe;
    for (NodeId id = 1; id <= node_count && probe.ok(); ++id) {
      NodeInfo& info = nodes[id];
      info.id = id;
      LayOut(id, block->Host(10 + id), peer_names, other_names, &info);
      std::vector<Endpoint> endpoints = {info.client};
      for (const auto& [name, e] : info.peer_ports) endpoints.push_back(e);
      for (const auto& [name, e] : info.other_ports) endpoints.push_back(e);
      for (const Endpoint& e : endpoints) {
        if (probe = ProbeListen(e.host, e.port); !probe.ok()) break;
      }
    }
    if (probe.ok()) return LoopbackLayout{std::move(block).value(), std::move(nodes)};
    last = probe.message();
  }
  return Status::IoError(fmt::format(
      "no loopback block where every node port is free after {} draws (last: {}; does a program "
      "listen on all addresses on one of the ports {}..{}?)",
      kBlockDraws, last, kNetnsClientPortBase, kNetnsOtherPortBase + 99));
}

struct Cluster::Impl {
  struct Node {
    NodeInfo info;                                              // state and pid live here
    std::map<std::pair<NodeId, std::string>, Endpoint> routes;  // proxy: (peer, port) -> dial
    bool expecting_exit = false;  // we sent SIGKILL; the exit is not news
    bool ever_started = false;
  };

  ClusterOptions options;
  std::optional<LoopbackBlock> block;  // AddressMode::kLoopback: the nodes' claimed addresses
  mutable std::mutex mu;
  std::condition_variable reaped;  // a pid became 0
  std::map<NodeId, Node> nodes;
  std::deque<UnexpectedExit> exits;
  std::function<void(const UnexpectedExit&)> on_exit;

  // The supervisor thread spawns every child (so PR_SET_PDEATHSIG, which fires when the forking
  // *thread* exits, ties the nodes to the Cluster's life, not to a caller's thread) and reaps
  // every child by pid.
  std::thread supervisor;
  std::condition_variable tasks_ready;
  std::deque<std::packaged_task<Status()>> tasks;
  bool stopping = false;

  void SupervisorLoop();
  void ReapLocked();
  Status Spawn(NodeId id);  // runs on the supervisor thread
  Status KillLocked(std::unique_lock<std::mutex>& lock, Node& node);
  Status StartOne(NodeId id);
  Node* Find(NodeId id) {
    auto it = nodes.find(id);
    return it == nodes.end() ? nullptr : &it->second;
  }
};

void Cluster::Impl::SupervisorLoop() {
  std::unique_lock lock(mu);
  while (true) {
    tasks_ready.wait_for(lock, kReapInterval, [&] { return stopping || !tasks.empty(); });
    while (!tasks.empty()) {
      auto task = std::move(tasks.front());
      tasks.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
    ReapLocked();
    if (stopping) return;
  }
}

void Cluster::Impl::ReapLocked() {
  bool any = false;
  for (auto& [id, node] : nodes) {
    if (node.info.pid <= 0) continue;
    int status = 0;
    // Only our own pids, never -1: other parts of the controller run children too.
    const pid_t r = waitpid(node.info.pid, &status, WNOHANG);
    if (r == 0) continue;
    any = true;
    const int pid = node.info.pid;
    node.info.pid = 0;  // from here on the pid may be reused: never signal it again
    if (node.expecting_exit) {
      node.expecting_exit = false;
      continue;
    }
    UnexpectedExit exit;
    exit.id = id;
    exit.pid = pid;
    exit.when = std::chrono::system_clock::now();
    if (r > 0 && WIFSIGNALED(status)) {
      exit.signal = WTERMSIG(status);
    } else if (r > 0 && WIFEXITED(status)) {
      exit.exit_code = WEXITSTATUS(status);
    }
    node.info.state = NodeState::kExitedUnexpectedly;
    exits.push_back(exit);
    if (on_exit) on_exit(exit);
  }
  if (any) reaped.notify_all();
}

Status Cluster::Impl::Spawn(NodeId id) {
  std::unique_lock lock(mu);
  Node& node = nodes.at(id);
  if (node.info.pid != 0) return Status::Unavailable(fmt::format("node {} is alive", id));
  std::vector<NodeInfo> all;
  for (const auto& [other_id, other] : nodes) all.push_back(other.info);
  Result<LaunchCommand> command =
      options.launcher->Prepare(node.info, PeerDirectory(all, node.routes));
  if (!command.ok()) return command.status();
  // Appending keeps the log of earlier incarnations (restarts).
  FILE* log = std::fopen(node.info.log_path.c_str(), "a");
  if (log == nullptr) return Status::IoError(fmt::format("cannot open {}", node.info.log_path));
  bp::environment env = boost::this_process::environment();
  for (const auto& [key, value] : command->env) env[key] = value;
  const std::string cwd = command->cwd.empty() ? node.info.dir : command->cwd;
  std::error_code ec;
  bp::child child(
      command->program, bp::args(command->args), env, bp::start_dir(cwd),
      bp::std_in<bp::null, bp::std_out> log, bp::std_err > log,
      bp::extend::on_exec_setup =
          [gid = node.info.gid](auto&) {
            // Own process group: a Ctrl-C on the controller's terminal must not kill the nodes
            // before the controller records and cleans up. Die with the supervisor thread.
            setpgid(0, 0);
            if (gid != 0) {
              // The node's own group: iptables recognises its packets by it.
              (void)setgroups(0, nullptr);
              (void)setgid(gid);
            }
            // After setgid: a credential change clears the parent-death signal.
            prctl(PR_SET_PDEATHSIG, SIGKILL);
          },
      ec);
  std::fclose(log);
  if (ec) {
    return Status::IoError(
        fmt::format("cannot start node {} ({}): {}", id, command->program, ec.message()));
  }
  node.info.pid = child.id();
  child.detach();  // the supervisor reaps by pid; boost must never signal or wait on it
  if (node.ever_started) ++node.info.restarts;
  node.ever_started = true;
  node.expecting_exit = false;
  node.info.state = NodeState::kRunning;
  return Status::Ok();
}

Status Cluster::Impl::StartOne(NodeId id) {
  std::packaged_task<Status()> task([this, id] { return Spawn(id); });
  auto done = task.get_future();
  {
    std::lock_guard lock(mu);
    Node* node = Find(id);
    if (node == nullptr) return Status::InvalidArgument(fmt::format("no node {}", id));
    if (node->info.state == NodeState::kRunning || node->info.state == NodeState::kPaused) {
      return Status::Unavailable(fmt::format("node {} is {}", id, NodeStateName(node->info.state)));
    }
    if (stopping) return Status::Unavailable("cluster is shutting down");
    tasks.push_back(std::move(task));
  }
  tasks_ready.notify_all();
  return done.get();
}

Status Cluster::Impl::KillLocked(std::unique_lock<std::mutex>& lock, Node& node) {
  if (node.info.pid > 0) {
    // pid is not reaped yet (only the supervisor reaps, under mu), so it is still our child.
    node.expecting_exit = true;
    if (::kill(node.info.pid, SIGKILL) != 0 && errno != ESRCH) {
      return Status::IoError(fmt::format("kill node {}: {}", node.info.id, strerror(errno)));
    }
    reaped.wait(lock, [&] { return node.info.pid == 0; });
  }
  return Status::Ok();
}

Cluster::Cluster(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Cluster>> Cluster::Create(ClusterOptions options) {
  if (options.launcher == nullptr) return Status::InvalidArgument("cluster without a launcher");
  if (options.node_count < 1 || options.node_count > kMaxNodes) {
    return Status::InvalidArgument(
        fmt::format("node_count {} outside 1..{}", options.node_count, kMaxNodes));
  }
  if (Status s = options.launcher->CheckInstalled(); !s.ok()) return s;
  const std::vector<std::string> peer_names = options.launcher->PeerPortNames();
  const std::vector<std::string> other_names = options.launcher->OtherPortNames();
  if (peer_names.empty() || peer_names.size() > 8 || other_names.size() > 9) {
    return Status::InvalidArgument("a launcher needs 1..8 peer ports and at most 9 other ports");
  }
  std::error_code ec;
  const fs::path run_dir = fs::absolute(options.run_dir, ec);
  auto impl = std::make_unique<Impl>();
  std::map<NodeId, NodeInfo> layout;
  if (options.address_mode == AddressMode::kLoopback) {
    Result<LoopbackLayout> claimed =
        ClaimLoopbackLayout(options.node_count, peer_names, other_names);
    if (!claimed.ok()) return claimed.status();
    impl->block.emplace(std::move(claimed->block));
    layout = std::move(claimed->nodes);
  }
  for (NodeId id = 1; id <= options.node_count; ++id) {
    Impl::Node node;
    NodeInfo& info = node.info;
    if (auto it = layout.find(id); it != layout.end()) {
      info = std::move(it->second);
    } else {
      info.id = id;
      LayOut(id, fmt::format("127.0.0.{}", 10 + id), peer_names, other_names, &info);
    }
    if (options.address_mode == AddressMode::kPrivateNetns && ::geteuid() == 0) {
      info.gid = kNodeGidBase + static_cast<unsigned>(id);
    }
    const fs::path dir = run_dir / fmt::format("node-{}", id);
    info.dir = dir.string();
    info.log_path = (dir / options.launcher->LogFileName()).string();
    fs::create_directories(dir, ec);
    if (ec) return Status::IoError(fmt::format("cannot create {}: {}", info.dir, ec.message()));
    impl->nodes.emplace(id, std::move(node));
  }
  impl->options = std::move(options);
  impl->supervisor = std::thread([raw = impl.get()] { raw->SupervisorLoop(); });
  return std::unique_ptr<Cluster>(new Cluster(std::move(impl)));
}

Cluster::~Cluster() {
  (void)StopAll();
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->tasks_ready.notify_all();
  impl_->supervisor.join();
}

Status Cluster::SetPeerRoute(NodeId from, NodeId to, const std::string& port, Endpoint endpoint) {
  std::lock_guard lock(impl_->mu);
  Impl::Node* node = impl_->Find(from);
  Impl::Node* peer = impl_->Find(to);
  if (node == nullptr || peer == nullptr || from == to || !peer->info.peer_ports.contains(port)) {
    return Status::InvalidArgument(
        fmt::format("bad peer route {} -> {} port '{}'", from, to, port));
  }
  node->routes[{to, port}] = std::move(endpoint);
  return Status::Ok();
}

Status Cluster::StartAll() {
  for (NodeId id : NodeIds()) {
    const NodeState state = State(id);
    if (state == NodeState::kRunning || state == NodeState::kPaused) continue;
    if (Status s = impl_->StartOne(id); !s.ok()) return s;
  }
  return Status::Ok();
}

Status Cluster::StopAll() {
  std::unique_lock lock(impl_->mu);
  Status first;
  for (auto& [id, node] : impl_->nodes) {
    Status s = impl_->KillLocked(lock, node);
    if (!s.ok() && first.ok()) first = s;
    node.info.state = NodeState::kNotStarted;
  }
  return first;
}

std::vector<NodeId> Cluster::NodeIds() const {
  std::lock_guard lock(impl_->mu);
  std::vector<NodeId> ids;
  for (const auto& [id, node] : impl_->nodes) ids.push_back(id);
  return ids;
}

NodeState Cluster::State(NodeId id) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->nodes.find(id);
  return it == impl_->nodes.end() ? NodeState::kNotStarted : it->second.info.state;
}

std::map<NodeId, Role> Cluster::Roles(std::chrono::milliseconds timeout) {
  return QueryRoles(*this, timeout);
}

Result<NodeId> Cluster::FindLeader(std::chrono::milliseconds timeout) {
  return FindLeaderByPolling(*this, timeout);
}

Status Cluster::Start(NodeId id) { return impl_->StartOne(id); }

Status Cluster::Kill(NodeId id) {
  std::unique_lock lock(impl_->mu);
  Impl::Node* node = impl_->Find(id);
  if (node == nullptr) return Status::InvalidArgument(fmt::format("no node {}", id));
  if (node->info.state != NodeState::kRunning && node->info.state != NodeState::kPaused) {
    return Status::Unavailable(fmt::format("node {} is {}", id, NodeStateName(node->info.state)));
  }
  Status s = impl_->KillLocked(lock, *node);
  if (s.ok()) node->info.state = NodeState::kKilled;
  return s;
}

Status Cluster::Pause(NodeId id) {
  int pid = 0;
  {
    std::lock_guard lock(impl_->mu);
    Impl::Node* node = impl_->Find(id);
    if (node == nullptr) return Status::InvalidArgument(fmt::format("no node {}", id));
    if (node->info.state != NodeState::kRunning || node->info.pid <= 0) {
      return Status::Unavailable(fmt::format("node {} is {}", id, NodeStateName(node->info.state)));
    }
    if (::kill(node->info.pid, SIGSTOP) != 0) {
      return Status::IoError(fmt::format("SIGSTOP node {}: {}", id, strerror(errno)));
    }
    node->info.state = NodeState::kPaused;
    pid = node->info.pid;
  }
  // SIGSTOP is asynchronous: wait until the kernel shows the process stopped, so a caller that
  // records "paused" next is telling the truth. A zombie ('Z') or a reaped pid ends the wait too.
  const auto deadline = std::chrono::steady_clock::now() + kStopConfirmTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const char state = ProcState(pid);
    if (state == 'T' || state == 't' || state == 'Z' || state == '?') return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return Status::Timeout(fmt::format("node {} did not stop after SIGSTOP", id));
}

Status Cluster::Resume(NodeId id) {
  std::lock_guard lock(impl_->mu);
  Impl::Node* node = impl_->Find(id);
  if (node == nullptr) return Status::InvalidArgument(fmt::format("no node {}", id));
  if (node->info.state != NodeState::kPaused || node->info.pid <= 0) {
    return Status::Unavailable(fmt::format("node {} is {}", id, NodeStateName(node->info.state)));
  }
  if (::kill(node->info.pid, SIGCONT) != 0) {
    return Status::IoError(fmt::format("SIGCONT node {}: {}", id, strerror(errno)));
  }
  node->info.state = NodeState::kRunning;
  return Status::Ok();
}

Result<RoleInfo> Cluster::QueryRole(NodeId id, std::chrono::milliseconds timeout) {
  return impl_->options.launcher->QueryRole(Info(id), timeout);
}

bool Cluster::CanQueryRoles() const { return impl_->options.launcher->CanQueryRoles(); }

Status Cluster::WaitUntilServing(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    Status last;
    for (const NodeInfo& info : Infos()) {
      if (info.state != NodeState::kRunning) continue;
      if (Status s = impl_->options.launcher->Ping(info, kServePerQuery); !s.ok()) last = s;
    }
    if (last.ok()) return last;
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::Timeout("not every running node serves: " + last.ToString());
    }
    std::this_thread::sleep_for(kServePoll);
  }
}

NodeInfo Cluster::Info(NodeId id) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->nodes.find(id);
  assert(it != impl_->nodes.end());
  return it->second.info;
}

std::vector<NodeInfo> Cluster::Infos() const {
  std::lock_guard lock(impl_->mu);
  std::vector<NodeInfo> infos;
  for (const auto& [id, node] : impl_->nodes) infos.push_back(node.info);
  return infos;
}

Endpoint Cluster::ClientEndpoint(NodeId id) const { return Info(id).client; }

std::map<NodeId, std::map<std::string, Endpoint>> Cluster::PeerPorts() const {
  std::map<NodeId, std::map<std::string, Endpoint>> out;
  for (const NodeInfo& info : Infos()) out[info.id] = info.peer_ports;
  return out;
}

std::vector<UnexpectedExit> Cluster::DrainUnexpectedExits() {
  std::lock_guard lock(impl_->mu);
  std::vector<UnexpectedExit> out(impl_->exits.begin(), impl_->exits.end());
  impl_->exits.clear();
  return out;
}

void Cluster::OnUnexpectedExit(std::function<void(const UnexpectedExit&)> callback) {
  std::lock_guard lock(impl_->mu);
  impl_->on_exit = std::move(callback);
}

Status Db::Restart(NodeId id) {
  const NodeState state = State(id);
  if (state == NodeState::kRunning || state == NodeState::kPaused) {
    if (Status s = Kill(id); !s.ok()) return s;
  }
  return Start(id);
}

std::map<NodeId, Role> QueryRoles(Db& db, std::chrono::milliseconds timeout) {
  std::map<NodeId, std::future<Result<RoleInfo>>> pending;
  for (const NodeInfo& info : db.Infos()) {
    if (info.state != NodeState::kRunning) continue;
    pending.emplace(info.id, std::async(std::launch::async, [&db, id = info.id, timeout] {
                      return db.QueryRole(id, timeout);
                    }));
  }
  std::map<NodeId, Role> roles;
  for (NodeId id : db.NodeIds()) roles[id] = Role::kUnknown;
  for (auto& [id, future] : pending) {
    auto info = future.get();
    if (info.ok()) roles[id] = info->role;
  }
  return roles;
}

Result<NodeId> FindLeaderByPolling(Db& db, std::chrono::milliseconds timeout) {
  if (!db.CanQueryRoles()) {
    // The system's own sentence (e.g. "system X cannot tell its leader").
    for (const NodeInfo& info : db.Infos()) {
      Result<RoleInfo> r = db.QueryRole(info.id, kLeaderPerQuery);
      if (!r.ok()) return r.status();
    }
    return Status::Unavailable("this system cannot tell its leader");
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::optional<std::pair<int64_t, NodeId>> best;  // (epoch, id)
    for (const NodeInfo& info : db.Infos()) {
      if (info.state != NodeState::kRunning) continue;
      auto role = db.QueryRole(info.id, kLeaderPerQuery);
      if (role.ok() && role->role == Role::kLeading) {
        if (!best || role->epoch > best->first) best = {role->epoch, info.id};
      }
    }
    if (best) return best->second;
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::Timeout(fmt::format("no leader within {} ms", timeout.count()));
    }
    std::this_thread::sleep_for(kLeaderPoll);
  }
}

Endpoint PeerDirectory::Dial(NodeId to, const std::string& port) const {
  if (auto it = routes_.find({to, port}); it != routes_.end()) return it->second;
  for (const NodeInfo& n : nodes_) {
    if (n.id == to) return n.PeerPort(port);
  }
  assert(false && "PeerDirectory::Dial: unknown node");
  return {};
}

}  // namespace faultline::harness
