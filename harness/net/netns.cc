#include "harness/net/netns.h"

#include <fmt/format.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "harness/net/run_command.h"

namespace faultline::harness {

namespace {

// The kernel's name for the calling thread's network namespace ("net:[4026532177]"); "" if unknown.
std::string CurrentNetns() {
  std::error_code ec;
  auto target = std::filesystem::read_symlink("/proc/thread-self/ns/net", ec);
  return ec ? std::string() : target.string();
}

// The namespace EnterPrivateNetns created; written once, before threads start.
std::string& CreatedNetns() {
  static std::string created;
  return created;
}

}  // namespace

bool CanEnterPrivateNetns() { return geteuid() == 0; }

bool InPrivateNetns() {
  const std::string current = CurrentNetns();
  return !current.empty() && current == CreatedNetns();
}

Status EnterPrivateNetns() {
  if (unshare(CLONE_NEWNET) != 0) {
    const int err = errno;
    return Status::Unavailable(fmt::format("unshare(CLONE_NEWNET): {}", std::strerror(err)));
  }
  CreatedNetns() = CurrentNetns();
  if (CreatedNetns().empty()) return Status::IoError("cannot read /proc/thread-self/ns/net");
  // A new namespace has only lo, and it is down: 127.0.0.0/8 is unreachable until it is up.
  return RunCommand({"ip", "link", "set", "lo", "up"});
}

}  // namespace faultline::harness
