#include "tests/e2e/zabd/cluster.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace zabd::testing {

using faultline::Result;
using faultline::Status;

ZabdCluster::ZabdCluster(std::string zabd_binary, ClusterOptions options)
    : binary_(std::move(zabd_binary)), options_(options) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "zabd-e2e-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  // The nodes' addresses are a loopback block claimed for the cluster's life, as harness
  // clusters lay theirs out: ports picked free on 127.0.0.1 could be taken between the pick and
  // zabd's bind.
  auto layout = faultline::harness::ClaimLoopbackLayout(options_.nodes, {"peer"});
  if (!layout.ok()) throw std::runtime_error(layout.status().ToString());
  block_.emplace(std::move(layout->block));
  nodes_ = std::move(layout->nodes);
  std::string yaml = "nodes:\n";
  for (const auto& [id, node] : nodes_) {
    yaml += fmt::format("  - {{id: {}, client: {}, peer: {}}}\n", id, node.client.ToString(),
                        node.PeerPort("peer").ToString());
  }
  yaml += fmt::format(
      "data_dir: {}/data\ntick_time_ms: {}\ninit_limit: {}\nsync_limit: {}\n"
      "read_mode: linearizable\nsecret: e2e-secret\nsnapshot_every: 10000\n",
      dir_, options_.tick_time_ms, options_.init_limit, options_.sync_limit);
  config_path_ = dir_ + "/cluster.yaml";
  std::ofstream(config_path_) << yaml;
}

ZabdCluster::~ZabdCluster() {
  for (auto& [id, pid] : pids_) {
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
  pids_.clear();
  if (std::getenv("ZABD_E2E_KEEP") == nullptr) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string ZabdCluster::node_dir(int id) const { return fmt::format("{}/data/{}", dir_, id); }

std::string ZabdCluster::output(int id) const {
  std::ifstream in(fmt::format("{}/node{}.out", dir_, id));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status ZabdCluster::Start(int id, const std::vector<std::string>& extra_args) {
  if (pids_.count(id)) return Status::InvalidArgument(fmt::format("node {} already runs", id));
  std::vector<std::string> args = {
      binary_,       "--config",        config_path_, "--id", std::to_string(id),
      "--log-level", options_.log_level};
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string out = fmt::format("{}/node{}.out", dir_, id);
  // fork + exec rather than posix_spawn: the child asks the kernel for SIGKILL when its parent
  // dies (PR_SET_PDEATHSIG), so no zabd outlives a test or a bench killed by SIGKILL or SIGPIPE.
  // Between fork and exec only async-signal-safe calls (the parent may have other threads).
  const pid_t parent = ::getpid();
  int out_fd = -1;
  const bool closed_pipe = id == options_.closed_pipe_node;
  if (closed_pipe) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
      return Status::IoError(fmt::format("pipe: {}", std::strerror(errno)));
    ::close(fds[0]);
    out_fd = fds[1];
  } else {
    out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  }
  if (out_fd < 0) return Status::IoError(fmt::format("{}: {}", out, std::strerror(errno)));
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(127);
    if (closed_pipe) ::signal(SIGPIPE, SIG_DFL);  // as a shell leaves it
    if (::dup2(out_fd, 1) < 0 || ::dup2(out_fd, 2) < 0) ::_exit(127);
    ::execve(binary_.c_str(), argv.data(), environ);
    ::_exit(127);
  }
  const int fork_errno = errno;
  ::close(out_fd);
  if (pid < 0)
    return Status::IoError(fmt::format("fork for {}: {}", binary_, std::strerror(fork_errno)));
  pids_[id] = pid;
  return Status::Ok();
}

Status ZabdCluster::StartAll() {
  for (int id = 1; id <= options_.nodes; ++id) {
    if (auto s = Start(id); !s.ok()) return s;
  }
  return Status::Ok();
}

namespace {
int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}
}  // namespace

int ZabdCluster::Signal(int id, int signo) {
  auto it = pids_.find(id);
  if (it == pids_.end()) return -1;
  ::kill(it->second, signo);
  if (signo != SIGKILL && signo != SIGTERM && signo != SIGINT) return 0;
  if (signo != SIGKILL) ::kill(it->second, SIGCONT);  // a paused process must run to exit
  int status = 0;
  ::waitpid(it->second, &status, 0);
  pids_.erase(it);
  return DecodeWaitStatus(status);
}

int ZabdCluster::WaitExit(int id, int timeout_ms) {
  auto it = pids_.find(id);
  if (it == pids_.end()) return -1;
  int status = 0;
  if (timeout_ms >= 0) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (::waitpid(it->second, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() >= deadline) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pids_.erase(it);
    return DecodeWaitStatus(status);
  }
  ::waitpid(it->second, &status, 0);
  pids_.erase(it);
  return DecodeWaitStatus(status);
}

Result<RespClient> ZabdCluster::Connect(int id, int timeout_ms) const {
  RespClient c;
  if (auto s = c.Connect(host(id), client_port(id), timeout_ms); !s.ok()) return s;
  return c;
}

int ZabdCluster::FindLeader() const {
  for (int id = 1; id <= options_.nodes; ++id) {
    if (!running(id)) continue;
    auto c = Connect(id, 1000);
    if (!c.ok()) continue;
    auto r = c->Call({"ROLE"});
    if (r.ok() && r->kind == RespValue::Kind::kArray && r->elements.size() == 6 &&
        r->elements[0].str == "leading" && r->elements[4].str == "broadcast") {
      return id;
    }
  }
  return 0;
}

Status ZabdCluster::SetWithRetry(int id, const std::string& key, const std::string& value,
                                 int deadline_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(deadline_ms);
  std::string last = "never tried";
  while (std::chrono::steady_clock::now() < deadline) {
    auto c = Connect(id, 2000);
    if (c.ok()) {
      auto r = c->Call({"SET", key, value});
      if (r.ok() && r->kind == RespValue::Kind::kSimple && r->str == "OK") return Status::Ok();
      last = r.ok() ? r->ToString() : r.status().ToString();
    } else {
      last = c.status().ToString();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Status::Timeout(
      fmt::format("SET {} via node {} never acknowledged; last: {}", key, id, last));
}

}  // namespace zabd::testing
