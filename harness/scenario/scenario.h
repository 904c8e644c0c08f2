// Scenario: a hand-written fault schedule against a real zabd cluster, with expectations
// (docs/scenarios.md is the user's reference for the YAML format; this header is the model).
//
// A scenario is an ordered list of steps. Nodes are named by selectors that are resolved when the
// step runs (the resolution is recorded for the narrative):
//   leader                 the node answering ROLE `leading` (highest epoch if two claim it)
//   followers              every started node except the leader (running or paused), by id
//   follower               followers[0]
//   followers[i]           the i-th follower by id, 0-based
//   n1 .. n9               a node by id
//   highest-zxid           the running node with the highest ROLE last_zxid (ties: highest id)
//   minority-with-leader   the leader plus the first (N-1)/2 - 1 followers: (N-1)/2 nodes
//   all                    every node
//   <Binding>              nodes bound by an earlier step's `as:` or a `bind` step; binding names
//                          start with an upper-case letter (L, F1, OldLeader)
// A selector is one of these or a YAML list of them (union).
//
// Parsing is pure (no cluster): ParseScenario validates the structure, selector syntax, that each
// binding and op name is defined before use, that write values are unique per key, and that
// expectations name existing ops. Errors name the step: "file.yaml:14: step 5 (wait): ...".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "harness/spec/test_spec.h"

namespace faultline::harness::scenario {

// Raw selector terms, validated but unresolved. `text` is the source form for messages.
struct Selector {
  std::vector<std::string> terms;
  std::string text;
  bool empty() const { return terms.empty(); }
};

enum class StepKind {
  kWrite,      // SET key value
  kRead,       // GET key
  kCas,        // CAS key expected value
  kBind,       // resolve selectors into bindings, no action
  kCut,        // both directions between `from` and `to`
  kCutOneWay,  // packets from `from` to `to` dropped
  kDelay,      // proxy delay on links from `from` to `to`
  kHeal,       // remove every cut and delay
  kKill,
  kPause,
  kResume,
  kRestart,  // kill (if live) then start, same data
  kStart,
  kWait,
  kSleep,   // fixed pause in ms (discouraged: prefer a wait on a condition)
  kExpect,  // evaluated after the settle phase, whatever its position
};

enum class ConditionKind {
  kLogged,            // node's event log has a `logged` range containing op's zxid
  kLeaderEpochAbove,  // some running node is leading in broadcast with epoch > bound
  kAgree,             // every running node in broadcast, same last_committed and state digest
  kRole,              // node reports ROLE role (and phase, if given)
  kEvent,             // node logged an event of a type since the previous non-wait step began
};

struct Condition {
  ConditionKind kind = ConditionKind::kAgree;
  Selector node;
  std::string op;     // kLogged
  std::string epoch;  // kLeaderEpochAbove: a number, "start" or "current"
  std::string role;   // kRole: leading | following | looking
  std::string phase;  // kRole, optional
  std::string event;  // kEvent: an event type (docs/contracts.md section 3)
};

enum class ExpectKind {
  kOp,            // op kept / lost / either on every node after the settle phase
  kLinearizable,  // the scenario's ops (minus local/sync reads) are linearizable
  kSync,          // the last sync_decision for a node during the steps has a given mode/range
  kInvariants,    // CheckZabInvariants over every node's event log
  kAckedKept,     // no ok write is missing from any node's final state
  kRead,          // a read observed the latest ok write (fresh), an older one (stale), or either
};

struct Expectation {
  ExpectKind kind = ExpectKind::kInvariants;
  std::string op;                  // kOp, kRead
  std::string outcome;             // kOp: kept | lost | either; kRead: fresh | stale | either
  Selector node;                   // kSync
  std::vector<std::string> modes;  // kSync: any of (DIFF, TRUNC, TRUNC+DIFF, SNAP)
  std::string first_op, last_op;   // kSync: the decision must send at least [first, last]
};

struct Step {
  int index = 0;  // 1-based position in `steps`
  int line = 0;   // 1-based line in the file
  StepKind kind = StepKind::kHeal;
  std::string text;  // the step as written (one line), for the narrative

  // Ops.
  std::string name;  // w1, r1, ...
  std::string key = "x";
  std::string value;      // write/cas: the value written
  std::string expected;   // cas
  bool wait = true;       // wait for the reply before the next step
  int timeout_ms = 0;     // op: client timeout; wait: condition timeout (0 = scenario default)
  std::string read_mode;  // read: linearizable | sync | local ("" = server default)

  // Node selection: op target / kill..start targets (`nodes`), links (`from` -> `to`).
  Selector nodes;
  Selector from, to;
  std::string bind_as;  // `as:` binding for nodes (or from, for cuts)
  std::vector<std::pair<std::string, Selector>> bindings;  // kBind
  int delay_ms = 0;                                        // kDelay
  int sleep_ms = 0;                                        // kSleep

  Condition condition;      // kWait
  Expectation expectation;  // kExpect
};

struct Scenario {
  std::string name;
  std::string question;  // the data-loss question it answers
  std::string answer;    // the expected answer, prose
  std::string source;    // file name, for messages
  std::string text;      // the file's text, stored with the run
  // `system: {kind, nodes, read_mode, ...}` when the file has that section; older files describe
  // a zabd cluster with the top-level keys below (nodes, tick_time_ms, ... zabd_flags).
  bool has_system_section = false;
  SystemSpec system;
  NetMode net = NetMode::kProxy;  // `net:` proxy (default) | iptables | auto
  int nodes = 3;                  // = system.nodes when the section is there
  int tick_time_ms = 50;
  int init_limit = 10;
  int sync_limit = 5;
  std::string read_mode = "linearizable";
  int default_timeout_ms = 5000;  // waits and role resolution
  int op_timeout_ms = 2000;       // client ops
  bool final_restart = true;      // settle phase restarts every node before the final reads
  // Extra zabd arguments for every node, e.g. {"--fault", "zk-1154"}: run a scenario against a
  // zabd that re-creates a ZooKeeper bug to prove the expectations catch it.
  std::vector<std::string> zabd_flags;
  std::vector<Step> steps;

  const Step* FindOp(const std::string& op_name) const;  // nullptr when no such op
};

// Parses and validates. InvalidArgument "<source>:<line>: step <i> (<kind>): <what>" or
// "<source>:<line>: <key>: <what>" for top-level keys.
Result<Scenario> ParseScenario(const std::string& text, const std::string& source);
Result<Scenario> LoadScenarioFile(const std::string& path);

std::string_view StepKindName(StepKind kind);  // "write", "cut-oneway", ...

}  // namespace faultline::harness::scenario
