// ExecuteRun: one chaos run from a validated TestSpec to a verdict (ARCHITECTURE.md data flow 2).
//
//   1. network: net auto = iptables when root and the schedule has partitions only, proxy when it
//      has delay/loss or without root, none without network faults. iptables: the process enters
//      a private network namespace FIRST (before any thread starts; nodes on 127.0.0.11, ...).
//   0. the System named by spec.system (harness/systems/registry.h) is built; a system that cannot
//      run through the proxy refuses proxy mode here, with its reason.
//   2. a run row in the store (status running, seed, spec, git revision) and the run folder
//      <results>/runs/<id>/ with spec.yaml and the node folders (the system's files).
//   3. cluster started (System::OpenDb), a leader awaited; workers, nemesis thread, progress line,
//      and the event pump: every node's EventImporter polled as the run goes, into node_events.
//   4. at the time limit (or on SIGINT/SIGTERM): workers stopped (in-flight ops complete), the
//      nemesis thread stopped, every fault in force stopped, HealAll (heal, resume, restart).
//   5. not interrupted: wait for a leader, final reads of every key with retries.
//   6. nodes stopped, the rest of the event logs ingested, the checkers the system promises for
//      its read mode run (checkers/cli RunChecks), verdicts and anomalies stored, run finished,
//      summary printed.
//   7. report.html and junit.xml written into the run folder (harness/report, from the store),
//      and the JUnit file also to RunOptions::junit_path when given.
//
// Exit code: 0 valid, 1 anomaly found, 2 unknown / could not run / interrupted.
// Every process started is killed and reaped before ExecuteRun returns, whatever happened.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "harness/spec/test_spec.h"
#include "harness/systems/registry.h"

namespace faultline::harness {

struct RunOptions {
  TestSpec spec;  // overrides already applied
  std::string store_path = "results/faultline.db";
  std::string results_dir = "results";  // run folders go to <results_dir>/runs/<id>
  SystemContext system_context;         // where the system resolves its paths
  std::optional<int64_t> replay_of;     // set by `faultline replay`
  bool allow_netns = true;              // may enter a private netns (iptables mode)
  std::ostream* out = nullptr;          // progress + summary (default std::cout)
  bool tty = false;                     // live progress line
  std::string junit_path;               // also write the run's JUnit XML here ("" = no)
};

struct RunOutcome {
  int exit_code = 2;
  int64_t run_id = 0;   // 0 when no run row was created
  std::string verdict;  // valid | invalid | unknown
  std::string net;      // iptables | proxy | none (what was used)
  std::string error;    // why the run could not run
};

RunOutcome ExecuteRun(const RunOptions& options);

// The net mode a spec resolves to on this machine ("iptables", "proxy", "none"; "unavailable" for
// net: iptables without root). `proxy_ok` false (the system refuses the proxy): auto prefers
// iptables under root, and the caller reports the system's reason when proxy is still needed.
std::string ResolveNetMode(const TestSpec& spec, bool is_root, bool proxy_ok = true);

}  // namespace faultline::harness
