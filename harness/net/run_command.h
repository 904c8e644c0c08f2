// RunCommand: run a short external tool (ip, iptables) to completion and turn its exit status and
// stderr into a Status. Internal to harness/net.
//
// Thread-safety: safe from any thread; the child inherits the calling thread's network namespace.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace faultline::harness {

// argv[0] is looked up in PATH (and /usr/sbin, /sbin). IoError naming the command line, exit code
// and stderr when it does not exit 0; NotFound when the tool is missing.
Status RunCommand(const std::vector<std::string>& argv);

}  // namespace faultline::harness
