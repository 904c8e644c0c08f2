// The zabd system: faultline's own ZAB server (server/), the default system under test.
//
// Nodes: `zabd --config <dir>/config.yaml --id N --data-dir <dir>/data --event-log
// <dir>/events.jsonl [extra_flags...]`, stdout/stderr in <dir>/zabd.log. The config lists every
// node's client and peer address (docs/contracts.md section 2); in proxy mode a peer's address is
// the proxy listener for that link. One peer port per node ("peer") carries election and quorum
// traffic. Roles from `ROLE`, liveness from `PING`, the state digest from `INFO`, node events from
// the JSON event log (docs/contracts.md section 3).
//
// Spec keys (system: {kind: zabd, ...}): zabd (binary; default: beside faultline), tick_time_ms
// (50), init_limit (10), sync_limit (5), snapshot_every (10000), extra_flags ([]).
// Read modes: linearizable (default), sync, local.
#pragma once

#include <string>

#include "harness/cluster/launcher.h"
#include "harness/system/system_kind.h"

namespace faultline::harness {

SystemKind ZabdSystemKind();

// Everything a zabd node's config needs (also used by tests that drive the supervisor directly).
struct ZabdOptions {
  std::string binary;  // resolved path
  int tick_time_ms = 50;
  int init_limit = 10;
  int sync_limit = 5;
  std::string read_mode = "linearizable";
  std::string secret = "faultline";
  int64_t snapshot_every = 10000;
  std::vector<std::string> extra_flags;
  bool power_loss_sim = false;  // --power-loss-sim (set by OpenDb for runs with power-loss faults)
};

std::shared_ptr<NodeLauncher> MakeZabdLauncher(ZabdOptions options);
std::unique_ptr<System> MakeZabdSystem(ZabdOptions options);

// The files a zabd node uses inside its folder.
std::string ZabdConfigPath(const NodeInfo& node);
std::string ZabdDataDir(const NodeInfo& node);
std::string ZabdEventLogPath(const NodeInfo& node);

// The zabd binary a spec names: "" = `zabd` beside faultline (bin_dir); a bare name = beside
// faultline if it exists there, else as given (PATH); a relative path = relative to spec_dir.
std::string ResolveZabdBinary(const std::string& from_spec, const std::string& spec_dir,
                              const std::string& bin_dir);

}  // namespace faultline::harness
