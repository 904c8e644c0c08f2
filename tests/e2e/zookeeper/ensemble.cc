#include "tests/e2e/zookeeper/ensemble.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "harness/systems/zookeeper/srvr.h"

namespace faultline::harness::zookeeper::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr auto kPollInterval = std::chrono::milliseconds(100);
constexpr auto kSrvrTimeout = std::chrono::milliseconds(1000);

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::string SkipReason() {
  auto install = ZkInstall::Detect();
  if (!install.ok()) return "ZooKeeper cannot run here: " + install.status().message();
  return "";
}

Result<std::unique_ptr<ZkEnsemble>> ZkEnsemble::Create(EnsembleOptions options) {
  auto install = ZkInstall::Detect();
  if (!install.ok()) return install.status();
  std::unique_ptr<ZkEnsemble> e(new ZkEnsemble(std::move(options)));
  e->install_ = *install;
  std::string tmpl = (fs::temp_directory_path() / "zk-e2e-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return Status::IoError("mkdtemp failed");
  e->dir_ = tmpl;
  // A loopback block claimed for the ensemble's life, laid out as harness clusters lay theirs
  // (ports picked free on 127.0.0.1 could be taken between the pick and the server's bind).
  auto layout = ClaimLoopbackLayout(e->options_.nodes, {"quorum", "election"});
  if (!layout.ok()) return layout.status();
  e->block_.emplace(std::move(layout->block));
  std::map<int, ServerAddress> servers;
  for (const auto& [id, info] : layout->nodes) {
    servers[id] = {info.PeerPort("quorum"), info.PeerPort("election")};
  }
  for (const auto& [id, info] : layout->nodes) {
    ZkNodeConfig n;
    n.id = id;
    n.dir = fmt::format("{}/node-{}", e->dir_, id);
    n.client = info.client;
    n.servers = servers;
    n.timings = e->options_.timings;
    n.extra_config = e->options_.extra_config;
    e->nodes_[id] = n;
  }
  return e;
}

ZkEnsemble::~ZkEnsemble() {
  for (auto& [id, pid] : pids_) {
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
  pids_.clear();
  if (std::getenv("ZK_E2E_KEEP") == nullptr && !dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

Status ZkEnsemble::Start(int id) {
  if (!nodes_.count(id)) return Status::InvalidArgument(fmt::format("no node {}", id));
  if (running(id)) return Status::Unavailable(fmt::format("node {} is running", id));
  const ZkNodeConfig& n = nodes_[id];
  Status s = WriteNodeFiles(n);
  if (!s.ok()) return s;
  const auto argv_strings = JavaCommand(install_, n, JvmOptions(n, options_.jvm));
  std::vector<char*> argv;
  for (const auto& a : argv_strings) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const std::string out = StdoutPath(n.dir);
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return Status::IoError("fork failed");
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    if (::chdir(n.dir.c_str()) != 0) ::_exit(126);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  pids_[id] = pid;
  return Status::Ok();
}

Status ZkEnsemble::StartAll() {
  for (int id = 1; id <= options_.nodes; ++id) {
    if (running(id)) continue;
    Status s = Start(id);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status ZkEnsemble::Signal(int id, int signo) {
  auto it = pids_.find(id);
  if (it == pids_.end()) return Status::Unavailable(fmt::format("node {} is not running", id));
  if (::kill(it->second, signo) != 0) return Status::IoError("kill failed");
  if (signo == SIGKILL) {
    int status = 0;
    ::waitpid(it->second, &status, 0);
    pids_.erase(it);
  }
  return Status::Ok();
}

std::vector<Endpoint> ZkEnsemble::endpoints(int id) const {
  const ZkNodeConfig& n = nodes_.at(id);
  return {n.client, n.servers.at(id).quorum, n.servers.at(id).election};
}

std::map<int64_t, std::string> ZkEnsemble::ServerLogs() const {
  std::map<int64_t, std::string> logs;
  for (const auto& [id, n] : nodes_) logs[id] = ReadFile(ServerLogPath(n.dir));
  return logs;
}

int ZkEnsemble::FindLeader(std::chrono::milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  do {
    int best = 0;
    int64_t best_epoch = -1;
    for (const auto& [id, pid] : pids_) {
      auto info = QuerySrvr(client(id), kSrvrTimeout);
      if (info.ok() && info->role == Role::kLeading && info->epoch > best_epoch) {
        best = id;
        best_epoch = info->epoch;
      }
    }
    if (best != 0) return best;
    std::this_thread::sleep_for(kPollInterval);
  } while (Clock::now() < deadline);
  return 0;
}

Status ZkEnsemble::WaitServing(std::chrono::milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  std::string last;
  do {
    bool all = true;
    for (const auto& [id, pid] : pids_) {
      auto info = QuerySrvr(client(id), kSrvrTimeout);
      if (!info.ok() || info->phase != "broadcast") {
        all = false;
        last = fmt::format("node {}: {}", id,
                           info.ok() ? std::string("not serving") : info.status().ToString());
        break;
      }
    }
    if (all) return Status::Ok();
    std::this_thread::sleep_for(kPollInterval);
  } while (Clock::now() < deadline);
  return Status::Timeout(
      fmt::format("ensemble not serving within {} ms ({}); see {}", timeout.count(), last, dir_));
}

}  // namespace faultline::harness::zookeeper::testing
