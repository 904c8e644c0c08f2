// zabd's configuration: the YAML file of docs/contracts.md section 2 plus command-line overrides.
//
// Contract:
//  * ParseConfigText / LoadConfigFile never throw. A bad file yields InvalidArgument whose message
//    names the source, the line and the key ("cluster.yaml:7: nodes[1].peer: expected host:port");
//    zabd prints it and exits 2.
//  * Validation: node ids unique and > 0; client/peer addresses are "<IPv4 or IPv6 literal>:<port>"
//    with port 1-65535 and no address used twice; read_mode is linearizable|sync|local; unknown
//    keys and a key given twice (at the top level or inside a node) are refused: a typo or a
//    pasted duplicate must not silently fall back to a default or to the last value.
//  * Every integer is plain decimal digits (no sign, no 0x / octal / exponent) and must lie in
//    the range below: a value is never narrowed or wrapped (init_limit: 4294967296 once became
//    0, and a huge tick_time_ms overflowed tick x limit in the core's timers).
//  * Resolve() applies the overrides and this node's id, then fills node_dir (default
//    <data_dir>/<id>) and event_log (default <node_dir>/events.jsonl).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "server/core/peer.h"

namespace zabd {

struct HostPort {
  std::string host;
  uint16_t port = 0;
  std::string ToString() const;
  bool operator==(const HostPort&) const = default;
};

// Parses "127.0.0.1:7001" / "[::1]:7001"; the host must be an IP literal (no DNS in zabd).
faultline::Result<HostPort> ParseHostPort(std::string_view text);

struct NodeConfig {
  uint64_t id = 0;
  HostPort client;
  HostPort peer;
};

std::optional<zab::ReadMode> ParseReadMode(std::string_view text);
const char* ReadModeName(zab::ReadMode mode);

// Ranges of the numeric keys (inclusive). With these, tick_time_ms x limit stays below 2^40 ms,
// far from overflowing the core's uint64 timers (now_ms + tick x limit).
inline constexpr uint64_t kNodeIdMax =
    std::numeric_limits<int64_t>::max();  // ROLE/INFO print ids as signed integers
inline constexpr uint64_t kTickTimeMsMin = 1, kTickTimeMsMax = 60'000;
inline constexpr uint64_t kLimitTicksMin = 1, kLimitTicksMax = 10'000;  // init_limit, sync_limit
inline constexpr uint64_t kSnapshotEveryMin = 1, kSnapshotEveryMax = 1'000'000'000;
static_assert(kTickTimeMsMax * kLimitTicksMax < (uint64_t{1} << 40));

struct ServerConfig {
  // From the file.
  std::vector<NodeConfig> nodes;
  std::string data_dir = "./data";
  uint64_t tick_time_ms = 100;
  uint32_t init_limit = 10;
  uint32_t sync_limit = 5;
  zab::ReadMode read_mode = zab::ReadMode::kLinearizable;
  std::string secret;
  uint64_t snapshot_every = 10000;

  // Filled by Resolve().
  uint64_t self_id = 0;
  std::string node_dir;
  std::string event_log;
  std::string log_level = "info";
  std::set<std::string> faults;  // --fault: named fault points (server/core/fault_points.h)
  bool power_loss_sim = false;   // --power-loss-sim: unsynced writes held in memory (PowerLossEnv)
  // --repair: recreate a missing acceptedEpoch / currentEpoch beside a log (storage::Options::
  // repair_missing_epoch_files); without it such a data dir is corruption (exit 2).
  bool repair = false;

  const NodeConfig* Find(uint64_t id) const;
  const NodeConfig& self() const { return *Find(self_id); }  // only after Resolve()
};

// Command-line overrides (contracts.md 2). Unset fields keep the file's value.
struct Overrides {
  uint64_t id = 0;
  std::optional<std::string> data_dir;  // the node's own directory, used as is
  std::optional<std::string> event_log;
  std::optional<std::string> read_mode;
  std::optional<uint64_t> tick_time_ms;
  std::optional<std::string> log_level;
  std::vector<std::string> faults;  // repeatable --fault NAME; unknown names are refused
  bool repair = false;              // --repair
  bool power_loss_sim = false;
};

// `source` names the text in error messages (usually the file path).
faultline::Result<ServerConfig> ParseConfigText(std::string_view text, std::string_view source);
faultline::Result<ServerConfig> LoadConfigFile(const std::string& path);
// Applies overrides; checks that the id is one of the nodes and the overrides are valid.
faultline::Status Resolve(const Overrides& overrides, ServerConfig* config);

// The core's view of the configuration.
zab::Config ToCoreConfig(const ServerConfig& config);

}  // namespace zabd
