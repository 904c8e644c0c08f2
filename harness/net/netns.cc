#include "harness/net/netns.h"

#include <fmt/format.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "harness/net/run_command.h"

namespace faultline::harness {

bool CanEnterPrivateNetns() { return geteuid() == 0; }

Status EnterPrivateNetns() {
  if (unshare(CLONE_NEWNET) != 0) {
    const int err = errno;
    return Status::Unavailable(fmt::format("unshare(CLONE_NEWNET): {}", std::strerror(err)));
  }
  // A new namespace has only lo, and it is down: 127.0.0.0/8 is unreachable until it is up.
  return RunCommand({"ip", "link", "set", "lo", "up"});
}

}  // namespace faultline::harness
