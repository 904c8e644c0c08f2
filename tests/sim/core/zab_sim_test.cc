// zab_sim_test: many seeds of a 3- or 5-node cluster under faults (zab.md 7, 10).
//
// Every node runs zabd's own executor and storage: runtime::NodeRuntime over storage::Storage on
// a crashable MemEnv (server/core/testing/sim_node.h), so a crash loses exactly what the real
// storage had not fsynced and restarts go through the real recovery.
// Each seed draws its own fault mix, runs a SAFETY phase (client writes; drops, delays, one- and
// two-way partitions, crash/restart, crashes part-way through a batch's storage calls, failing
// disks) and
// then a LIVENESS phase (heal, restart all) where a leader must be elected and a write commit.
// Oracles, checked on every Output and at the end:
//  * no storage rule broken (append above the last zxid, no same-epoch gap);
//  * no node is taken below a zxid it committed by a SNAP or TRUNC (monotonicRead, zab.md 7.2);
//  * a linearizable read reports a state at or past every write acknowledged before it was
//    submitted;
//  * at most one established leader per epoch;
//  * committed txns agree across nodes zxid by zxid (total order / prefix agreement);
//  * every acknowledged write is committed at its zxid with its value, and present on every node
//    after heal (no acknowledged write lost); replicas converge to the same digest.
// The *Late* tests add late packets (testing/cluster.h): stale-epoch packets that surface behind
// a newer epoch's first packet, which only the epoch fences (zab.md 7.3 rule 7) stop.
// Replay one seed: ZAB_SIM_SEED=<seed> ZAB_SIM_NODES=<3|5> tests/zab_sim_test [--gtest_filter=..]
// More seeds: ZAB_SIM_SEEDS=<count per size>, starting at ZAB_SIM_FIRST_SEED (default 1).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>

#include "server/core/testing/cluster.h"

namespace zab {
namespace {

using testing::Cluster;
using testing::EventsOf;

struct AckedWrite {
  uint64_t node, request_id;
  kv::Op op;
  Zxid zxid;
};

class Sim {
 public:
  // `faults`: named fault points (peer.h KnownFaults) enabled on every node; none by default.
  // `late`: the network also holds packets back and delivers them long after, across reconnects
  // and restarts (testing/cluster.h "Late packets"), so stale-epoch packets reach nodes that
  // moved on (zab.md 7.3 rule 7).
  Sim(uint64_t seed, size_t n, std::set<std::string> faults = {}, bool late = false)
      : seed_(seed),
        n_(n),
        late_(late),
        c_(n, MakeConfig(seed, std::move(faults)), seed, StorageOptions(seed)) {
    c_.on_output = [this](uint64_t id, const Input&, const Output& out) { Check(id, out); };
  }

  static Config MakeConfig(uint64_t seed, std::set<std::string> faults) {
    Config cfg;
    cfg.faults = std::move(faults);
    cfg.tick_time_ms = 100;
    cfg.init_limit_ticks = 10;
    cfg.sync_limit_ticks = 5;
    cfg.snapshot_every_commits = 40 + seed % 50;     // snapshots happen
    cfg.committed_log_entries_min = 10 + seed % 20;  // small DIFF window: SNAP happens
    if (seed % 7 == 0) cfg.counter_max = 25;         // ZOOKEEPER-1277: forced new epochs
    return cfg;
  }

  // Every node runs the real storage (server/core/testing/sim_node.h); a third of the seeds use
  // tiny log segments and keep one snapshot, so segments roll and compaction drops them.
  static storage::Options StorageOptions(uint64_t seed) {
    storage::Options o;
    if (seed % 3 == 0) {
      o.segment_bytes_max = 2048;
      o.snapshots_retained = 1;
    }
    return o;
  }

  std::string Run() {
    std::mt19937_64& rng = c_.rng();
    auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
    const double drop[] = {0, 0.005, 0.03};
    const uint64_t delay[] = {0, 15, 60};
    c_.net().drop_probability = drop[rng() % 3];
    c_.net().delay_ms_max = delay[rng() % 3];
    const double crash_p = (rng() % 2) ? 0.004 : 0.0015;
    // Half the seeds run the driver's group commit: a node's Outputs between two delivery
    // rounds share one fsync, and a crash loses all of them.
    const bool group_commit = rng() % 2 == 0;
    c_.set_group_commit(group_commit);
    const double part_p = (rng() % 2) ? 0.004 : 0.001;
    if (late_) {
      const double late[] = {0.02, 0.05, 0.1};
      c_.net().late_probability = late[rng() % 3];
    }

    // Safety phase: 20 s of logical time under faults.
    for (int step = 0; step < 2000 && failure_.empty(); ++step) {
      c_.RunFor(10);
      uint64_t id = 1 + rng() % n_;
      if (c_.up(id) && chance(0.4)) Submit(id);
      if (c_.up(id) && chance(0.05)) {
        Read(id, "k" + std::to_string(rng() % 4), static_cast<ReadMode>(rng() % 3));
      }
      if (chance(crash_p)) {
        uint64_t v = 1 + rng() % n_;
        if (c_.up(v)) {
          // Half the crashes hit between an Output's storage ops and its fsync.
          if (chance(0.5)) {
            c_.StepAndCrash(v, Tick{c_.now_ms()});
          } else {
            c_.Crash(v);
          }
        }
      }
      if (chance(crash_p / 4)) {
        // A broken disk (EIO on fsync, ZOOKEEPER-4882's class): the node stops, as zabd exits 3.
        uint64_t v = 1 + rng() % n_;
        if (c_.up(v)) c_.FailDisk(v);
      }
      for (uint64_t v = 1; v <= n_; ++v) {
        if (!c_.up(v) && chance(0.01)) Restart(v);
      }
      if (chance(part_p)) c_.Isolate(1 + rng() % n_);
      if (chance(part_p)) {
        uint64_t a = 1 + rng() % n_, b = 1 + rng() % n_;
        if (a != b) c_.Block(a, b);  // one-way
      }
      if (chance(0.004)) c_.HealAll();
    }
    if (!failure_.empty()) return failure_;

    // Liveness phase: heal everything, restart everyone, no loss.
    c_.set_group_commit(false);
    c_.FlushAll();
    c_.HealAll();
    c_.net().drop_probability = 0;
    c_.net().late_probability = 0;  // what is already held back may still arrive
    for (uint64_t v = 1; v <= n_; ++v) {
      if (c_.up(v) && c_.disk_failing(v)) c_.Crash(v);  // the operator replaces the broken disk
      if (!c_.up(v)) Restart(v);
    }
    if (!c_.violations.empty()) return c_.violations.front();
    auto all_serving = [&] {
      auto l = c_.Leader();
      if (!l) return false;
      for (uint64_t v = 1; v <= n_; ++v) {
        if (!c_.up(v)) return false;
        Status s = c_.peer(v).status();
        if (s.phase != Phase::kBroadcast || s.leader != PeerId{*l}) return false;
      }
      return true;
    };
    // Leadership may still change once while stale timeouts play out: retry a few times.
    std::optional<ClientReply> final_reply;
    uint64_t l = 0;
    for (int attempt = 0; attempt < 5 && !(final_reply && final_reply->status == ReplyStatus::kOk);
         ++attempt) {
      // zab.md 9d.1: a node that accepted a newer epoch from a prospective leader that failed
      // cannot join the epoch a quorum established without it; ZooKeeper admits it only at the
      // next epoch. The sim's operator restarts the leader to force one.
      bool serving = c_.RunUntil(all_serving, 20000);
      for (int kick = 0; !serving && kick < 3; ++kick) {
        auto lead = c_.Leader();
        if (!lead) break;
        bool locked_out = false;
        for (uint64_t v = 1; v <= n_; ++v) {
          if (!c_.up(v)) continue;
          locked_out |= c_.peer(v).status().accepted_epoch > c_.peer(*lead).status().current_epoch;
        }
        if (!locked_out) break;
        stats_["liveness: leader restarted to admit a locked-out node"]++;
        c_.Crash(*lead);
        Restart(*lead);
        serving = c_.RunUntil(all_serving, 20000);
      }
      if (!serving) return "liveness: no stable leader after heal";
      l = *c_.Leader();
      uint64_t rid = c_.Write(l, testing::SetOp("final", "done" + std::to_string(attempt)));
      c_.RunUntil([&] { return c_.ReplyFor(l, rid).has_value(); }, 10000);
      final_reply = c_.ReplyFor(l, rid);
    }
    if (!final_reply || final_reply->status != ReplyStatus::kOk) {
      return "liveness: the final write did not commit";
    }
    Zxid final_zxid = final_reply->zxid;
    auto converged = [&] {
      for (uint64_t v = 1; v <= n_; ++v) {
        if (!c_.up(v)) return false;
        Status s = c_.peer(v).status();
        if (s.phase != Phase::kBroadcast || s.last_applied < final_zxid ||
            s.last_applied != c_.peer(l).status().last_applied) {
          return false;
        }
      }
      return true;
    };
    if (!c_.violations.empty()) return c_.violations.front();
    if (!c_.RunUntil(converged, 10000)) return "liveness: replicas did not converge";
    if (!failure_.empty()) return failure_;
    for (uint64_t v = 2; v <= n_; ++v) {
      if (c_.peer(v).StateDigest() != c_.peer(1).StateDigest()) {
        std::string d;
        for (uint64_t u = 1; u <= n_; ++u) {
          d += " n" + std::to_string(u) + ":" + ToHex(c_.peer(u).status().last_applied);
          for (int k = 0; k < 4; ++k) {
            d += "," + c_.peer(u).LocalGet("k" + std::to_string(k)).value_or("-");
          }
        }
        return "replicas 1 and " + std::to_string(v) + " differ at " + ToHex(final_zxid) + d;
      }
    }
    // No acknowledged write lost.
    for (const AckedWrite& w : acked_) {
      auto it = committed_.find(w.zxid.value);
      if (it == committed_.end() || it->second.op != w.op) {
        return "acknowledged write lost: node " + std::to_string(w.node) + " request " +
               std::to_string(w.request_id) + " at " + ToHex(w.zxid);
      }
    }
    for (uint64_t v = 1; v <= n_; ++v) {
      for (const auto& [z, txn] : committed_) {
        if (z > installed_upto_[v] && z <= final_zxid.value && !node_committed_[v].count(z)) {
          return "node " + std::to_string(v) + " never committed " + ToHex(Zxid{z});
        }
      }
    }
    if (!c_.violations.empty()) return c_.violations.front();
    return "";
  }

  size_t acked() const { return acked_.size(); }
  uint64_t late_delivered() const { return c_.late_delivered(); }
  const std::map<std::string, uint64_t>& stats() const { return stats_; }

 private:
  void Restart(uint64_t id) {
    last_committed_[id] = 0;  // a new incarnation re-applies its log from its snapshot
    // What the new incarnation's log holds: read back from its disk once (real recovery), then
    // followed through the storage ops of its Outputs (Track).
    logged_[id].clear();
    for (const Txn& t : c_.durable(id).log) logged_[id][t.zxid.value] = t;
    c_.Restart(id);
  }

  // Follows a node's log through the storage ops of its executed Outputs (they are durable once
  // on_output sees them): the txns a `committed` range names.
  void Track(uint64_t id, const Output& out) {
    std::map<uint64_t, Txn>& log = logged_[id];
    for (const StorageOp& op : out.storage) {
      if (const auto* a = std::get_if<AppendTxn>(&op)) {
        log[a->txn.zxid.value] = a->txn;
      } else if (const auto* t = std::get_if<TruncateLog>(&op)) {
        log.erase(log.upper_bound(t->keep_up_to.value), log.end());
      } else if (std::holds_alternative<InstallSnapshot>(op)) {
        log.clear();
      }
    }
  }

  // A linearizable read must see every write acknowledged before it was submitted: the state
  // it reports reading is at or past that write's zxid. (Its value is not checked against the
  // sim's committed map, which misses txns that reached the history only inside a SNAP.)
  void Read(uint64_t id, std::string key, ReadMode mode) {
    const uint64_t floor = max_acked_zxid_;
    uint64_t rid = c_.Read(id, key, mode);
    if (mode == ReadMode::kLinearizable) lin_reads_[{id, rid}] = LinRead{std::move(key), floor};
  }

  void Submit(uint64_t id) {
    kv::Op op = testing::SetOp("k" + std::to_string(c_.rng()() % 4), "v" + std::to_string(next_++));
    uint64_t rid = c_.Write(id, op);
    submitted_[{id, rid}] = op;
  }

  void Fail(const std::string& why) {
    if (failure_.empty()) failure_ = why;
  }

  static std::string StrField(const Event& e, const std::string& name) {
    for (const auto& [k, v] : e.fields) {
      if (k == name) {
        if (const auto* s = std::get_if<std::string>(&v)) return *s;
      }
    }
    return "";
  }

  static uint64_t U(const Event& e, const std::string& name) {
    for (const auto& [k, v] : e.fields) {
      if (k == name) {
        if (const auto* u = std::get_if<uint64_t>(&v)) return *u;
        if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<uint64_t>(*i);
      }
    }
    return 0;
  }

  static std::string Describe(const Event& e) {
    std::ostringstream os;
    os << e.type;
    for (const auto& [k, v] : e.fields) {
      os << " " << k << "=";
      std::visit([&](const auto& x) { os << x; }, v);
    }
    return os.str();
  }

  void Check(uint64_t id, const Output& out) {
    Track(id, out);
    for (const Event& e : out.events) {
      std::string key = e.type;
      if (e.type == "sync_decision" || e.type == "step_down") {
        for (const auto& [k, v] : e.fields) {
          if (k == "mode") key += ":" + std::get<std::string>(v);
          if (k == "reason") {
            const std::string& r = std::get<std::string>(v);
            key += ":" + r.substr(0, r.find_first_of("0123456789"));
          }
        }
      }
      stats_[key]++;
    }
    if (trace_) {
      for (const Event& e : out.events) {
        std::fprintf(stderr, "t=%llu n%llu %s\n", (unsigned long long)c_.now_ms(),
                     (unsigned long long)id, Describe(e).c_str());
      }
      for (const StorageOp& op : out.storage) {
        if (const auto* t = std::get_if<TruncateLog>(&op)) {
          std::fprintf(stderr, "t=%llu n%llu  TruncateLog %s\n", (unsigned long long)c_.now_ms(),
                       (unsigned long long)id, ToHex(t->keep_up_to).c_str());
        }
      }
    }
    if (!c_.violations.empty()) Fail(c_.violations.front());
    for (const Event& e : out.events) {
      if (e.type == "role" && StrField(e, "role") == "looking") last_committed_[id] = 0;
      if (e.type == "established") {
        auto [it, fresh] = established_.emplace(U(e, "epoch"), id);
        if (!fresh && it->second != id) {
          Fail("two established leaders in epoch " + std::to_string(U(e, "epoch")));
        }
      } else if (e.type == "snapshot_installed" || e.type == "truncate") {
        // monotonicRead per node (zab.md 7.2): a SNAP or TRUNC comes from a leader whose history
        // holds every committed txn, so it never takes a node below what it committed.
        const bool snap = e.type == "snapshot_installed";
        const uint64_t to = snap ? U(e, "zxid") : U(e, "keep_up_to");
        if (to < max_committed_[id]) {
          Fail("node " + std::to_string(id) + (snap ? " installed a SNAP at " : " truncated to ") +
               ToHex(Zxid{to}) + " below its committed " + ToHex(Zxid{max_committed_[id]}));
        }
        if (snap) installed_upto_[id] = std::max(installed_upto_[id], to);
      } else if (e.type == "committed") {
        uint64_t first = U(e, "first"), last = U(e, "last"), count = 0;
        // 7.3 rule 8: each node commits in zxid order (reset when it leaves its leader).
        if (first <= last_committed_[id]) {
          Fail("node " + std::to_string(id) + " committed " + ToHex(Zxid{first}) + " after " +
               ToHex(Zxid{last_committed_[id]}));
        }
        last_committed_[id] = last;
        max_committed_[id] = std::max(max_committed_[id], last);
        const std::map<uint64_t, Txn>& log = logged_[id];
        for (auto lit = log.lower_bound(first); lit != log.end() && lit->first <= last; ++lit) {
          const Txn& t = lit->second;
          count++;
          node_committed_[id].insert(t.zxid.value);
          auto [it, fresh] = committed_.emplace(t.zxid.value, t);
          if (!fresh && !(it->second.op == t.op && it->second.origin == t.origin)) {
            Fail("node " + std::to_string(id) + " committed a different txn at " + ToHex(t.zxid));
          }
        }
        if (count != U(e, "count")) {
          Fail("node " + std::to_string(id) + ": committed event count mismatch at " +
               ToHex(Zxid{first}));
        }
      }
    }
    for (const StorageOp& op : out.storage) {
      // 7.3 rule 5: a snapshot holds committed state only (checked after this Output's
      // committed events).
      if (const auto* w = std::get_if<WriteSnapshot>(&op)) {
        if (w->zxid.value != 0 && !committed_.count(w->zxid.value)) {
          Fail("node " + std::to_string(id) + " snapshotted uncommitted " + ToHex(w->zxid));
        }
      }
    }
    for (const ClientReply& r : out.replies) {
      if (auto lr = lin_reads_.find({id, r.request_id}); lr != lin_reads_.end()) {
        if (r.status == ReplyStatus::kOk) {
          if (r.zxid.value < lr->second.floor) {
            Fail("node " + std::to_string(id) + ": linearizable read of " + lr->second.key +
                 " at " + ToHex(r.zxid) + " misses the write acknowledged at " +
                 ToHex(Zxid{lr->second.floor}) + " before it was submitted");
          }
        }
        lin_reads_.erase(lr);
        continue;
      }
      auto it = submitted_.find({id, r.request_id});
      if (it == submitted_.end() || r.status != ReplyStatus::kOk) continue;
      acked_.push_back(AckedWrite{id, r.request_id, it->second, r.zxid});
      max_acked_zxid_ = std::max(max_acked_zxid_, r.zxid.value);
      auto c = committed_.find(r.zxid.value);
      if (c == committed_.end() || c->second.op != it->second) {
        Fail("write acknowledged at " + ToHex(r.zxid) + " but not committed there");
      }
    }
  }

  uint64_t seed_;
  size_t n_;
  bool late_;
  bool trace_ = std::getenv("ZAB_SIM_TRACE") != nullptr;
  std::map<std::string, uint64_t> stats_;  // event type (sync mode, step-down reason) -> count
  Cluster c_;
  uint64_t next_ = 0;
  std::string failure_;
  std::map<std::pair<uint64_t, uint64_t>, kv::Op> submitted_;
  struct LinRead {
    std::string key;
    uint64_t floor = 0;  // highest acknowledged write zxid when the read was submitted
  };
  std::map<std::pair<uint64_t, uint64_t>, LinRead> lin_reads_;
  uint64_t max_acked_zxid_ = 0;
  std::vector<AckedWrite> acked_;
  std::map<uint64_t, Txn> committed_;  // zxid -> txn, agreed by every node
  std::map<uint64_t, std::set<uint64_t>> node_committed_;
  std::map<uint64_t, uint64_t> installed_upto_;
  std::map<uint64_t, uint64_t> established_;            // epoch -> leader
  std::map<uint64_t, uint64_t> last_committed_;         // node -> last committed zxid while serving
  std::map<uint64_t, uint64_t> max_committed_;          // node -> highest zxid it ever committed
  std::map<uint64_t, std::map<uint64_t, Txn>> logged_;  // node -> its log (Track)
};

uint64_t EnvOr(const char* name, uint64_t dflt) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : dflt;
}

void RunSeeds(size_t n, uint64_t count, bool late = false) {
  const char* replay_filter = late ? "--gtest_filter='*Late*'" : "--gtest_filter='-*Late*'";
  if (const char* one = std::getenv("ZAB_SIM_SEED")) {
    if (EnvOr("ZAB_SIM_NODES", n) != n) GTEST_SKIP();
    uint64_t seed = std::strtoull(one, nullptr, 10);
    std::string f = Sim(seed, n, {}, late).Run();
    EXPECT_EQ(f, "") << "seed " << seed << " nodes " << n << (late ? " (late packets)" : "");
    return;
  }
  size_t total_acked = 0;
  uint64_t late_delivered = 0;
  std::map<std::string, uint64_t> stats;
  const uint64_t first = EnvOr("ZAB_SIM_FIRST_SEED", 1);
  for (uint64_t seed = first; seed < first + count; ++seed) {
    Sim sim(seed, n, {}, late);
    std::string f = sim.Run();
    total_acked += sim.acked();
    late_delivered += sim.late_delivered();
    for (const auto& [k, v] : sim.stats()) stats[k] += v;
    ASSERT_EQ(f, "") << "replay: ZAB_SIM_SEED=" << seed << " ZAB_SIM_NODES=" << n
                     << " tests/zab_sim_test " << replay_filter;
  }
  EXPECT_GT(total_acked, count) << "the runs should acknowledge writes";
  if (late) {
    EXPECT_GT(late_delivered, count) << "late packets should be delivered";
  }
  // What the seeds exercised (so a reader can see the fault mix is not idle).
  std::fprintf(stderr, "%zu nodes, %llu seeds: %zu acknowledged writes, %llu late packets\n", n,
               static_cast<unsigned long long>(count), total_acked,
               static_cast<unsigned long long>(late_delivered));
  for (const auto& [k, v] : stats) {
    if (k != "logged" && k != "committed" && k != "vote") {
      std::fprintf(stderr, "  %-40s %llu\n", k.c_str(), static_cast<unsigned long long>(v));
    }
  }
  EXPECT_GT(stats["sync_decision:SNAP"], 0u);
  EXPECT_GT(stats["sync_decision:TRUNC"] + stats["sync_decision:TRUNC+DIFF"], 0u);
}

TEST(ZabSim, ThreeNodesKeepEveryAcknowledgedWriteUnderFaults) {
  RunSeeds(3, EnvOr("ZAB_SIM_SEEDS", 150));
}

TEST(ZabSim, FiveNodesKeepEveryAcknowledgedWriteUnderFaults) {
  RunSeeds(5, EnvOr("ZAB_SIM_SEEDS", 100));
}

// The same fault mix plus late packets: stale-epoch PROPOSAL / COMMIT / ACK / sync packets
// arrive after reconnects and restarts (zab.md 7.3 rule 7).
TEST(ZabSim, ThreeNodesKeepEveryAcknowledgedWriteWhenOldPacketsArriveLate) {
  RunSeeds(3, EnvOr("ZAB_SIM_SEEDS", 150), true);
}

TEST(ZabSim, FiveNodesKeepEveryAcknowledgedWriteWhenOldPacketsArriveLate) {
  RunSeeds(5, EnvOr("ZAB_SIM_SEEDS", 100), true);
}

// The oracles must catch a re-created ZooKeeper bug (zab.md 8: "every bug in section 8 can be
// re-enabled as a named fault point so the harness can prove it catches it"). Runs seeds until
// one fails; the failure must name a safety violation (not liveness).
// Issue 8: "elections at cluster start sometimes take several init_limit rounds; a fresh 3-node
// cluster must elect and serve within 2 tick-rounds of all nodes being up". For every start
// order, spacing and network seed (logical time, the real runtime over MemEnv): every node
// serves within 2 ticks of the last one starting, after one election and no step-down. Before
// the fix it took 3 ticks (the FOLLOWERINFO sent to a leader still LOOKING waited a tick, a
// vote broadcast while a peer was down waited for a backed-off resend, and every decision
// waited finalizeWait).
TEST(ZabSim, AFreshThreeNodeClusterServesWithinTwoTicksOfItsLastNodeStarting) {
  Config cfg;
  cfg.tick_time_ms = 50;
  const std::vector<std::vector<uint64_t>> orders = {{1, 2, 3}, {1, 3, 2}, {2, 1, 3},
                                                     {2, 3, 1}, {3, 1, 2}, {3, 2, 1}};
  int starts = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    for (uint64_t gap : {0, 10, 30, 60, 120, 300}) {
      for (const auto& order : orders) {
        SCOPED_TRACE("seed " + std::to_string(seed) + " gap " + std::to_string(gap) + " order " +
                     std::to_string(order[0]) + std::to_string(order[1]) +
                     std::to_string(order[2]));
        Cluster c(3, cfg, seed);
        for (uint64_t id = 1; id <= 3; ++id) c.Crash(id);  // none has started yet
        for (size_t i = 0; i < order.size(); ++i) {
          if (i > 0) c.RunFor(gap, 1);
          c.Restart(order[i]);
        }
        const uint64_t last_up = c.now_ms();
        auto all_serving = [&] {
          auto l = c.Leader();
          if (!l) return false;
          for (uint64_t v = 1; v <= 3; ++v) {
            Status s = c.peer(v).status();
            if (s.phase != Phase::kBroadcast || s.leader != PeerId{*l}) return false;
          }
          return true;
        };
        ASSERT_TRUE(c.RunUntil(all_serving, 5000, 1));
        ASSERT_LE(c.now_ms() - last_up, 2 * cfg.tick_time_ms);
        for (uint64_t v = 1; v <= 3; ++v) {
          ASSERT_EQ(EventsOf(c, v, "elected").size(), 1u) << "node " << v;
          ASSERT_TRUE(EventsOf(c, v, "step_down").empty()) << "node " << v;
        }
        ASSERT_TRUE(c.violations.empty()) << c.violations.front();
        ++starts;
      }
    }
  }
  EXPECT_EQ(starts, 20 * 6 * 6);
}

void ExpectCaught(const std::string& fault, size_t n, uint64_t max_seeds, bool late = false) {
  for (uint64_t seed = 1; seed <= max_seeds; ++seed) {
    std::string f = Sim(seed, n, {fault}, late).Run();
    if (f.empty()) continue;
    std::fprintf(stderr, "%s caught at seed %llu (%zu nodes): %s\n", fault.c_str(),
                 static_cast<unsigned long long>(seed), n, f.c_str());
    EXPECT_EQ(f.rfind("liveness", 0), std::string::npos) << f;
    return;
  }
  ADD_FAILURE() << fault << ": no oracle fired in " << max_seeds << " seeds";
}

TEST(ZabSim, SimCatchesZk1154WithinFiftySeeds) { ExpectCaught("zk-1154", 3, 50); }

// The hidden tail stays in the log inside a committed range (first at seed 3 when written; 14 on
// the real storage).
TEST(ZabSim, SimCatchesZk2845WithinTwoHundredSeeds) { ExpectCaught("zk-2845", 3, 200); }

// A crash after the NEWLEADER ACK and before UPTODATE (first at seed 12 when written; at seed
// 120 since elections got faster (PeerConnected, no finalizeWait once every vote is in), which
// narrowed the window; the per-node monotonic oracle names it: a TRUNC below what the node
// committed).
TEST(ZabSim, SimCatchesZk3911WithinTwoHundredSeeds) { ExpectCaught("zk-3911", 3, 200); }

// zk-4643: with late packets the per-node monotonic oracle sees it at seed 2 (3 nodes) and 171
// (5 nodes) when written (29 once the nodes ran on the real storage). With FIFO links it needs a
// crash between the currentEpoch write and the history's log write of one NEWLEADER batch,
// which the sim makes since it crashes part-way through a batch's storage calls (first at seed
// 713 of 3 nodes, by hand; before, 300 seeds missed it). Since a decided peer sends its vote
// when a link comes up (peer.cc OnPeerConnected, issue 8 election speed) the schedules differ:
// first at seed 73 (it was under 50 before).
TEST(ZabSim, SimCatchesZk4643WhenOldPacketsArriveLateWithinAHundredSeeds) {
  ExpectCaught("zk-4643", 3, 100, true);
}
// The linearizable-read oracle (first at seed 1 when written).
TEST(ZabSim, SimCatchesLocalReadAsLinearizableWithinFiftySeeds) {
  ExpectCaught("local-read-as-linearizable", 3, 50);
}
// The fault points of the classic mistakes the sim's oracles see (first seed when written:
// snapshot-uncommitted-tail 17, commit-without-quorum 3, vote-ignores-zxid 6, ack-before-fsync
// 1). no-epoch-fence and forget-accepted-epoch are left to faults_test and the real-process
// harness (300 seeds of 3 and 5 nodes, with late packets too, miss them: the fault point lets
// stale PROPOSAL/COMMIT through only in BROADCAST, where the zxid/prev checks still stop them;
// the rule-7 fences themselves are shown by ZabRules.Rule7AStale* and the *Late* sims).
// snapshot-uncommitted-tail: first at seed 113 since a follower sends one ACK per fsync and a
// leader one COMMIT per follower per batch (issue 8, NodeRuntime coalesce_cumulative_messages):
// fewer messages, other schedules.
TEST(ZabSim, SimCatchesSnapshotUncommittedTailWithinOneHundredFiftySeeds) {
  ExpectCaught("snapshot-uncommitted-tail", 3, 150);
}
TEST(ZabSim, SimCatchesCommitWithoutQuorumWithinFiftySeeds) {
  ExpectCaught("commit-without-quorum", 3, 50);
}
TEST(ZabSim, SimCatchesVoteIgnoresZxidWithinFiftySeeds) {
  ExpectCaught("vote-ignores-zxid", 3, 50);
}
TEST(ZabSim, SimCatchesAckBeforeFsyncWithinFiftySeeds) { ExpectCaught("ack-before-fsync", 3, 50); }

}  // namespace
}  // namespace zab
