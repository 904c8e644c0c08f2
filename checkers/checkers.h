// Checker entry points: pure functions of a History (checkers/history.h). No I/O, no threads
// outside CheckLinearizable (which runs keys on its own worker threads and joins them).
//
// Every checker returns a Verdict: kValid (proved), kInvalid (an anomaly was found; see
// anomalies), kUnknown (a budget ran out or the input cannot be judged; `reason` says why). A
// checker never answers kValid when it did not finish.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "checkers/history.h"

namespace faultline::checkers {

enum class Verdict { kValid, kInvalid, kUnknown };
std::string_view VerdictName(Verdict v);  // "valid", "invalid", "unknown"
// Combination of several verdicts: invalid wins, then unknown, then valid (empty -> valid).
Verdict CombineVerdicts(Verdict a, Verdict b);

// One anomaly, placed in time so reports can put it against the fault timeline.
struct Anomaly {
  std::string checker;      // "linearizability", "lost-write", "zab-invariants", "session-order"
  std::string key;          // "" when not about one key
  std::string description;  // one paragraph, human readable
  int64_t start_ns = 0;     // time range the anomaly concerns
  int64_t end_ns = 0;
  std::vector<int64_t> ops;  // Op::index of the ops involved
  std::string detail;        // optional multi-line text (timeline, forensics)
  // True for what is reported but is not a violation of the system's promises (a stale plain
  // read on ZooKeeper): reports and summaries list observations apart, and they never make a run
  // invalid.
  bool observation = false;
};

// ---------------------------------------------------------------- linearizability

enum class ModelKind {
  kRegister,       // read / write (and kCas if present); read nil = absent
  kCasRegister,    // read / write / cas
  kKv,             // a register per key (same ops as kCasRegister plus kDelete, kGet/kPut/kAppend)
  kSet,            // kAdd / kReadSet over one set per key
  kMutex,          // kAcquire / kRelease (Knossos: no owner tracking)
  kMultiRegister,  // kTxn of reads and writes over several registers
};
std::string_view ModelKindName(ModelKind m);
bool ParseModelKind(std::string_view name, ModelKind* out);

struct ModelOptions {
  ModelKind kind = ModelKind::kCasRegister;
  // Knossos semantics: an ok read of nil is unconstrained (the client did not learn the value).
  // Porcupine/etcd semantics (false): an ok read of nil must see the absent value.
  bool nil_read_matches_anything = false;
};

struct Budget {
  int64_t time_limit_ms = 60'000;  // wall clock for the whole check; exceeded keys -> unknown
  int64_t memory_limit_bytes = int64_t{1} << 30;  // memo caches + model tables, all keys
  int threads = 0;                                // 0 = hardware concurrency
  // P-compositionality: stop the other keys as soon as one key is illegal (they become unknown,
  // "not checked: key K is invalid"). Off by default so that every key gets its own verdict.
  bool stop_on_first_invalid = false;
  bool shrink = true;  // shrink each invalid key to a minimal illegal sub-history
};

struct KeyResult {
  std::string key;
  Verdict verdict = Verdict::kUnknown;
  std::string reason;  // why unknown; what is wrong when invalid
  int64_t ops = 0;     // ops of this key that the search used (fail ops are dropped)
  int64_t states_explored = 0;
  int64_t cache_bytes = 0;  // peak bytes of this key's memo cache
  double seconds = 0;
  std::vector<int64_t> minimal_ops;  // invalid: Op::index of a 1-minimal illegal sub-history
};

struct LinearizabilityResult {
  Verdict verdict = Verdict::kValid;
  std::string reason;
  std::vector<KeyResult> keys;  // sorted by key
  int64_t states_explored = 0;
  int64_t peak_memory_bytes = 0;   // peak of memo caches + model tables (estimated)
  std::vector<Anomaly> anomalies;  // one per invalid key, with timeline in detail
};

LinearizabilityResult CheckLinearizable(const History& history, const ModelOptions& model,
                                        const Budget& budget);

// ---------------------------------------------------------------- lost writes

// Every ok write must be visible in the final reads (the last ok read of its key that started
// after every write completed), or be overwritten by a later write that is; every ok set add
// must appear in the final read-set. Forensics come from history.node_events.
struct LostWriteResult {
  Verdict verdict = Verdict::kValid;
  std::string reason;
  int64_t writes_checked = 0;
  std::vector<Anomaly> anomalies;  // one per lost write
};
LostWriteResult CheckLostWrites(const History& history);

// ---------------------------------------------------------------- ZAB invariants

// zab.md section 7 checked on node event logs (docs/contracts.md section 3):
//   - at most one `established` leader per epoch;
//   - the committed sequences of any two nodes agree on their common prefix;
//   - no zxid committed on a node disappears after a restart (`truncate` below it, or a `start`
//     whose last_zxid is below it);
//   - acceptedEpoch >= currentEpoch on every node at every point;
//   - promises are durable (zab.md 7.3 rules 4 and 1): a `start` that carries accepted_epoch /
//     current_epoch loads at least the highest acceptedEpoch / currentEpoch that node reported
//     before (its `accepted_epoch` / `current_epoch` events are released after their fsync).
struct InvariantResult {
  Verdict verdict = Verdict::kValid;
  std::string reason;
  int64_t events_checked = 0;
  std::vector<Anomaly> anomalies;
};
// `origin_ms` (unix ms of the run's start; 0 = unknown) makes the times in the anomalies'
// descriptions offsets from it, as everything else shows them.
InvariantResult CheckZabInvariants(const std::vector<NodeEvent>& events, int64_t origin_ms = 0);

// ---------------------------------------------------------------- session order

// ZooKeeper's guarantee for `local` reads: per process, reads are monotonic (never observe a write
// that certainly precedes one it already observed) and see the process's own acknowledged writes.
// Writes are ordered only when certain: by zxid when both carry one, else by real time.
struct SessionResult {
  Verdict verdict = Verdict::kValid;
  std::string reason;
  int64_t reads_checked = 0;
  std::vector<Anomaly> anomalies;
};
SessionResult CheckSessionOrder(const History& history);

// ---------------------------------------------------------------- stale reads (observations)

// For reads promised only sequential consistency (ZooKeeper's plain get): a read is stale when an
// acknowledged write of its key that completed before the read began certainly follows the write
// the read observed (by zxid when both have one, else real time). Stale reads are allowed, so they
// come back as observations (Anomaly::observation), with how far behind each was: the writes it
// missed and the time since the first of them was acknowledged. Never makes a verdict; going back
// in time within a session is CheckSessionOrder's business, lost writes CheckLostWrites'.
inline constexpr int64_t kStaleReadObservationsMax = 100;  // observations kept; all are counted
struct StaleReadResult {
  int64_t reads_checked = 0;
  int64_t stale_reads = 0;
  int64_t max_writes_behind = 0;
  int64_t max_behind_ns = 0;
  std::string reason;                 // one line: counts and the worst staleness
  std::vector<Anomaly> observations;  // the first kStaleReadObservationsMax stale reads
};
StaleReadResult CheckStaleReads(const History& history);

// sync+read histories (read_mode kSync) checked for linearizability: appends the known
// ZOOKEEPER-1675 explanation (sync is not a quorum operation, so a deposed leader can serve it) to
// every anomaly whose time range meets a partition fault. Returns how many it explained.
int ExplainSyncReadAnomalies(const History& history, std::vector<Anomaly>* anomalies);

}  // namespace faultline::checkers
