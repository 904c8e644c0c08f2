// RunSim: one suite run against a SIMULATED zabd cluster (world.h), recorded in the same store as
// real runs (runs.system = zabd-sim) and judged by the same checkers. It follows the run
// scaffold's phases (harness/run/scaffold.h) on simulated time, with the scaffold's shared parts:
//   run row + folder (spec.yaml)           -> the store (harness/history)
//   a leader at start (kLeaderTimeout)     -> World::Control().FindLeader, simulated time
//   workload + nemesis for time_limit      -> the OpGenerator stream through sim::Workers; the
//                                             schedule (RealizeSchedule, or an explicit one)
//                                             walked by NemesisTimeline, applied by the harness
//                                             Nemesis, recorded by FaultRecorder
//   stop faults, Nemesis::HealAll, a leader, final reads (RunFinalReads)
//   node events                            -> the store as they are logged
//   judge (JudgeStoredRun: the zabd system's promises for the read mode), finish the run row
//                                             (FinishStoredRun), console summary, report.html
// Every record carries simulated time (World::NowNs, anchored at the run's wall-clock start so
// reports place it as usual), so one seed gives the same history whenever it runs
// (HistoryFingerprint).
//
// Thread-safety: RunSim uses the calling thread only (the store has its writer thread).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "harness/history/history_store.h"
#include "harness/run/scaffold.h"
#include "harness/spec/test_spec.h"

namespace faultline::harness::sim {

// A simulated fsync takes [min, max] ms (uniform, seeded): the window in which a power cut finds
// a node's last writes unsynced, and the latency an ACK or a reply waits for its fsync.
inline constexpr uint64_t kSimFsyncMsMin = 1;
inline constexpr uint64_t kSimFsyncMsMax = 10;

struct SimRunOptions {
  TestSpec spec;  // validated; spec.seed is the run's seed (0 = seed 1)
  // The fault schedule; unset = RealizeSchedule(spec, seed) (the spec's, or generated).
  std::optional<std::vector<ScheduledFault>> schedule;
  std::optional<int64_t> replay_of;  // `faultline sim --from-run RUN`
  std::string results_dir = "results";
  std::string store_path = "results/faultline.db";  // quoted in the report
  std::ostream* out = nullptr;                      // default std::cout
  bool summary = false;         // print the run's console summary (PrintRunSummary)
  bool report = false;          // write report.html / junit.xml into the run folder
  // The run's last rows (node events, checks, finish) are committed before RunSim returns
  // (false), or only queued for the store's writer (true: the caller's next run overlaps their
  // commit; Flush() the store before reading the run back). summary / report flush anyway.
  bool queue_end_writes = false;
  uint64_t latency_ms_max = 2;  // simulated per-message latency, [0, max]
  // Simulated fsync duration, [min, max] ms (world.h "Disk and crashes"; max 0: none).
  uint64_t fsync_ms_min = kSimFsyncMsMin;
  uint64_t fsync_ms_max = kSimFsyncMsMax;
  // Test hook: the in-memory history the checkers are about to judge (sim_history.h).
  std::function<void(const checkers::History&)> on_judge;
};

struct SimOutcome {
  RunOutcome run;             // exit code, run id, verdict
  std::string first_checker;  // the first invalid check's checker ("" when valid)
  std::vector<std::string> invalid_checkers;
  int64_t simulated_ms = 0;  // simulated time from boot to the last final read
  int64_t ops = 0;
  int64_t node_events = 0;
  int faults_applied = 0;
};

// What `faultline sim --from-run RUN` simulates: the recorded run's spec and seed, with its
// realized fault schedule as the spec's explicit schedule (ScheduleForReplay with exact partition
// links: the same cuts, whoever leads in the simulator), delay and loss faults included.
struct SimInput {
  TestSpec spec;
  std::vector<std::string> notes;
};
Result<SimInput> SimInputFromRun(HistoryStore& store, int64_t run_id);

// `store` is open for writing (one store serves many seeds). Errors of the spec for the
// simulator (SimSetupFor) are returned as an outcome with exit code 2 and no run row.
SimOutcome RunSim(HistoryStore& store, const SimRunOptions& options);

// The run's history as canonical text: every op, fault, node event and the realized schedule,
// with times as offsets from the run's first record — what "the same history byte for byte"
// compares (run ids, wall-clock anchors and row ids left out).
Result<std::string> HistoryFingerprint(HistoryStore& store, int64_t run_id);

}  // namespace faultline::harness::sim
