#include "server/core/testing/cluster.h"

#include <algorithm>
#include <cassert>

namespace zab::testing {

kv::Op SetOp(std::string key, std::string value) {
  return kv::Op{kv::OpType::kSet, std::move(key), std::move(value), ""};
}

Txn MakeTxn(uint32_t epoch, uint32_t counter) {
  return Txn{Zxid::Make(Epoch{epoch}, counter), Origin{},
             SetOp("k", "e" + std::to_string(epoch) + "." + std::to_string(counter))};
}

DurableState MakeDisk(uint32_t accepted_epoch, uint32_t current_epoch,
                      const std::vector<std::pair<uint32_t, uint32_t>>& zxids) {
  DurableState d;
  d.accepted_epoch = Epoch{accepted_epoch};
  d.current_epoch = Epoch{current_epoch};
  for (auto [e, c] : zxids) d.log.push_back(MakeTxn(e, c));
  return d;
}

std::vector<Event> EventsOf(const Cluster& c, uint64_t id, const std::string& type) {
  std::vector<Event> r;
  for (const Event& e : c.events(id)) {
    if (e.type == type) r.push_back(e);
  }
  return r;
}

uint64_t Field(const Event& e, const std::string& name) {
  for (const auto& [k, v] : e.fields) {
    if (k != name) continue;
    if (const auto* u = std::get_if<uint64_t>(&v)) return *u;
    if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<uint64_t>(*i);
  }
  return 0;
}

std::string StrField(const Event& e, const std::string& name) {
  for (const auto& [k, v] : e.fields) {
    if (k != name) continue;
    if (const auto* s = std::get_if<std::string>(&v)) return *s;
  }
  return "";
}

// ---- DurableState ---------------------------------------------------------------------------
Zxid DurableState::last_logged() const {
  Zxid z = snapshots.empty() ? Zxid{} : snapshots.back().first;
  if (!log.empty() && log.back().zxid > z) z = log.back().zxid;
  return z;
}

std::string DurableState::Execute(const StorageOp& op) {
  std::string err;
  std::visit(
      [&](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, AppendTxn>) {
          Zxid last = last_logged();
          if (o.txn.zxid <= last) {
            err = "append " + ToHex(o.txn.zxid) + " not above " + ToHex(last);
          } else if (o.txn.zxid.epoch() == last.epoch() && last.value != 0 &&
                     o.txn.zxid.value != last.value + 1) {
            err = "append " + ToHex(o.txn.zxid) + ": same-epoch gap after " + ToHex(last);
          }
          log.push_back(o.txn);
        } else if constexpr (std::is_same_v<T, TruncateLog>) {
          std::erase_if(log, [&](const Txn& t) { return t.zxid > o.keep_up_to; });
          std::erase_if(snapshots, [&](const auto& s) { return s.first > o.keep_up_to; });
        } else if constexpr (std::is_same_v<T, WriteAcceptedEpoch>) {
          accepted_epoch = o.epoch;
        } else if constexpr (std::is_same_v<T, WriteCurrentEpoch>) {
          current_epoch = o.epoch;
        } else if constexpr (std::is_same_v<T, WriteSnapshot>) {
          snapshots.emplace_back(o.zxid, o.state);
        } else if constexpr (std::is_same_v<T, InstallSnapshot>) {
          snapshots.assign(1, {o.zxid, o.state});
          log.clear();
        }
      },
      op);
  return err;
}

Recovered DurableState::ToRecovered() const {
  Recovered r;
  r.accepted_epoch = accepted_epoch;
  r.current_epoch = current_epoch;
  if (!snapshots.empty()) {
    r.snapshot_zxid = snapshots.back().first;
    r.snapshot_state = snapshots.back().second;
  }
  for (const Txn& t : log) {
    if (t.zxid > r.snapshot_zxid) r.log.push_back(t);
  }
  return r;
}

namespace {
Epoch EpochOf(const Message& m) {
  return std::visit([](const auto& msg) { return msg.epoch; }, m);
}
}  // namespace

// ---- Cluster --------------------------------------------------------------------------------
void Cluster::Init(size_t n) {
  base_.voters.clear();
  for (size_t i = 1; i <= n; ++i) base_.voters.push_back(PeerId{i});
  nodes_.resize(n);
  links_.assign(n * n, {});
  paused_.assign(n + 1, 0);
  for (uint64_t id = 1; id <= n; ++id) {
    node(id).io->cluster = this;
    node(id).io->id = id;
  }
}

Cluster::Cluster(size_t n, Config base, uint64_t seed, storage::Options storage)
    : base_(std::move(base)), storage_options_(storage), rng_(seed) {
  Init(n);
  StartAll();
}

Cluster::Cluster(std::vector<DurableState> disks, Config base, uint64_t seed)
    : base_(std::move(base)), rng_(seed) {
  Init(disks.size());
  for (uint64_t id = 1; id <= disks.size(); ++id) {
    if (std::string e = node(id).sim->WriteDisk(disks[id - 1]); !e.empty()) {
      violations.push_back("node " + std::to_string(id) + ": " + e);
    }
  }
  StartAll();
}

bool Cluster::Boot(uint64_t id) {
  Config c = base_;
  c.self = PeerId{id};
  Node& n = node(id);
  std::string e = n.sim->Boot(c, storage_options_, now_ms_, n.io.get(), n.io.get(),
                              [&n](const ClientReply& r) { n.replies[r.request_id] = r; });
  if (!e.empty()) {
    violations.push_back("node " + std::to_string(id) + ": " + e);
    return false;
  }
  if (observe_outputs_) {
    n.sim->runtime().on_executed = [this, id](const Input& in, const Output& out) {
      if (on_output) on_output(id, in, out);
    };
  }
  return true;
}

void Cluster::set_observe_outputs(bool on) {
  observe_outputs_ = on;
  for (uint64_t id = 1; id <= nodes_.size(); ++id) {
    if (!up(id)) continue;
    if (on) {
      node(id).sim->runtime().on_executed = [this, id](const Input& in, const Output& out) {
        if (on_output) on_output(id, in, out);
      };
    } else {
      node(id).sim->runtime().on_executed = nullptr;
    }
  }
}

void Cluster::StartAll() {
  // Start every process before any first Step, so no initial vote is sent to a node that is
  // not up yet.
  for (uint64_t id = 1; id <= nodes_.size(); ++id) Boot(id);
  for (uint64_t id = 1; id <= nodes_.size(); ++id) {
    if (up(id)) Feed(id, Tick{now_ms_});
  }
}

void Cluster::Restart(uint64_t id) {
  // Construction emits nothing; the first Tick sends the initial votes.
  if (!Boot(id)) return;
  Feed(id, Tick{now_ms_});
  // Its links to and from every live peer come up (the transport's PeerConnected hint).
  for (uint64_t p = 1; p <= nodes_.size(); ++p) {
    if (p == id || !up(p)) continue;
    if (!blocked(p, id)) Feed(p, PeerConnected{PeerId{id}});
    if (!blocked(id, p) && up(id)) Feed(id, PeerConnected{PeerId{p}});
  }
}

void Cluster::SetDurable(uint64_t id, DurableState d) {
  Crash(id);
  if (std::string e = node(id).sim->WriteDisk(d); !e.empty()) {
    violations.push_back("node " + std::to_string(id) + ": " + e);
  }
  Restart(id);
}

void Cluster::Crash(uint64_t id, bool power_cut) {
  paused_.at(id) = 0;
  node(id).sim->Kill(power_cut);  // the unflushed batch (and, on a power cut, every unsynced
                                  // byte) is lost
  node(id).disk_failing = false;
  // What was coming to it is lost; what it sent too, unless TCP is to deliver what was written.
  for (size_t l = 0; l < links_.size(); ++l) {
    if (LinkTo(l) == id || (LinkFrom(l) == id && !net_.deliver_after_crash)) links_[l].clear();
  }
}

void Cluster::SetLinkFault(uint64_t from, uint64_t to, LinkFault fault) {
  if (fault.delay_ms == 0 && fault.loss <= 0) {
    link_faults_.erase({from, to});
  } else {
    link_faults_[{from, to}] = fault;
  }
}

Output Cluster::Step(uint64_t id, const Input& input) {
  assert(up(id));
  Output out = node(id).sim->runtime().Step(input);
  if (!group_commit_) Flush(id);
  return out;
}

void Cluster::Feed(uint64_t id, const Input& input) {
  assert(up(id));
  node(id).sim->runtime().Step(input);
  if (!group_commit_) Flush(id);
}

void Cluster::Flush(uint64_t id) {
  if (!up(id)) return;
  if (disk_.fsync_ms_max == 0) {
    StorageResult(id, node(id).sim->Flush());
    return;
  }
  SimNode& sim = *node(id).sim;
  if (!sim.runtime().has_queued()) return;
  // zabd collects the fsync in flight before a batch that needs durable order (driver.cc).
  if (sim.runtime().must_finish_sync_first() && !FinishSyncOf(id, /*start_next=*/false)) return;
  if (!StorageResult(id, sim.Begin())) return;
  StartSyncOf(id);
}

bool Cluster::StorageResult(uint64_t id, const std::string& e) {
  if (e.empty()) return true;
  // An injected disk error stops the node as zabd exits 3; anything else is a broken rule.
  if (!node(id).disk_failing) violations.push_back("node " + std::to_string(id) + ": " + e);
  Crash(id);
  return false;
}

void Cluster::StartSyncOf(uint64_t id) {
  bool started = false;
  if (!StorageResult(id, node(id).sim->StartSync(&started)) || !started) return;
  const uint64_t span = disk_.fsync_ms_max - std::min(disk_.fsync_ms_min, disk_.fsync_ms_max);
  node(id).sync_done_ms = now_ms_ + disk_.fsync_ms_min + rng_() % (span + 1);
}

bool Cluster::FinishSyncOf(uint64_t id, bool start_next) {
  if (!up(id) || !node(id).sim->sync_pending()) return up(id);
  if (!StorageResult(id, node(id).sim->FinishSync())) return false;
  if (start_next) StartSyncOf(id);  // for the batches begun while it ran
  return up(id);
}

bool Cluster::CompleteDueSyncs() {
  if (disk_.fsync_ms_max == 0) return false;
  bool any = false;
  for (uint64_t id = 1; id <= nodes_.size(); ++id) {
    if (!up(id) || paused(id) || !node(id).sim->sync_pending()) continue;
    if (node(id).sync_done_ms > now_ms_) continue;
    FinishSyncOf(id, /*start_next=*/true);
    any = true;
  }
  return any;
}

void Cluster::FailDisk(uint64_t id) {
  node(id).disk_failing = true;
  node(id).sim->FailSyncs();
}

void Cluster::FlushAll() {
  for (uint64_t id = 1; id <= nodes_.size(); ++id) Flush(id);
}

void Cluster::StepAndCrash(uint64_t id, const Input& input) {
  SimNode& sim = *node(id).sim;
  sim.DieAfterStorageOps(rng_() % 8);
  sim.runtime().Step(input);
  (void)sim.Flush();  // dies part-way (or completes, then dies): not a violation
  Crash(id);
}

void Cluster::SendMsg(uint64_t from, const Envelope& e) {
  uint64_t to = e.to.value;
  if (to < 1 || to > nodes_.size() || !up(to) || blocked(from, to)) return;
  if (net_.drop_probability > 0 &&
      std::uniform_real_distribution<double>(0, 1)(rng_) < net_.drop_probability) {
    return;
  }
  const LinkFault* fault = nullptr;
  if (!link_faults_.empty()) {
    auto it = link_faults_.find({from, to});
    if (it != link_faults_.end()) fault = &it->second;
  }
  if (fault && fault->loss > 0 &&
      std::uniform_real_distribution<double>(0, 1)(rng_) < fault->loss) {
    return;
  }
  // Late packets (cluster.h): held back, released behind a newer epoch on this link.
  bool hold = false, copy = false;
  for (auto it = hold_rules_.begin(); it != hold_rules_.end(); ++it) {
    if (it->from == from && it->to == to && it->match(e.message)) {
      hold = true;
      copy = it->copy;
      hold_rules_.erase(it);
      break;
    }
  }
  if (!hold && net_.late_probability > 0) {
    hold = std::uniform_real_distribution<double>(0, 1)(rng_) < net_.late_probability;
  }
  if (hold) {
    late_.push_back(SentMessage{PeerId{from}, e.to, e.message, now_ms_});
    if (!copy) return;
  }
  auto& q = link(from, to);
  uint64_t at = now_ms_;
  if (net_.delay_ms_max > 0) at += rng_() % (net_.delay_ms_max + 1);
  if (fault) at += fault->delay_ms;
  if (!q.empty()) at = std::max(at, q.back().deliver_at_ms);  // per-link FIFO
  q.push_back(SentMessage{PeerId{from}, e.to, e.message, at});
}

bool Cluster::DeliverOne() {
  std::vector<size_t>& ready = ready_scratch_;  // in link order: the rng picks one
  ready.clear();
  for (size_t l = 0; l < links_.size(); ++l) {
    const std::deque<SentMessage>& q = links_[l];
    if (!q.empty() && q.front().deliver_at_ms <= now_ms_ && !paused(LinkTo(l))) ready.push_back(l);
  }
  if (ready.empty()) return false;
  const size_t chosen = ready[rng_() % ready.size()];
  const uint64_t to = LinkTo(chosen);
  SentMessage m = std::move(links_[chosen].front());
  links_[chosen].pop_front();
  if (!up(to)) return true;
  const Epoch epoch = EpochOf(m.message);
  Feed(to, Receive{m.from, std::move(m.message), now_ms_});
  if (!late_.empty()) ReleaseLateBehind(m.from, m.to, epoch);
  return true;
}

void Cluster::HoldLate(uint64_t from, uint64_t to, std::function<bool(const Message&)> match,
                       bool copy) {
  hold_rules_.push_back(HoldRule{from, to, std::move(match), copy});
}

void Cluster::ReleaseLateBehind(PeerId from, PeerId to, Epoch e) {
  std::erase_if(late_,
                [&](const SentMessage& h) { return h.deliver_at_ms + net_.late_ttl_ms < now_ms_; });
  std::vector<SentMessage> released;
  std::erase_if(late_, [&](SentMessage& h) {
    if (h.from != from || h.to != to || !(EpochOf(h.message) < e)) return false;
    released.push_back(std::move(h));
    return true;
  });
  for (SentMessage& h : released) {
    if (!up(h.to.value)) return;  // the previous delivery crashed it (StepAndCrash is not here)
    late_delivered_++;
    Feed(h.to.value, Receive{h.from, std::move(h.message), now_ms_});
  }
}

void Cluster::DeliverAll() {
  // Bounded: a livelock of messages at one logical instant must not hang a test.
  int budget = 20000;
  while (budget > 0) {
    bool any = CompleteDueSyncs();
    while (budget > 0 && DeliverOne()) {
      budget--;
      any = true;
    }
    bool pending = false;
    for (const Node& n : nodes_) pending |= n.sim->up() && n.sim->runtime().has_queued();
    if (pending) FlushAll();
    if (!any && !pending) return;
  }
}

void Cluster::RunFor(uint64_t ms, uint64_t step_ms) {
  RunUntil([] { return false; }, ms, step_ms);
}

bool Cluster::RunUntil(const std::function<bool()>& pred, uint64_t max_ms, uint64_t step_ms) {
  uint64_t end = now_ms_ + max_ms;
  DeliverAll();
  if (pred()) return true;
  while (now_ms_ < end) {
    now_ms_ += step_ms;
    for (uint64_t id = 1; id <= nodes_.size(); ++id) {
      if (up(id) && !paused(id)) Feed(id, Tick{now_ms_});
    }
    if (group_commit_) FlushAll();
    DeliverAll();
    if (pred()) return true;
  }
  return pred();
}

void Cluster::AdvanceClock(uint64_t now_ms) { now_ms_ = std::max(now_ms_, now_ms); }

std::optional<uint64_t> Cluster::NextDeliveryMs() const {
  std::optional<uint64_t> next;
  for (size_t l = 0; l < links_.size(); ++l) {
    const std::deque<SentMessage>& q = links_[l];
    if (q.empty() || !up(LinkTo(l)) || paused(LinkTo(l))) continue;
    next = std::min(next.value_or(UINT64_MAX), q.front().deliver_at_ms);
  }
  if (disk_.fsync_ms_max > 0) {
    for (uint64_t id = 1; id <= nodes_.size(); ++id) {
      if (!up(id) || paused(id) || !node(id).sim->sync_pending()) continue;
      next = std::min(next.value_or(UINT64_MAX), node(id).sync_done_ms);
    }
  }
  return next;
}

void Cluster::Pause(uint64_t id) {
  if (up(id)) paused_.at(id) = 1;
}
void Cluster::Resume(uint64_t id) { paused_.at(id) = 0; }

void Cluster::Block(uint64_t from, uint64_t to) {
  blocked_[{from, to}] = true;
  link(from, to).clear();
}
void Cluster::Unblock(uint64_t from, uint64_t to) {
  if (blocked_.erase({from, to}) > 0 && up(from) && up(to)) {
    Feed(from, PeerConnected{PeerId{to}});  // the dialer's link comes back
  }
}
void Cluster::Isolate(uint64_t id) {
  for (uint64_t o = 1; o <= nodes_.size(); ++o) {
    if (o == id) continue;
    Block(id, o);
    Block(o, id);
  }
}
void Cluster::HealAll() {
  auto healed = std::move(blocked_);
  blocked_.clear();
  for (const auto& [link, on] : healed) {
    if (up(link.first) && up(link.second)) Feed(link.first, PeerConnected{PeerId{link.second}});
  }
}
bool Cluster::blocked(uint64_t from, uint64_t to) const { return blocked_.count({from, to}) > 0; }

uint64_t Cluster::Write(uint64_t id, kv::Op op) {
  uint64_t rid = node(id).next_request_id++;
  Feed(id, ClientWrite{rid, std::move(op)});
  return rid;
}

uint64_t Cluster::Read(uint64_t id, std::string key, ReadMode mode) {
  uint64_t rid = node(id).next_request_id++;
  Feed(id, ClientRead{rid, std::move(key), mode});
  return rid;
}

std::optional<ClientReply> Cluster::ReplyFor(uint64_t id, uint64_t request_id) const {
  const auto& r = node(id).replies;
  auto it = r.find(request_id);
  if (it == r.end()) return std::nullopt;
  return it->second;
}

const ClientReply* Cluster::FindReply(uint64_t id, uint64_t request_id) const {
  const auto& r = node(id).replies;
  auto it = r.find(request_id);
  return it == r.end() ? nullptr : &it->second;
}

std::optional<uint64_t> Cluster::Leader() const {
  std::optional<uint64_t> found;
  for (uint64_t id = 1; id <= nodes_.size(); ++id) {
    if (!up(id)) continue;
    Status s = node(id).sim->runtime().peer().status();
    if (s.role == Role::kLeading && s.phase == Phase::kBroadcast) {
      if (found) return std::nullopt;
      found = id;
    }
  }
  return found;
}

}  // namespace zab::testing
