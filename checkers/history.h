// The history model every checker reads: a pure value built by an importer (jsonl, Jepsen EDN,
// Porcupine kv, etcd log) or by the harness from its SQLite store. No I/O here.
//
// Semantics (docs/contracts.md section 4, ARCHITECTURE.md "Operation semantics"):
//   - every client op is an invoke then at most one completion: ok (it happened), fail (it
//     certainly did not happen), info (unknown: may take effect at any point after its invoke, or
//     never). An op that never completed ("open") is treated exactly like info.
//   - write values are unique per key within a run, so a read names the write it observed.
//   - times are nanoseconds on one clock (any epoch); only their order matters. When a format has
//     no times, importers use the event's position in the file as its time.
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checkers/field_list.h"

namespace faultline::checkers {

// What the operation does. Which fields of Op are meaningful depends on it (see Op).
enum class Fn {
  kRead,     // register/kv read: value = observed value (nullopt = nil / absent)
  kWrite,    // register/kv write: value = written value
  kCas,      // compare-and-set: expected = from, value = to
  kDelete,   // kv delete: the key becomes absent
  kAdd,      // set add: value = element
  kReadSet,  // set read: elements = every element observed
  kAcquire,  // mutex acquire
  kRelease,  // mutex release
  kTxn,      // multi-register transaction: txn = micro-ops (reads carry their observed values)
  kGet,      // Porcupine kv get: value = observed string
  kPut,      // Porcupine kv put: value = new string
  kAppend,   // Porcupine kv append: value = suffix appended
  // A cas that answered "not swapped" (etcd :fail :cas, zabd CAS -> :0): an observation that the
  // value differed from `expected` at some point in the op; changes nothing. Record it with
  // outcome ok (it is certain); recording it as a fail op is also sound, only weaker.
  kCasMismatch,
};

enum class Outcome { kOk, kFail, kInfo };

std::string_view FnName(Fn f);  // "read", "write", ..., "append"
std::optional<Fn> FnFromName(std::string_view name);
std::string_view OutcomeName(Outcome o);  // "ok", "fail", "info"
// A time in a checker's message, as the console and the report show times: the offset from the
// run's start ("+2.14s") when `origin_ms` (unix ms of the start) is known, else "<ms> ms".
std::string RunTimeText(int64_t ts_ms, int64_t origin_ms);
std::optional<Outcome> OutcomeFromName(std::string_view name);

// One micro-op of a kTxn (Knossos multi-register): read key (value = observed, nullopt = nil) or
// write key value.
struct TxnStep {
  bool is_write = false;
  std::string key;
  std::optional<std::string> value;
};

// Completion time of an op that never completed.
inline constexpr int64_t kOpenNs = std::numeric_limits<int64_t>::max();

// One client operation, invoke and completion folded together.
struct Op {
  int64_t index = 0;    // unique, stable id (position in the source); used to name ops
  int64_t process = 0;  // client/worker id; a process runs one op at a time
  Fn f = Fn::kRead;
  std::string key;  // "" for single-register histories
  // kWrite/kPut/kAppend/kAdd: the value written. kCas: the new value ("to").
  // kRead/kGet, outcome ok: the observed value; nullopt = nil (key absent). Not ok: ignored.
  std::optional<std::string> value;
  std::optional<std::string> expected;  // kCas: the value compared against ("from")
  std::vector<std::string> elements;    // kReadSet, ok: the elements observed
  std::vector<TxnStep> txn;             // kTxn
  int64_t invoke_ns = 0;
  int64_t complete_ns = kOpenNs;  // kOpenNs: never completed (counts as info)
  Outcome outcome = Outcome::kInfo;
  std::optional<int64_t> zxid;  // the zxid a write committed at / a read was served from
  std::optional<int64_t> node;  // the node the client talked to

  bool open() const { return complete_ns == kOpenNs; }
  // True for ops that certainly took effect and whose result is known.
  bool ok() const { return outcome == Outcome::kOk; }
};

// A fault the nemesis applied, [start_ns, stop_ns]; stop_ns = kOpenNs if never healed.
struct Fault {
  std::string kind;              // "kill", "pause", "partition", "delay", "loss", ...
  std::vector<int64_t> targets;  // node ids
  int64_t start_ns = 0;
  int64_t stop_ns = kOpenNs;
  std::string description;  // e.g. "isolate leader 2: {2} | {1,3}"
};

// One line of a node's event log (docs/contracts.md section 3). `fields` is the whole object
// (including ts_ms, node and type) so checkers can read type-specific fields by name.
struct NodeEvent {
  int64_t node = 0;
  int64_t ts_ms = 0;
  std::string type;  // "start", "role", "established", "logged", "committed", "truncate", ...
  FieldList fields;
};

// A field of an event by name: its integer, or `fallback` when it is absent or not an integer;
// its string, or "" when absent or not a string. The one accessor every reader of node-event
// fields uses (the JSON overloads read other JSON objects the same way).
inline int64_t FieldInt(const FieldList& f, std::string_view name, int64_t fallback = -1) {
  return f.Int(name).value_or(fallback);
}
inline std::string FieldStr(const FieldList& f, std::string_view name) { return f.Str(name); }
inline int64_t FieldInt(const nlohmann::json& j, const char* name, int64_t fallback = -1) {
  auto it = j.find(name);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : fallback;
}
inline std::string FieldStr(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Which consistency the run's reads promised (zabd read_mode).
enum class ReadMode { kLinearizable, kSync, kLocal };

struct History {
  std::vector<Op> ops;  // any order; checkers sort as they need
  std::vector<Fault> faults;
  std::vector<NodeEvent> node_events;  // every node's events, any order
  // Metadata (may be empty when imported from a foreign format).
  std::string model;  // suggested model name ("register", "cas-register", "kv", "set", ...)
  ReadMode read_mode = ReadMode::kLinearizable;
  // Value of every key before the first op (nullopt = absent / nil). Porcupine kv: "".
  std::optional<std::string> initial_value;
  std::string source;  // file or run name, for messages
  int64_t origin_ms = 0;  // unix ms of the run's start, for messages (0 = unknown)
};

}  // namespace faultline::checkers
