// What a suite's `system:` section means to the simulator: the zab::Config every simulated node
// runs with, built from the same keys the zabd system takes (harness/systems/zabd/zabd_system.h:
// tick_time_ms 50, init_limit 10, sync_limit 5, snapshot_every 10000 by default, as zabd nodes of
// a real run get them), the read mode, and the fault points named in extra_flags
// (`--fault NAME` / `--fault=NAME`, as zabd takes them; `--power-loss-sim` is accepted: every
// simulated crash already loses what was not synced, world.h).
//
// Refused with InvalidArgument naming the key and line: a system other than zabd, a zabd flag
// the simulator does not model, an unknown fault point. Every fault kind is simulated.
#pragma once

#include <string>

#include "common/status.h"
#include "harness/spec/test_spec.h"
#include "server/core/peer.h"

namespace faultline::harness::sim {

inline constexpr const char* kSimSystemKind = "zabd-sim";  // runs.system of simulated runs

struct SimSetup {
  zab::Config base;  // self/voters filled by the cluster
  zab::ReadMode read_mode = zab::ReadMode::kLinearizable;
  std::string read_mode_name = "linearizable";
};

Result<SimSetup> SimSetupFor(const TestSpec& spec);

}  // namespace faultline::harness::sim
