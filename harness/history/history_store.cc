#include "harness/history/history_store.h"

#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <unordered_map>
#include <variant>

#include "harness/history/history_codec.h"
#include "harness/history/history_schema.h"
#include "harness/history/run_liveness.h"
#include "harness/history/run_rows.h"
#include "harness/history/sqlite_db.h"
#include "harness/history/store_util.h"

namespace faultline::harness {
namespace {

struct InvokeRec {
  int64_t run_id;
  checkers::Op op;
};
struct CompleteRec {
  int64_t run_id;
  int64_t op_index;
  checkers::Outcome outcome;
  int64_t complete_ns;
  std::optional<std::string> value;
  std::vector<std::string> elements;
  std::optional<int64_t> zxid;
  std::string error;
};
struct FaultStartRec {
  int64_t run_id;
  FaultRecord fault;
};
struct FaultStopRec {
  int64_t run_id;
  int64_t fault_index;
  int64_t stop_ns;
  std::string detail_json;
};
struct NodeEventRec {
  int64_t run_id;
  checkers::NodeEvent event;
};
struct NodeEventsRec {
  int64_t run_id;
  std::vector<checkers::NodeEvent> events;
};
struct RunEndRec {
  int64_t run_id;
  RunEnd end;
};
using Record = std::variant<InvokeRec, CompleteRec, FaultStartRec, FaultStopRec, NodeEventRec,
                            NodeEventsRec, RunEndRec>;

std::string TargetsJson(const std::vector<int64_t>& targets) {
  return nlohmann::json(targets).dump();
}

}  // namespace

class HistoryStore::Impl {
 public:
  Impl(std::unique_ptr<SqliteDb> db, bool read_only) : db_(std::move(db)), read_only_(read_only) {}

  // Read-only: checks that this is a faultline store and which columns it has; no writer.
  Status InitReadOnly(const std::string& path) {
    Result<std::set<std::string>> cols = TableColumns(*db_, "runs");
    if (!cols.ok())
      return Status::InvalidArgument(path + ": not a SQLite database: " + cols.status().message());
    if (cols->empty()) {
      return Status::InvalidArgument(path + ": not a faultline history store (no runs table)");
    }
    liveness_columns_ = cols->count("heartbeat_ms") > 0;
    uid_column_ = cols->count("uid") > 0;
    Result<std::set<std::string>> anomaly_cols = TableColumns(*db_, "anomalies");
    observation_column_ = anomaly_cols.ok() && anomaly_cols->count("observation") > 0;
    first_error_ = Status::InvalidArgument(path + " was opened read-only: nothing is recorded");
    return Status::Ok();
  }

  Status Init() {
    // WAL + synchronous=NORMAL: a commit is durable against a process crash without an fsync
    // per transaction (the WAL is fsynced at checkpoints).
    if (Status s = db_->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"); !s.ok()) {
      return s;
    }
    if (Status s = CreateOrUpgradeSchema(*db_); !s.ok()) return s;
    liveness_columns_ = true;
    observation_column_ = true;
    uid_column_ = true;
    auto prep = [&](SqliteStmt* out, const char* sql) -> Status {
      Result<SqliteStmt> r = db_->Prepare(sql);
      if (!r.ok()) return r.status();
      *out = std::move(r).value();
      return Status::Ok();
    };
    Status s;
    if (!(s = prep(&insert_op_,
                   "INSERT OR REPLACE INTO ops (run_id, op_index, process, f, key, value, "
                   "expected, elements, node, invoke_ns, complete_ns, outcome, zxid, error) "
                   "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)"))
             .ok()) {
      return s;
    }
    if (!(s = prep(&complete_op_,
                   "UPDATE ops SET complete_ns=?3, outcome=?4, value=COALESCE(?5, value), "
                   "elements=?6, zxid=?7, error=?8 WHERE run_id=?1 AND op_index=?2"))
             .ok()) {
      return s;
    }
    if (!(s = prep(&insert_fault_,
                   "INSERT OR REPLACE INTO faults (run_id, fault_index, kind, targets, start_ns, "
                   "stop_ns, description, detail) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)"))
             .ok()) {
      return s;
    }
    if (!(s = prep(&stop_fault_,
                   "UPDATE faults SET stop_ns=?3, detail=CASE WHEN ?4='' THEN detail ELSE ?4 END "
                   "WHERE run_id=?1 AND fault_index=?2"))
             .ok()) {
      return s;
    }
    if (!(s = prep(&insert_event_,
                   "INSERT INTO node_events (run_id, node, ts_ms, type, json) "
                   "VALUES (?1,?2,?3,?4,?5)"))
             .ok()) {
      return s;
    }
    {
      // kEventsPerInsert rows per statement (a run's events go in chunks: one VDBE program run
      // per chunk, not per row; the rows and their order are those of one row per statement).
      std::string sql = "INSERT INTO node_events (run_id, node, ts_ms, type, json) VALUES ";
      for (size_t i = 0; i < kEventsPerInsert; ++i) sql += i == 0 ? "(?,?,?,?,?)" : ",(?,?,?,?,?)";
      if (!(s = prep(&insert_events_, sql.c_str())).ok()) return s;
    }
    {
      // kOpsPerInsert op rows per statement (insert_op_'s columns, parameters in row order).
      std::string sql =
          "INSERT OR REPLACE INTO ops (run_id, op_index, process, f, key, value, expected, "
          "elements, node, invoke_ns, complete_ns, outcome, zxid, error) VALUES ";
      for (size_t i = 0; i < kOpsPerInsert; ++i) {
        sql += i == 0 ? "(" : ",(";
        for (int k = 0; k < kOpColumns; ++k) sql += k == 0 ? "?" : ",?";
        sql += ")";
      }
      if (!(s = prep(&insert_ops_, sql.c_str())).ok()) return s;
    }
    if (!(s = prep(&heartbeat_, "UPDATE runs SET heartbeat_ms=?2 WHERE id=?1")).ok()) return s;
    writer_ = std::thread([this] { WriterLoop(); });
    return Status::Ok();
  }

  bool liveness_columns() const { return liveness_columns_; }
  bool observation_column() const { return observation_column_; }
  bool uid_column() const { return uid_column_; }
  bool read_only() const { return read_only_; }

  // Runs this process created and has not finished: the writer stamps their heartbeat.
  void AddLiveRun(int64_t id) {
    std::lock_guard<std::mutex> l(mu_);
    live_runs_.insert(id);
    work_cv_.notify_one();  // the writer now has a heartbeat deadline
  }
  void RemoveLiveRun(int64_t id) {
    std::lock_guard<std::mutex> l(mu_);
    live_runs_.erase(id);
  }

  ~Impl() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stopping_ = true;
    }
    work_cv_.notify_all();
    if (writer_.joinable()) writer_.join();
  }

  void Enqueue(Record rec) {
    if (read_only_) return;  // Flush() reports it (first_error_)
    std::unique_lock<std::mutex> l(mu_);
    if (queue_.size() >= kQueueCapacity) {
      ++stats_.producer_waits;
      space_cv_.wait(l, [&] { return queue_.size() < kQueueCapacity; });
    }
    bool was_empty = queue_.empty();
    queue_.push_back(std::move(rec));
    ++enqueued_;
    // Wake the writer when work appears (it then lingers up to kCommitIntervalMs to gather a
    // batch) and when a full batch is ready.
    if (was_empty || queue_.size() >= kBatchMax) work_cv_.notify_one();
  }

  Status Flush() {
    std::unique_lock<std::mutex> l(mu_);
    if (read_only_) return first_error_;
    uint64_t target = enqueued_;
    flush_requested_ = true;
    work_cv_.notify_one();
    done_cv_.wait(l, [&] { return committed_ >= target || writer_dead_; });
    return first_error_;
  }

  StoreStats stats() const {
    std::lock_guard<std::mutex> l(mu_);
    return stats_;
  }

  std::mutex& db_mutex() { return db_mu_; }
  SqliteDb& db() { return *db_; }

  // Synchronous statements share the connection with the writer thread.
  template <typename Fn>
  auto WithDb(Fn fn) {
    std::lock_guard<std::mutex> l(db_mu_);
    return fn(*db_);
  }

 private:
  void WriterLoop() {
    std::vector<Record> batch;
    batch.reserve(kBatchMax);
    auto next_heartbeat = Clock::now();
    for (;;) {
      std::vector<int64_t> beat;  // live runs whose heartbeat is due
      {
        std::unique_lock<std::mutex> l(mu_);
        auto has_work = [&] { return stopping_ || !queue_.empty() || flush_requested_; };
        // With live runs, wake at least every heartbeat interval even when nothing is recorded
        // (a run's check phase records nothing for a while but the controller is alive).
        while (!has_work()) {
          if (live_runs_.empty()) {
            work_cv_.wait(l);
          } else if (work_cv_.wait_until(l, next_heartbeat) == std::cv_status::timeout) {
            break;
          }
        }
        if (Clock::now() >= next_heartbeat) {
          beat.assign(live_runs_.begin(), live_runs_.end());
          next_heartbeat = Clock::now() + std::chrono::milliseconds(kHeartbeatIntervalMs);
        }
        if (!has_work()) {
          l.unlock();
          WriteHeartbeats(beat);
          continue;
        }
        // Linger to gather a batch, but never past the commit interval.
        work_cv_.wait_for(l, std::chrono::milliseconds(kCommitIntervalMs), [&] {
          return stopping_ || flush_requested_ || queue_.size() >= kBatchMax;
        });
        if (queue_.empty() && stopping_) break;
        flush_requested_ = false;
        size_t n = std::min(queue_.size(), kBatchMax);
        for (size_t i = 0; i < n; ++i) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      space_cv_.notify_all();
      Status s = WriteBatch(batch);
      // A run whose end was just written is finished: no heartbeat over its ended_ms.
      for (int64_t id : ended_) std::erase(beat, id);
      WriteHeartbeats(beat);
      {
        std::lock_guard<std::mutex> l(mu_);
        for (int64_t id : ended_) live_runs_.erase(id);
        ended_.clear();
        committed_ += batch.size();
        if (s.ok()) {
          stats_.records_committed += static_cast<int64_t>(batch.size());
          ++stats_.batches_committed;
        } else if (first_error_.ok()) {
          first_error_ = s;
        }
        // More queued than one batch: keep flushing without lingering.
        if (!queue_.empty()) flush_requested_ = true;
      }
      done_cv_.notify_all();
      batch.clear();
    }
    std::lock_guard<std::mutex> l(mu_);
    writer_dead_ = true;
    done_cv_.notify_all();
  }

  Status WriteBatch(const std::vector<Record>& batch) {
    // An invoke and its completion in the same batch become one INSERT (half the statements on
    // the hot path). completion_of[i] = position of the completion folded into invoke i.
    std::unordered_map<int64_t, size_t> invoke_pos;  // op_index -> position of its invoke
    std::unordered_map<size_t, size_t> completion_of;
    std::vector<bool> folded(batch.size(), false);
    for (size_t i = 0; i < batch.size(); ++i) {
      if (auto* inv = std::get_if<InvokeRec>(&batch[i])) {
        invoke_pos[inv->op.index] = i;
      } else if (auto* c = std::get_if<CompleteRec>(&batch[i])) {
        auto it = invoke_pos.find(c->op_index);
        if (it != invoke_pos.end() && std::get<InvokeRec>(batch[it->second]).run_id == c->run_id &&
            !completion_of.count(it->second)) {
          completion_of[it->second] = i;
          folded[i] = true;
        }
      }
    }
    std::unique_lock<std::mutex> l(db_mu_);
    if (Status s = db_->Exec("BEGIN"); !s.ok()) return s;
    batch_lock_ = &l;
    Status first;
    auto keep = [&](Status s) {
      if (!s.ok() && first.ok()) first = std::move(s);
    };
    // Op rows go kOpsPerInsert to a statement. Rows are keyed (WITHOUT ROWID), so only the order
    // against other writes to the same op matters: pending rows are written before any other
    // record (a second completion of an op updates its row after the row exists).
    std::vector<std::pair<const InvokeRec*, const CompleteRec*>>& ops = ops_scratch_;
    ops.clear();
    auto write_ops = [&] {
      keep(WriteInvokes(ops));
      ops.clear();
    };
    for (size_t i = 0; i < batch.size(); ++i) {
      if (folded[i]) continue;
      if (auto* inv = std::get_if<InvokeRec>(&batch[i])) {
        auto it = completion_of.find(i);
        ops.emplace_back(inv, it == completion_of.end()
                                  ? nullptr
                                  : &std::get<CompleteRec>(batch[it->second]));
        if (ops.size() == kOpsPerInsert) write_ops();
        continue;
      }
      write_ops();
      std::visit([&](const auto& r) { keep(Write(r)); }, batch[i]);
    }
    write_ops();
    batch_lock_ = nullptr;
    Status c = db_->Exec("COMMIT");
    return first.ok() ? c : first;
  }

  // Inside a long record (a run's node events): commits what the batch wrote so far and lets the
  // synchronous calls waiting for the connection in (the next run's CreateRun), then goes on in
  // a new transaction. What is committed is still a prefix of what was recorded.
  Status YieldConnection() {
    if (Status s = db_->Exec("COMMIT"); !s.ok()) return s;
    batch_lock_->unlock();
    batch_lock_->lock();
    return db_->Exec("BEGIN");
  }

  // A failed heartbeat is not a lost record: it is retried at the next interval.
  void WriteHeartbeats(const std::vector<int64_t>& runs) {
    if (runs.empty()) return;
    int64_t now = UnixNowMs();
    std::lock_guard<std::mutex> l(db_mu_);
    for (int64_t id : runs) {
      heartbeat_.Bind(1, id);
      heartbeat_.Bind(2, now);
      (void)heartbeat_.Run();
    }
  }

  Status Write(const InvokeRec& r) { return WriteInvoke(r, nullptr); }

  // Inserts the op row; `c` (may be null) is its completion from the same batch.
  Status WriteInvoke(const InvokeRec& r, const CompleteRec* c) {
    BindOp(insert_op_, 0, r, c);
    return insert_op_.Run();
  }

  // Op rows (each an invoke and, if not null, its completion): full statements of
  // kOpsPerInsert rows, the rest one by one.
  Status WriteInvokes(const std::vector<std::pair<const InvokeRec*, const CompleteRec*>>& ops) {
    if (ops.size() == kOpsPerInsert) {
      for (size_t k = 0; k < ops.size(); ++k) {
        BindOp(insert_ops_, static_cast<int>(k * kOpColumns), *ops[k].first, ops[k].second);
      }
      return insert_ops_.Run();
    }
    for (const auto& [inv, c] : ops) {
      if (Status s = WriteInvoke(*inv, c); !s.ok()) return s;
    }
    return Status::Ok();
  }

  // The kOpColumns parameters p+1 .. p+kOpColumns of an op row (insert_op_'s column order).
  static void BindOp(SqliteStmt& st, int p, const InvokeRec& r, const CompleteRec* c) {
    const checkers::Op& op = r.op;
    st.Bind(p + 1, r.run_id);
    st.Bind(p + 2, op.index);
    st.Bind(p + 3, op.process);
    st.BindStatic(p + 4, FnToText(op.f));
    st.Bind(p + 5, op.key);
    st.Bind(p + 6, c && c->value ? c->value : op.value);
    st.Bind(p + 7, op.expected);
    if (c && !c->elements.empty()) {
      st.Bind(p + 8, nlohmann::json(c->elements).dump());
    } else {
      st.BindNull(p + 8);
    }
    st.Bind(p + 9, op.node);
    st.Bind(p + 10, op.invoke_ns);
    if (c) {
      st.Bind(p + 11, c->complete_ns);
      st.BindStatic(p + 12, OutcomeToText(c->outcome));
      st.Bind(p + 13, c->zxid);
      st.Bind(p + 14, c->error);
    } else {
      for (int k = 11; k <= kOpColumns; ++k) st.BindNull(p + k);
    }
  }

  Status Write(const CompleteRec& c) {
    SqliteStmt& st = complete_op_;
    st.Bind(1, c.run_id);
    st.Bind(2, c.op_index);
    st.Bind(3, c.complete_ns);
    st.Bind(4, std::string(OutcomeToText(c.outcome)));
    st.Bind(5, c.value);
    if (!c.elements.empty()) {
      st.Bind(6, nlohmann::json(c.elements).dump());
    } else {
      st.BindNull(6);
    }
    st.Bind(7, c.zxid);
    st.Bind(8, c.error);
    return st.Run();
  }

  Status Write(const FaultStartRec& r) {
    SqliteStmt& st = insert_fault_;
    st.Bind(1, r.run_id);
    st.Bind(2, r.fault.index);
    st.Bind(3, r.fault.kind);
    st.Bind(4, TargetsJson(r.fault.targets));
    st.Bind(5, r.fault.start_ns);
    st.Bind(6, r.fault.stop_ns);
    st.Bind(7, r.fault.description);
    st.Bind(8, r.fault.detail_json);
    return st.Run();
  }

  Status Write(const FaultStopRec& r) {
    SqliteStmt& st = stop_fault_;
    st.Bind(1, r.run_id);
    st.Bind(2, r.fault_index);
    st.Bind(3, r.stop_ns);
    st.Bind(4, r.detail_json);
    return st.Run();
  }

  Status Write(const RunEndRec& r) {
    ended_.push_back(r.run_id);
    Status first;
    auto keep = [&](Status s) {
      if (!s.ok() && first.ok()) first = std::move(s);
    };
    for (const CheckRecord& c : r.end.checks) keep(WriteCheckRows(*db_, r.run_id, c));
    if (r.end.schedule_json) keep(WriteScheduleRow(*db_, r.run_id, *r.end.schedule_json));
    keep(WriteFinishRow(*db_, r.run_id, r.end.status, r.end.verdict, r.end.summary,
                        r.end.ended_ms));
    return first;
  }

  Status Write(const NodeEventRec& r) { return WriteEvent(r.run_id, r.event); }
  Status Write(const NodeEventsRec& r) {
    size_t i = 0;
    std::vector<std::string>& json = events_json_;  // their capacity is kept from run to run
    json.resize(kEventsPerInsert);
    for (; i + kEventsPerInsert <= r.events.size(); i += kEventsPerInsert) {
      if (i > 0 && i % kEventsPerTransaction == 0) {
        if (Status s = YieldConnection(); !s.ok()) return s;
      }
      SqliteStmt& st = insert_events_;
      for (size_t k = 0; k < kEventsPerInsert; ++k) {
        const checkers::NodeEvent& e = r.events[i + k];
        const int p = static_cast<int>(k * 5);
        e.fields.DumpTo(&json[k]);
        st.Bind(p + 1, r.run_id);
        st.Bind(p + 2, e.node);
        st.Bind(p + 3, e.ts_ms);
        st.BindStatic(p + 4, e.type);
        st.BindStatic(p + 5, json[k]);
      }
      if (Status s = st.Run(); !s.ok()) return s;
    }
    for (; i < r.events.size(); ++i) {
      if (Status s = WriteEvent(r.run_id, r.events[i]); !s.ok()) return s;
    }
    return Status::Ok();
  }
  Status WriteEvent(int64_t run_id, const checkers::NodeEvent& e) {
    SqliteStmt& st = insert_event_;
    st.Bind(1, run_id);
    st.Bind(2, e.node);
    st.Bind(3, e.ts_ms);
    st.Bind(4, e.type);
    e.fields.DumpTo(&json_scratch_);
    st.Bind(5, json_scratch_);
    return st.Run();
  }

  using Clock = std::chrono::steady_clock;
  std::unique_ptr<SqliteDb> db_;
  const bool read_only_;
  bool liveness_columns_ = false;
  bool observation_column_ = false;  // anomalies.observation (read-only stores may predate it)
  bool uid_column_ = false;          // runs.uid (schema 4)
  std::mutex db_mu_;                 // guards db_ and the statements
  SqliteStmt insert_op_, complete_op_, insert_fault_, stop_fault_, insert_event_, heartbeat_;
  SqliteStmt insert_events_;  // kEventsPerInsert rows
  SqliteStmt insert_ops_;     // kOpsPerInsert rows
  static constexpr size_t kOpsPerInsert = 32;
  static constexpr int kOpColumns = 14;
  // SQLite's default bound on parameters per statement is 32766 (999 before 3.32).
  static_assert(kOpsPerInsert * kOpColumns <= 999);
  std::vector<std::pair<const InvokeRec*, const CompleteRec*>> ops_scratch_;  // writer thread
  std::vector<int64_t> ended_;  // writer thread: runs whose RunEndRec the current batch wrote
  std::vector<std::string> events_json_;  // writer thread: a chunk's event JSON
  std::string json_scratch_;              // writer thread: one event's JSON
  static constexpr size_t kEventsPerInsert = 32;
  // A run's events commit in transactions of this many rows (YieldConnection).
  static constexpr size_t kEventsPerTransaction = 2048;
  static_assert(kEventsPerTransaction % kEventsPerInsert == 0);
  std::unique_lock<std::mutex>* batch_lock_ = nullptr;  // writer thread: WriteBatch's hold

  mutable std::mutex mu_;  // guards everything below
  std::condition_variable work_cv_, space_cv_, done_cv_;
  std::deque<Record> queue_;
  uint64_t enqueued_ = 0;
  uint64_t committed_ = 0;
  bool flush_requested_ = false;
  bool stopping_ = false;
  bool writer_dead_ = false;
  Status first_error_;
  StoreStats stats_;
  std::set<int64_t> live_runs_;
  std::thread writer_;
};

HistoryStore::HistoryStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HistoryStore::~HistoryStore() = default;

Result<std::unique_ptr<HistoryStore>> HistoryStore::Open(const std::string& path) {
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  Result<std::unique_ptr<SqliteDb>> db = SqliteDb::Open(path);
  if (!db.ok()) return db.status();
  auto impl = std::make_unique<Impl>(std::move(db).value(), /*read_only=*/false);
  if (Status s = impl->Init(); !s.ok()) return s;
  return std::unique_ptr<HistoryStore>(new HistoryStore(std::move(impl)));
}

Result<std::unique_ptr<HistoryStore>> HistoryStore::OpenExisting(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Status::NotFound(fmt::format(
        "no history store at {} (nothing was recorded there; give --store FILE)", path));
  }
  if (std::filesystem::is_directory(path, ec)) {
    return Status::InvalidArgument(fmt::format("{} is a directory, not a history store", path));
  }
  Result<std::unique_ptr<SqliteDb>> db = SqliteDb::OpenReadOnly(path);
  if (!db.ok()) return db.status();
  auto impl = std::make_unique<Impl>(std::move(db).value(), /*read_only=*/true);
  if (Status s = impl->InitReadOnly(path); !s.ok()) return s;
  return std::unique_ptr<HistoryStore>(new HistoryStore(std::move(impl)));
}

bool HistoryStore::HasLivenessColumns() { return impl_->liveness_columns(); }
bool HistoryStore::HasObservationColumn() { return impl_->observation_column(); }
bool HistoryStore::HasUidColumn() { return impl_->uid_column(); }

void HistoryStore::SetLive(int64_t run_id, bool live) {
  if (live) {
    impl_->AddLiveRun(run_id);
  } else {
    impl_->RemoveLiveRun(run_id);
  }
}

void HistoryStore::RecordInvoke(int64_t run_id, const checkers::Op& op) {
  impl_->Enqueue(InvokeRec{run_id, op});
}

void HistoryStore::RecordCompletion(int64_t run_id, int64_t op_index, checkers::Outcome outcome,
                                    int64_t complete_ns, std::optional<std::string> value,
                                    std::vector<std::string> elements, std::optional<int64_t> zxid,
                                    std::string error) {
  impl_->Enqueue(CompleteRec{run_id, op_index, outcome, complete_ns, std::move(value),
                             std::move(elements), zxid, std::move(error)});
}

void HistoryStore::RecordFaultStart(int64_t run_id, const FaultRecord& fault) {
  impl_->Enqueue(FaultStartRec{run_id, fault});
}

void HistoryStore::RecordFaultStop(int64_t run_id, int64_t fault_index, int64_t stop_ns,
                                   std::string detail_json) {
  impl_->Enqueue(FaultStopRec{run_id, fault_index, stop_ns, std::move(detail_json)});
}

void HistoryStore::RecordNodeEvent(int64_t run_id, const checkers::NodeEvent& event) {
  impl_->Enqueue(NodeEventRec{run_id, event});
}

void HistoryStore::RecordNodeEvents(int64_t run_id, std::vector<checkers::NodeEvent> events) {
  if (!events.empty()) impl_->Enqueue(NodeEventsRec{run_id, std::move(events)});
}

void HistoryStore::RecordRunEnd(int64_t run_id, RunEnd end) {
  impl_->Enqueue(RunEndRec{run_id, std::move(end)});
}

Status HistoryStore::Flush() { return impl_->Flush(); }
std::mutex& HistoryStore::DbMutex() { return impl_->db_mutex(); }
SqliteDb& HistoryStore::Db() { return impl_->db(); }
StoreStats HistoryStore::stats() const { return impl_->stats(); }

std::string GitRevision() {
#ifdef FAULTLINE_SOURCE_DIR
  std::string cmd =
      fmt::format("git -C '{}' rev-parse --short HEAD 2>/dev/null", FAULTLINE_SOURCE_DIR);
  if (FILE* p = popen(cmd.c_str(), "r")) {
    std::array<char, 64> buf{};
    std::string out;
    while (fgets(buf.data(), buf.size(), p)) out += buf.data();
    pclose(p);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    if (!out.empty()) return out;
  }
#endif
  return "unknown";
}

}  // namespace faultline::harness
