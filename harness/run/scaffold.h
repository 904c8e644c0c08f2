// The one run scaffold: everything a run of any kind shares (ARCHITECTURE.md data flow 2).
// `faultline run` (runner.h) and `faultline scenario` (harness/scenario) are RunBodies on it; later
// commands (suites, shrink, a deterministic simulator) reuse it the same way.
//
// ExecuteBody(options, system, body) runs, in this order:
//   1. net: iptables -> the process enters a private network namespace FIRST (before any thread
//      starts; once per process); nodes on 127.0.0.11, ... Otherwise loopback.
//   2. the store, the run row (status running, suite, system, seed, spec text, git revision,
//      replay_of) and the run folder <results>/runs/<id>/ (CreateRunFolder) with options.files
//      written into it; the folder is recorded in the run row.
//   3. System::OpenDb (node folders), the partitioner for the net mode (iptables: every node's
//      host and gid; proxy: a listener per link and peer port, routed into each node's config),
//      the Nemesis over both (seeded), the FaultRecorder, the EventPump (node events into the
//      store AS THE RUN GOES), every node started, every node serving.
//   4. body.Ready (a leader; a scenario's agreement), body.Drive (the workload, the steps). An
//      interrupt (SIGINT/SIGTERM, interrupt.h) is noticed between phases and by bodies that poll
//      Interrupted(); the run is then marked interrupted after the same cleanup.
//   5. body.StopFaults (the body's faults in force, recorded stopped), Nemesis::HealAll (network
//      healed, paused nodes resumed, dead nodes started). Not interrupted: body.Settle, then
//      body.FinalReads through RecordedOp (each read recorded invoke first, completion after, as
//      it happens).
//   6. every node stopped (the Db kills and reaps what it started), the partitioner closed, the
//      rest of the node events ingested (EventPump::Finish).
//   7. finished and not interrupted: body.Judge -> check rows stored, verdicts combined; the run
//      row finished (finished / interrupted / error), body.Report prints, and the run's
//      report.html and junit.xml are written into its folder (harness/report; also to
//      options.junit_path when given). A failure to write them is a warning, never a verdict.
//
// Exit codes (RunOutcome): 0 valid, 1 invalid (an anomaly; a scenario expectation failed), 2
// unknown / could not run / interrupted. Every process started is killed and reaped before
// ExecuteBody returns, whatever happened.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "checkers/history.h"
#include "common/status.h"
#include "harness/client/client.h"
#include "harness/cluster/db.h"
#include "harness/history/history_store.h"
#include "harness/nemesis/nemesis.h"
#include "harness/net/partitioner.h"
#include "harness/run/event_pump.h"
#include "harness/run/fault_recorder.h"
#include "harness/spec/test_spec.h"
#include "harness/system/system.h"

namespace faultline::harness {

// Bounds of the scaffold's phases (TigerBeetle: bounds together).
inline constexpr std::chrono::milliseconds kServeTimeout{60000};   // every node serves after start
inline constexpr std::chrono::milliseconds kLeaderTimeout{30000};  // a leader at start and at end

struct ScaffoldOptions {
  std::string suite;      // the run row's suite: "quick", "scenario:q1a-minority-write-kept"
  std::string spec_text;  // stored with the run (what a replay reruns)
  std::vector<std::pair<std::string, std::string>> files;  // (name, text) into the run folder
  uint64_t seed = 1;
  int nodes = 3;
  std::string net = "none";  // "iptables" | "proxy" | "none" (ChooseNet)
  NemesisOptions nemesis;    // its seed is replaced by `seed`
  bool power_loss = false;   // start every node in power-loss mode (DbOptions::power_loss)
  std::string junit_path;    // also write the run's JUnit XML here ("" = only in the folder)
  std::optional<int64_t> replay_of;
  std::string store_path = "results/faultline.db";
  std::string results_dir = "results";
  bool allow_netns = true;
  std::ostream* out = nullptr;  // default std::cout
  // Printed once the run row and folder exist: e.g. "run 12: suite quick, ... folder ...".
  std::function<std::string(int64_t run_id, const std::string& folder)> banner;
};

struct RunOutcome {
  int exit_code = 2;
  int64_t run_id = 0;   // 0 when no run row was created
  std::string verdict;  // valid | invalid | unknown
  std::string net;      // iptables | proxy | none (what was used)
  std::string error;    // why the run could not run
  bool interrupted = false;
};

// What a body's Judge returns: the check rows to store (their verdicts are combined into the
// run's), observations to store that never count in the verdict (stale plain reads a system's
// promises allow), and the run's one-line summary.
struct Judgement {
  std::vector<CheckRecord> checks;
  std::vector<CheckRecord> observations;
  std::string summary;
  std::optional<std::string> schedule_json;  // runs.schedule, stored with the verdicts (if set)
};

class RunScaffold;

class RunBody {
 public:
  virtual ~RunBody() = default;
  virtual Status Ready(RunScaffold& run) = 0;
  virtual Status Drive(RunScaffold& run) = 0;
  virtual Status StopFaults(RunScaffold& run) = 0;
  virtual Status Settle(RunScaffold& run) = 0;
  virtual Status FinalReads(RunScaffold& run) = 0;
  virtual Judgement Judge(RunScaffold& run) = 0;
  // Prints the end of the run (summary, narrative); the run row is final.
  virtual void Report(RunScaffold& run, const RunOutcome& outcome) = 0;
};

// What a body sees of the run. Valid during ExecuteBody; accessors for parts not made yet (a
// setup failure) return null.
class RunScaffold {
 public:
  std::ostream& out() { return *out_; }
  HistoryStore& store() { return *store_; }
  int64_t run_id() const { return run_id_; }
  const std::string& folder() const { return folder_; }
  uint64_t seed() const { return options_.seed; }
  const std::string& net() const { return options_.net; }
  System& system() { return system_; }
  Db* db() { return db_.get(); }
  Partitioner* partitioner() { return partitioner_.get(); }
  Nemesis* nemesis() { return nemesis_.get(); }
  FaultRecorder* recorder() { return recorder_.get(); }
  EventPump* pump() { return pump_.get(); }
  // Whether an interrupt arrived (latched: once true, stays true for this run).
  bool Interrupted();

  // One op, recorded as it happens: the invoke (without candidate elements) before the call, the
  // completion right after it. op.index, process, node must be set by the caller; invoke_ns is
  // set here. Returns the client's result (complete_ns set in op_out when given).
  OpResult RecordedOp(Client& client, checkers::Op op, std::chrono::milliseconds timeout,
                      checkers::Op* op_out = nullptr);

 private:
  friend RunOutcome ExecuteBody(const ScaffoldOptions&, System&, RunBody&);
  RunScaffold(const ScaffoldOptions& options, System& system);
  ~RunScaffold();
  Status Setup();
  Status StartNetwork();
  Status Teardown();

  const ScaffoldOptions& options_;
  System& system_;
  std::ostream* out_;
  bool interrupted_ = false;
  int64_t run_id_ = 0;
  std::string folder_;
  // Declaration order = reverse destruction order: the pump and nemesis go before the Db.
  std::unique_ptr<HistoryStore> store_;
  std::unique_ptr<Db> db_;
  std::unique_ptr<Partitioner> partitioner_;
  std::unique_ptr<Nemesis> nemesis_;
  std::unique_ptr<FaultRecorder> recorder_;
  std::unique_ptr<EventPump> pump_;
};

RunOutcome ExecuteBody(const ScaffoldOptions& options, System& system, RunBody& body);

// Creates a run's folder: <results>/runs/<id>, or <id>-2, <id>-3, ... when that one exists
// already (another store sharing this results folder has a run <id>, or a store was removed and
// its run folders kept). Made with one mkdir each, so two runs never get one folder and nothing
// another run wrote is overwritten. Returns the folder made.
Result<std::string> CreateRunFolder(const std::string& results_dir, int64_t run_id);

// Step 7 on its own, for a run made without processes (the simulator, harness/sim): unless `s`
// failed or the run was interrupted, judge() -> check rows stored, verdicts combined; the run row
// finished (finished / interrupted / error) with the judgement's summary; the exit code as above.
// The rows go as one HistoryStore::RecordRunEnd; kCommitted returns once they are committed,
// kQueued at once (the caller flushes before it reads the run back: the simulator's next run
// starts while the writer commits this one).
enum class EndWrites { kCommitted, kQueued };
RunOutcome FinishStoredRun(HistoryStore& store, int64_t run_id, const Status& s, bool interrupted,
                           const std::function<Judgement()>& judge, std::ostream& out,
                           EndWrites writes = EndWrites::kCommitted);
// The run's report.html and junit.xml (harness/report), as every run writes them at its end.
void WriteRunReport(HistoryStore& store, int64_t run_id, const std::string& store_path,
                    std::ostream& out);

// The net mode a run uses on this machine: `requested` (auto picks iptables when root and only
// partitions are asked for, the proxy for delay/loss or without root, none without network
// faults). InvalidArgument with the reason when it cannot be had: iptables without root, network
// faults on a system without a peer network, the proxy for a system that refuses it.
Result<std::string> ChooseNet(NetMode requested, bool network_faults, bool link_faults,
                              const SystemTraits& traits, bool is_root,
                              const std::string& system_kind);

}  // namespace faultline::harness
