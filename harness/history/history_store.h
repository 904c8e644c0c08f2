// HistoryStore: every run's record in one SQLite database (WAL), written as it happens.
//
// Tables (history_schema.h, documented for sqlite3 users in docs/store-schema.md): runs, ops,
// faults, node_events, verdicts, anomalies, run_metrics, suite_runs, suite_cases. One database
// holds every run (default results/faultline.db); rows carry their run id.
//
// Writing has two paths:
//   - Record*() calls are asynchronous: they enqueue into a bounded queue (kQueueCapacity) and
//     return; a writer thread commits whatever is queued as one transaction at least every
//     kCommitIntervalMs. A producer blocks only when the queue is full (backpressure, never loss).
//     A controller killed by SIGKILL therefore loses at most the last kCommitIntervalMs of records
//     (WAL with synchronous=NORMAL: committed transactions survive a process crash).
//   - Run-level calls (CreateRun, FinishRun, SetSchedule, StoreCheck) are synchronous: they first
//     Flush() the queue, so a run row never claims more than the ops table holds. RecordRunEnd is
//     their asynchronous form (checks, schedule and finish as one queued record, committed after
//     every record queued before it): for a caller that goes on while the writer commits (the
//     simulator starts its next run).
//
// An op is one row: inserted at invoke (outcome NULL = open), completed by RecordCompletion. An
// op whose completion never reached the store stays open and reads back as an open op, which the
// checkers treat as info (checkers/history.h).
//
// Times are nanoseconds since the Unix epoch (system clock), so they line up with the servers'
// event logs (ts_ms).
//
// Liveness: CreateRun stores the controller's pid and host; while the run is open the writer thread
// stamps runs.heartbeat_ms every kHeartbeatIntervalMs. A reader shows a `running` row whose
// controller is gone (same host, pid no longer exists) or not heard from for kHeartbeatStaleMs as
// `crashed` (run_liveness.h), and the next CreateRun on the store writes that decision down.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "checkers/checkers.h"
#include "checkers/history.h"
#include "common/status.h"

namespace faultline::harness {

class SqliteDb;

// Bounds of the recording path (TigerBeetle: bounds live together).
inline constexpr int64_t kCommitIntervalMs = 100;  // a queued record waits at most this long
inline constexpr size_t kQueueCapacity = 1 << 16;  // records; producers block beyond
inline constexpr size_t kBatchMax = 1 << 14;       // records per transaction
static_assert(kCommitIntervalMs <= 200, "the issue promises at most 200 ms of loss on a crash");
static_assert(kBatchMax <= kQueueCapacity);
inline constexpr int64_t kHeartbeatIntervalMs = 1000;  // runs.heartbeat_ms of an open run
inline constexpr int64_t kHeartbeatStaleMs = 30000;    // not heard from this long: crashed
static_assert(kHeartbeatStaleMs >= 10 * kHeartbeatIntervalMs,
              "a loaded machine must not make a live controller look crashed");

// Run status values stored in runs.status.
inline constexpr const char* kRunRunning = "running";
inline constexpr const char* kRunFinished = "finished";
inline constexpr const char* kRunInterrupted = "interrupted";
inline constexpr const char* kRunError = "error";
// Never written by a controller: a reader's decision about a `running` row whose controller is
// gone (and what CreateRun writes back for such rows).
inline constexpr const char* kRunCrashed = "crashed";

struct RunRecord {
  int64_t id = 0;
  std::string suite;
  std::string spec_text;
  uint64_t seed = 0;
  std::string git_revision;
  std::string folder;  // results/runs/<id>
  int64_t started_ms = 0;
  std::optional<int64_t> ended_ms;
  std::string system;                // zabd | zookeeper | etcd | ... (from the spec)
  std::string status;                // running | finished | interrupted | error | crashed
  std::string verdict;               // "" until checked; valid | invalid | unknown
  std::string schedule_json;         // realized fault schedule (array of objects)
  std::optional<int64_t> replay_of;  // run id this run replays
  int64_t anomaly_count = 0;         // filled by readers (observations not included)
  int64_t observation_count = 0;     // filled by readers: stored anomalies with observation set
  std::string summary;               // free text (counts), set by FinishRun
  // Liveness (filled by CreateRun and the writer; read back by readers).
  std::optional<int64_t> controller_pid;
  std::string controller_host;
  std::optional<int64_t> heartbeat_ms;  // last heartbeat (NULL: recorded before heartbeats)
  std::string recorded_status;          // runs.status as stored (status may say crashed)
  int64_t last_heard_ms = 0;            // last sign of life: heartbeat, end, or last op
  // Identity across stores (`faultline merge`): random, made by CreateRun unless given. '' in
  // rows recorded before it existed.
  std::string uid;
};

// A fault row. targets are node ids; detail is JSON text (roles, shape, grudge, errors).
struct FaultRecord {
  int64_t index = 0;  // per run, assigned by the caller
  std::string kind;
  std::vector<int64_t> targets;
  int64_t start_ns = 0;
  std::optional<int64_t> stop_ns;
  std::string description;
  std::string detail_json = "{}";
};

// One checker's result as stored.
struct CheckRecord {
  std::string checker;
  std::string verdict;  // valid | invalid | unknown
  std::string reason;
  std::vector<checkers::Anomaly> anomalies;
};

// The end of a run as one record (RecordRunEnd): what StoreCheck (each check, in order),
// SetSchedule and FinishRun write.
struct RunEnd {
  std::vector<CheckRecord> checks;            // verdict rows in this order, then their anomalies
  std::optional<std::string> schedule_json;   // runs.schedule (nullopt: left as it is)
  std::string status;                         // finished / interrupted / error
  std::string verdict;
  std::string summary;
  int64_t ended_ms = 0;                       // runs.ended_ms and the last heartbeat
};

struct StoreStats {
  int64_t records_committed = 0;
  int64_t batches_committed = 0;
  int64_t producer_waits = 0;  // times a producer blocked on a full queue
};

class HistoryStore {
 public:
  // Opens or creates the database at `path` (parent directories are created). For writers.
  static Result<std::unique_ptr<HistoryStore>> Open(const std::string& path);
  // For reading commands: opens an existing store read-only (SQLite READONLY: nothing is ever
  // written, not even a schema upgrade; older schemas read back with defaults). A missing file or
  // one that is not a faultline store is NotFound / InvalidArgument naming the path. Record*()
  // calls on such a store are dropped and Flush() reports it.
  static Result<std::unique_ptr<HistoryStore>> OpenExisting(const std::string& path);
  ~HistoryStore();  // flushes what is queued, stops the writer
  HistoryStore(const HistoryStore&) = delete;
  HistoryStore& operator=(const HistoryStore&) = delete;

  // ---- run-level, synchronous
  // Inserts a run with status running, this process's pid and host and a first heartbeat;
  // returns its id. Rows of runs whose controller is gone are first marked crashed.
  Result<int64_t> CreateRun(const RunRecord& run);
  Status SetRunFolder(int64_t run_id, const std::string& folder);
  Status SetSchedule(int64_t run_id, const std::string& schedule_json);
  // Sets status (finished / interrupted / error), verdict, ended time, summary.
  Status FinishRun(int64_t run_id, const std::string& status, const std::string& verdict,
                   const std::string& summary);
  // Stores one checker's verdict and its anomalies.
  Status StoreCheck(int64_t run_id, const CheckRecord& check);

  // ---- asynchronous, batched (see header comment)
  // Uses op.index (unique per run), process, f, key, value (writes), expected, invoke_ns, node.
  void RecordInvoke(int64_t run_id, const checkers::Op& op);
  // Completes op `op_index`. `value` is a read's observed value (nullopt = nil), ignored for
  // writes; `elements` a set read's elements; `error` the error text for fail/info.
  void RecordCompletion(int64_t run_id, int64_t op_index, checkers::Outcome outcome,
                        int64_t complete_ns, std::optional<std::string> value,
                        std::vector<std::string> elements, std::optional<int64_t> zxid,
                        std::string error);
  void RecordFaultStart(int64_t run_id, const FaultRecord& fault);
  // Stops fault `fault_index`; `detail_json` (if not empty) replaces the stored detail.
  void RecordFaultStop(int64_t run_id, int64_t fault_index, int64_t stop_ns,
                       std::string detail_json = "");
  void RecordNodeEvent(int64_t run_id, const checkers::NodeEvent& event);
  // Many node events at once, in order, as one queued record (no copy; the simulator hands over a
  // whole run's events when the run ends).
  void RecordNodeEvents(int64_t run_id, std::vector<checkers::NodeEvent> events);
  // The run's checks, schedule and finish (RunEnd), written after every record queued before it,
  // in the same transaction as the last of them: a reader never sees a finished run missing rows,
  // and a controller that dies first leaves a `running` row (crashed, as for any run). The run
  // stops being live (no more heartbeats) once it is committed. Flush() waits for it.
  void RecordRunEnd(int64_t run_id, RunEnd end);

  // Blocks until everything recorded before the call is committed; returns the first write
  // error the writer met (the writer keeps going after one).
  Status Flush();
  StoreStats stats() const;

  // ---- readers (see the same database; a Flush() first is the caller's business). RunRecord
  // status is the effective one: `crashed` for a running row whose controller is gone.
  Result<std::vector<RunRecord>> ListRuns(int limit = 50);
  Result<RunRecord> GetRun(int64_t run_id);
  Result<std::vector<FaultRecord>> LoadFaults(int64_t run_id);
  Result<std::vector<CheckRecord>> LoadChecks(int64_t run_id);
  // The run as a checkers::History: ops, faults, node events, model ("cas-register" or "set"
  // from the spec), read mode.
  Result<checkers::History> LoadHistory(int64_t run_id);

 private:
  class Impl;
  explicit HistoryStore(std::unique_ptr<Impl> impl);
  // The connection and the mutex that serializes it with the writer (for the readers).
  std::mutex& DbMutex();
  SqliteDb& Db();
  void SetLive(int64_t run_id, bool live);  // the writer stamps the heartbeat of live runs
  bool HasLivenessColumns();    // false for a read-only store of an older schema
  bool HasObservationColumn();  // anomalies.observation exists (false in old read-only stores)
  bool HasUidColumn();          // runs.uid exists (false in old read-only stores)

 public:
  // ---- for readers in other files of this library (run_query.cc): rows of `runs` selected by
  // an SQL tail ("WHERE ... ORDER BY ... LIMIT ...") with ?N arguments, liveness resolved.
  using SqlArg = std::variant<int64_t, double, std::string>;
  Result<std::vector<RunRecord>> QueryRuns(const std::string& where_order_limit,
                                           const std::vector<SqlArg>& args);
  // Runs `fn(SqliteDb&)` on the store's connection under its mutex.
  template <typename Fn>
  auto WithConnection(Fn fn) {
    std::lock_guard<std::mutex> lock(DbMutex());
    return fn(Db());
  }

 private:
  Status ResolveLiveness(std::vector<RunRecord>* runs);
  std::unique_ptr<Impl> impl_;
};

// A fresh random identity (32 hex digits) for a run or a suite run.
std::string NewStoreUid();

// `git rev-parse --short HEAD` of the source tree the binary was built from, or "unknown".
std::string GitRevision();

}  // namespace faultline::harness
