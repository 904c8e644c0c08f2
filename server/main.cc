// zabd: one node of a ZAB-replicated key-value store (docs/contracts.md sections 1-3).
//
//   zabd --config cluster.yaml --id N [--data-dir D] [--event-log F] [--read-mode M]
//        [--tick-time-ms T] [--log-level L] [--repair] [--fault NAME]... [--power-loss-sim]
//        [--client-idle-timeout-ms T] [--client-request-timeout-ms T]
//
// --repair recreates a missing acceptedEpoch / currentEpoch file beside a log or snapshot
// (from the log's epoch, never below currentEpoch). Without it such a data dir is refused
// (exit 2): recreating the file could lower an epoch the node already promised (zab.md 7.3).
//
// --fault NAME (repeatable) re-enables a ZooKeeper bug or a classic consensus mistake
// (server/core/fault_points.h, zab.md 8) so the harness can prove it catches it. TEST ONLY: a
// fault can lose committed data. Command line only, exact names; listed loudly when on.
// --power-loss-sim holds every write that is not yet fsynced in zabd's own memory (not the page
// cache), so a SIGKILL loses exactly what a power cut would (server/storage/power_loss_env.h).
//
// Exit codes: 0 clean stop (SIGTERM/SIGINT), 1 start failure (address in use, ...), 2 bad
// configuration or storage corruption found at start, 3 storage failure while running.
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>

#include "server/net/config.h"
#include "server/net/driver.h"

int main(int argc, char** argv) {
  // A log reader that goes away (`zabd ... | head`, a log shipper restarting) must not stop the
  // node: without this its next log line was death by SIGPIPE. Writes to the closed pipe fail
  // quietly; peer and client sockets never raise it (asio sends with MSG_NOSIGNAL).
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"zabd: a ZooKeeper-atomic-broadcast replicated key-value server (RESP clients)"};
  std::string config_path;
  zabd::Overrides o;
  std::string data_dir, event_log, read_mode, log_level;
  uint64_t tick_time_ms = 0;
  app.add_option("--config", config_path, "cluster YAML file (docs/contracts.md section 2)")
      ->required();
  app.add_option("--id", o.id, "this node's id, one of the file's nodes")->required();
  auto* dd =
      app.add_option("--data-dir", data_dir, "this node's data dir (default <data_dir>/<id>)");
  auto* el = app.add_option("--event-log", event_log,
                            "JSON-lines event log (default <node data dir>/events.jsonl)");
  auto* rm = app.add_option("--read-mode", read_mode, "linearizable | sync | local");
  auto* tt = app.add_option("--tick-time-ms", tick_time_ms, "ZooKeeper tickTime in ms");
  auto* ll = app.add_option("--log-level", log_level,
                            "trace | debug | info | warn | error | critical | off");
  zabd::ClientServerOptions client_options = zabd::ClientServerOptions::Defaults();
  app.add_option("--client-idle-timeout-ms", client_options.idle_timeout_ms,
                 "close a client connection that sends nothing and waits for nothing this long "
                 "(0 = never)")
      ->check(CLI::Range(uint64_t{0}, uint64_t{86'400'000}));
  app.add_option("--client-request-timeout-ms", client_options.request_timeout_ms,
                 "a request whose bytes keep arriving this long without completing gets -ERR and "
                 "its connection is closed (0 = never)")
      ->check(CLI::Range(uint64_t{0}, uint64_t{86'400'000}));
  app.add_flag("--repair", o.repair,
               "recreate a missing acceptedEpoch/currentEpoch file from the log (operator "
               "decision: it may lower an epoch this node promised)");
  app.add_option("--fault", o.faults,
                 "TEST ONLY: re-create a ZooKeeper bug (repeatable): " +
                     zab::JoinFaults(zab::KnownFaults()))
      ->take_all()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_flag("--power-loss-sim", o.power_loss_sim,
               "TEST ONLY: hold unsynced writes in memory, so SIGKILL acts as a power cut");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : zabd::kExitBadConfigOrData;
  }
  if (*dd) o.data_dir = data_dir;
  if (*el) o.event_log = event_log;
  if (*rm) o.read_mode = read_mode;
  if (*tt) o.tick_time_ms = tick_time_ms;
  if (*ll) o.log_level = log_level;

  auto config = zabd::LoadConfigFile(config_path);
  if (!config.ok()) {
    fmt::print(stderr, "zabd: bad config: {}\n", config.status().message());
    return zabd::kExitBadConfigOrData;
  }
  if (auto s = zabd::Resolve(o, &*config); !s.ok()) {
    fmt::print(stderr, "zabd: bad config: {}\n", s.message());
    return zabd::kExitBadConfigOrData;
  }

  auto logger = spdlog::stderr_color_mt("zabd");
  logger->set_pattern(fmt::format("%Y-%m-%d %H:%M:%S.%e [node {}] [%l] %v", config->self_id));
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(config->log_level));
  return zabd::RunNode(*config, client_options);
}
