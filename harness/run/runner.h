// ExecuteRun: one chaos run from a validated TestSpec to a verdict (ARCHITECTURE.md data flow 2),
// as a RunBody on the one run scaffold (scaffold.h), which does setup, healing, final-read
// recording, event ingest and the run row. This body adds:
//   - the System named by spec.system (harness/systems/registry.h), and the net mode from the
//     spec, the machine (root?) and the system's traits (ChooseNet: a system that cannot run
//     through the proxy refuses proxy mode here, with its reason);
//   - Ready: a leader (when the system can tell);
//   - Drive: workers (concurrency C) pulling ops from the generator through System::NewClient,
//     the nemesis thread walking the fault schedule (RealizeSchedule, or RunOptions::schedule),
//     a progress line, crashes the supervisor noticed recorded as faults; until the time limit or
//     SIGINT/SIGTERM;
//   - StopFaults: the faults in force stopped and recorded, the realized schedule stored;
//   - Settle + FinalReads: a leader awaited, then a read of every key (leader first, retried);
//   - Judge: the checkers the system promises for its read mode (CheckPlan.required), filtered
//     by the spec's `checkers:` list; a promised checker without input is stored as unknown;
//   - a schedule with power-loss faults starts every node in power-loss mode (refused, before any
//     run row, on a system without SystemTraits::power_loss).
// The scaffold then writes report.html and junit.xml (and RunOptions::junit_path).
//
// Exit code: 0 valid, 1 anomaly found, 2 unknown / could not run / interrupted.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "harness/run/scaffold.h"
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
  // The fault schedule hook (shrink, replay, a simulator): the faults to apply given the
  // effective spec and seed. Unset = RealizeSchedule (the spec's schedule, or generated).
  std::function<std::vector<ScheduledFault>(const TestSpec& spec, uint64_t seed)> schedule;
};

RunOutcome ExecuteRun(const RunOptions& options);

// The net mode a spec resolves to on this machine ("iptables", "proxy", "none"; "unavailable" for
// net: iptables without root), ignoring the system (see ChooseNet for the system's say).
std::string ResolveNetMode(const TestSpec& spec, bool is_root);

}  // namespace faultline::harness
