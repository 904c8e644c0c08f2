#include "harness/sim/world.h"

#include <fmt/format.h>

#include <algorithm>

#include "harness/net/grudge.h"
#include "server/core/testing/cluster.h"

namespace faultline::harness::sim {
namespace {

Role ToHarnessRole(zab::Role r) {
  switch (r) {
    case zab::Role::kLeading:
      return Role::kLeading;
    case zab::Role::kFollowing:
      return Role::kFollowing;
    case zab::Role::kLooking:
      return Role::kLooking;
  }
  return Role::kUnknown;
}

}  // namespace

// ---- ClusterControl over the simulated processes (the supervisor's states and errors).
class World::ControlImpl final : public ClusterControl {
 public:
  explicit ControlImpl(World* w) : w_(w) {}

  std::vector<NodeId> NodeIds() const override {
    std::vector<NodeId> ids;
    for (NodeId id = 1; id <= w_->nodes(); ++id) ids.push_back(id);
    return ids;
  }
  NodeState State(NodeId id) const override { return w_->state_.at(id); }

  std::map<NodeId, Role> Roles(std::chrono::milliseconds) override {
    std::map<NodeId, Role> out;
    for (NodeId id = 1; id <= w_->nodes(); ++id) {
      out[id] = w_->state_.at(id) == NodeState::kRunning
                    ? ToHarnessRole(w_->cluster_->peer(id).status().role)
                    : Role::kUnknown;
    }
    return out;
  }

  // Waits on simulated time, as the supervisor polls on real time.
  Result<NodeId> FindLeader(std::chrono::milliseconds timeout) override {
    std::optional<NodeId> leader;
    w_->RunUntil(w_->now_ms() + static_cast<uint64_t>(timeout.count()),
                 [&] { return (leader = w_->Leader()).has_value(); });
    if (leader) return *leader;
    return Status::Timeout(fmt::format("no leader within {} ms", timeout.count()));
  }

  Status Start(NodeId id) override {
    if (Status s = Known(id); !s.ok()) return s;
    NodeState st = w_->state_.at(id);
    if (st == NodeState::kRunning || st == NodeState::kPaused) return Refuse(id, st);
    w_->Boot(id);
    return Status::Ok();
  }
  Status Kill(NodeId id) override {
    if (Status s = Known(id); !s.ok()) return s;
    NodeState st = w_->state_.at(id);
    if (st != NodeState::kRunning && st != NodeState::kPaused) return Refuse(id, st);
    w_->Kill(id);
    return Status::Ok();
  }
  Status Pause(NodeId id) override {
    if (Status s = Known(id); !s.ok()) return s;
    NodeState st = w_->state_.at(id);
    if (st != NodeState::kRunning) return Refuse(id, st);
    w_->cluster_->Pause(id);
    w_->state_[id] = NodeState::kPaused;
    return Status::Ok();
  }
  Status Resume(NodeId id) override {
    if (Status s = Known(id); !s.ok()) return s;
    NodeState st = w_->state_.at(id);
    if (st != NodeState::kPaused) return Refuse(id, st);
    w_->cluster_->Resume(id);
    w_->state_[id] = NodeState::kRunning;
    return Status::Ok();
  }

 private:
  Status Known(NodeId id) const {
    if (id < 1 || id > w_->nodes()) return Status::InvalidArgument(fmt::format("no node {}", id));
    return Status::Ok();
  }
  static Status Refuse(NodeId id, NodeState st) {
    return Status::Unavailable(fmt::format("node {} is {}", id, NodeStateName(st)));
  }
  World* w_;
};

// ---- Partitioner over the simulated links: a grudge is the set of blocked directed links.
class World::NetworkImpl final : public Partitioner {
 public:
  explicit NetworkImpl(World* w) : w_(w) {}

  Status Apply(const Grudge& grudge) override {
    zab::testing::Cluster& c = *w_->cluster_;
    for (NodeId from = 1; from <= w_->nodes(); ++from) {
      for (NodeId to = 1; to <= w_->nodes(); ++to) {
        if (from == to) continue;
        const bool cut = Drops(grudge, from, to);
        if (cut && !c.blocked(from, to)) c.Block(from, to);  // drops what is in flight too
        if (!cut && c.blocked(from, to)) c.Unblock(from, to);
      }
    }
    return Status::Ok();
  }
  Status Heal() override {
    w_->cluster_->HealAll();
    for (const auto& [link, f] : faults_) w_->cluster_->SetLinkFault(link.first, link.second, {});
    faults_.clear();
    return Status::Ok();
  }
  bool SupportsLinkFaults() const override { return true; }
  Status SetDelay(NodeId from, NodeId to, int delay_ms) override {
    if (!Link(from, to) || delay_ms < 0) {
      return Status::InvalidArgument(fmt::format("bad delay {}ms on {}->{}", delay_ms, from, to));
    }
    zab::testing::LinkFault& f = faults_[{from, to}];
    f.delay_ms = static_cast<uint64_t>(delay_ms);
    w_->cluster_->SetLinkFault(from, to, f);
    return Status::Ok();
  }
  Status SetLoss(NodeId from, NodeId to, double probability) override {
    if (!Link(from, to) || !(probability >= 0 && probability <= 1)) {
      return Status::InvalidArgument(fmt::format("bad loss {} on {}->{}", probability, from, to));
    }
    zab::testing::LinkFault& f = faults_[{from, to}];
    f.loss = probability;
    w_->cluster_->SetLinkFault(from, to, f);
    return Status::Ok();
  }
  std::string Name() const override { return "sim"; }

 private:
  bool Link(NodeId from, NodeId to) const {
    return from != to && from >= 1 && to >= 1 && from <= w_->nodes() && to <= w_->nodes();
  }
  World* w_;
  std::map<std::pair<NodeId, NodeId>, zab::testing::LinkFault> faults_;
};

World::World(WorldOptions options) : options_(std::move(options)) {
  control_ = std::make_unique<ControlImpl>(this);
  network_ = std::make_unique<NetworkImpl>(this);
  state_.assign(static_cast<size_t>(options_.nodes) + 1, NodeState::kNotStarted);
  incarnation_.assign(static_cast<size_t>(options_.nodes) + 1, 0);
}

World::~World() = default;

void World::Start() {
  cluster_ = std::make_unique<zab::testing::Cluster>(static_cast<size_t>(options_.nodes),
                                                     options_.base, options_.seed);
  cluster_->set_observe_outputs(false);  // nothing here reads on_output
  cluster_->net().delay_ms_max = options_.latency_ms_max;
  cluster_->net().deliver_after_crash = true;
  cluster_->disk().fsync_ms_min = options_.fsync_ms_min;
  cluster_->disk().fsync_ms_max = options_.fsync_ms_max;
  start_ms_ = cluster_->now_ms();
  next_tick_ms_ = start_ms_ + kNodeTickIntervalMs;
  record_ms_ = start_ms_;
  for (NodeId id = 1; id <= options_.nodes; ++id) {
    incarnation_[id] = 1;
    if (cluster_->up(id)) {
      state_[id] = NodeState::kRunning;
      EmitStart(id);
    }
    DrainEvents(id);
  }
  DetectCrashes();
}

uint64_t World::now_ms() const { return cluster_ ? cluster_->now_ms() : 0; }

int64_t World::ToNs(uint64_t sim_ms) const {
  return (options_.anchor_ms + static_cast<int64_t>(sim_ms - start_ms_)) * 1'000'000;
}

int64_t World::NowNs() {
  const uint64_t now = now_ms();
  if (now != record_ms_) {
    record_ms_ = now;
    record_seq_ = 0;
  }
  // Bounded by construction: an instant settles in at most kSettleRoundsMax rounds.
  const int64_t seq = std::min(record_seq_++, kRecordsPerMsMax - 1);
  return ToNs(now) + seq;
}

ClusterControl& World::Control() { return *control_; }
Partitioner& World::Network() { return *network_; }

void World::AddActor(Actor* actor) { actors_.push_back(actor); }
void World::RemoveActor(Actor* actor) { std::erase(actors_, actor); }

bool World::up(NodeId id) const { return cluster_->up(id); }
bool World::paused(NodeId id) const { return cluster_->paused(id); }
uint64_t World::incarnation(NodeId id) const { return incarnation_.at(id); }

uint64_t World::SubmitWrite(NodeId id, kv::Op op) {
  uint64_t rid = cluster_->Write(id, std::move(op));
  DrainEvents(id);
  return rid;
}

uint64_t World::SubmitRead(NodeId id, std::string key, zab::ReadMode mode) {
  uint64_t rid = cluster_->Read(id, std::move(key), mode);
  DrainEvents(id);
  return rid;
}

std::optional<zab::ClientReply> World::Reply(NodeId id, uint64_t request_id) const {
  return cluster_->ReplyFor(id, request_id);
}

bool World::HasReply(NodeId id, uint64_t request_id) const {
  return cluster_->FindReply(id, request_id) != nullptr;
}

std::optional<NodeId> World::Leader() const {
  std::optional<std::pair<uint32_t, NodeId>> best;  // (epoch, id), as FindLeaderByPolling
  for (NodeId id = 1; id <= options_.nodes; ++id) {
    if (state_.at(id) != NodeState::kRunning || !cluster_->up(id)) continue;
    zab::Status s = cluster_->peer(id).status();
    if (s.role != zab::Role::kLeading) continue;
    if (!best || s.current_epoch.value > best->first) best = {s.current_epoch.value, id};
  }
  if (!best) return std::nullopt;
  return best->second;
}

void World::Emit(NodeId id, std::string type, checkers::FieldList fields) {
  checkers::NodeEvent e;
  e.node = id;
  e.ts_ms = options_.anchor_ms + static_cast<int64_t>(now_ms() - start_ms_);
  fields.Set("ts_ms", e.ts_ms);
  fields.Set("node", id);
  fields.Set("type", type);
  e.type = std::move(type);
  e.fields = std::move(fields);
  ++events_emitted_;
  if (on_event) on_event(std::move(e));
}

void World::EmitStart(NodeId id) {
  // What recovery found, as zabd's `start` record says it (runtime/event_log.h StartRecord).
  const zab::Status s = cluster_->peer(id).status();
  const zab::testing::DurableState& d = cluster_->durable(id);
  const uint64_t snapshot = d.snapshots.empty() ? 0 : d.snapshots.back().first.value;
  checkers::FieldList f;
  f.Reserve(12);
  f.Append("pid", incarnation_[id]);
  f.Append("last_zxid", s.last_logged.value);
  f.Append("accepted_epoch", static_cast<uint64_t>(s.accepted_epoch.value));
  f.Append("current_epoch", static_cast<uint64_t>(s.current_epoch.value));
  f.Append("snapshot_zxid", snapshot);
  f.Append("records_loaded", static_cast<uint64_t>(d.ToRecovered().log.size()));
  f.Append("torn_tail_truncated", false);
  f.Append("simulated", true);
  if (!options_.base.faults.empty()) f.Append("faults", zab::JoinFaults(options_.base.faults));
  f.Seal();
  Emit(id, "start", std::move(f));
}

void World::DrainEvents(NodeId id) {
  if (cluster_->events(id).empty()) return;
  std::vector<zab::Event> events;  // drained_'s storage, swapped in (Emit may drain again)
  events.swap(drained_);
  cluster_->TakeEvents(id, &events);
  for (zab::Event& event : events) Emit(id, std::move(event));
  events.clear();
  drained_.swap(events);
}

void World::Emit(NodeId id, zab::Event&& event) {
  // The record Emit(id, type, fields) makes of the core's fields plus ts_ms, node and type (they
  // replace a core field of the same name; of two core fields of one name the later wins): one
  // flat list, the core's strings moved into it (issue 12: a node event's cost).
  const int64_t ts_ms = options_.anchor_ms + static_cast<int64_t>(now_ms() - start_ms_);
  checkers::FieldList fields;
  fields.Reserve(event.fields.size() + 3);
  for (auto& [name, value] : event.fields) {
    std::visit([&](auto& v) { fields.Append(std::move(name), std::move(v)); }, value);
  }
  fields.Append("ts_ms", ts_ms);
  fields.Append("node", static_cast<int64_t>(id));
  fields.Append("type", event.type);
  fields.Seal();
  checkers::NodeEvent e;
  e.node = id;
  e.ts_ms = ts_ms;
  e.type = std::move(event.type);
  e.fields = std::move(fields);
  ++events_emitted_;
  if (on_event) on_event(std::move(e));
}

void World::DrainAll() {
  for (NodeId id = 1; id <= options_.nodes; ++id) DrainEvents(id);
}

void World::DetectCrashes() {
  for (NodeId id = 1; id <= options_.nodes; ++id) {
    NodeState& st = state_[id];
    if ((st != NodeState::kRunning && st != NodeState::kPaused) || cluster_->up(id)) continue;
    st = NodeState::kExitedUnexpectedly;
    ++incarnation_[id];
    std::string why;
    for (; violations_seen_ < cluster_->violations.size(); ++violations_seen_) {
      why += (why.empty() ? "" : "; ") + cluster_->violations[violations_seen_];
    }
    if (why.empty()) why = "the node stopped";
    checkers::FieldList f;
    f.Set("op", "simulated");
    f.Set("error", why);
    Emit(id, "storage_error", std::move(f));
    if (on_crash) on_crash(id, why);
  }
}

void World::Boot(NodeId id) {
  DrainEvents(id);
  cluster_->Restart(id);  // real recovery of the node's disk, then its first tick
  ++incarnation_[id];
  if (cluster_->up(id)) {
    state_[id] = NodeState::kRunning;
    EmitStart(id);
    DrainEvents(id);
  } else {
    state_[id] = NodeState::kRunning;  // DetectCrashes reports why it is not
    DetectCrashes();
  }
}

void World::Kill(NodeId id) {
  DrainEvents(id);
  cluster_->Crash(id, /*power_cut=*/options_.power_loss_mode);
  state_[id] = NodeState::kKilled;
  ++incarnation_[id];
}

void World::TickAll() {
  for (NodeId id = 1; id <= options_.nodes; ++id) {
    if (cluster_->up(id) && !cluster_->paused(id)) cluster_->Feed(id, zab::Tick{now_ms()});
  }
}

std::optional<World::Upcoming> World::Settle() {
  const uint64_t now = now_ms();
  for (int round = 0; round < kSettleRoundsMax; ++round) {
    cluster_->DeliverAll();
    DrainAll();
    DetectCrashes();
    bool woke = false;
    Upcoming upcoming;
    for (size_t i = 0; i < actors_.size(); ++i) {
      Actor* a = actors_[i];
      if (std::find(waking_.begin(), waking_.end(), a) != waking_.end()) continue;
      std::optional<uint64_t> wake = a->NextWakeMs();
      if (!wake || *wake > now) {
        if (wake) upcoming.wake = std::min(upcoming.wake.value_or(UINT64_MAX), *wake);
        continue;
      }
      waking_.push_back(a);
      a->Wake(now);
      waking_.pop_back();
      woke = true;
      DrainAll();
      DetectCrashes();
    }
    if (woke) continue;
    upcoming.due = cluster_->NextDeliveryMs();
    if (!upcoming.due || *upcoming.due > now) return upcoming;
  }
  return std::nullopt;
}

bool World::RunUntil(uint64_t until_ms, const std::function<bool()>& done) {
  while (true) {
    if (stopped_ || (stop && stop())) {
      stopped_ = true;
      return false;
    }
    std::optional<Upcoming> upcoming = Settle();
    if (done && done()) return true;
    const uint64_t now = now_ms();
    if (now >= until_ms) return false;
    // What Settle saw last is still so unless done() ran (it may act: a client's Poll submits).
    if (!upcoming || done) {
      upcoming = Upcoming{};
      upcoming->due = cluster_->NextDeliveryMs();
      for (Actor* a : actors_) {
        if (std::find(waking_.begin(), waking_.end(), a) != waking_.end()) continue;
        if (std::optional<uint64_t> wake = a->NextWakeMs()) {
          upcoming->wake = std::min(upcoming->wake.value_or(UINT64_MAX), *wake);
        }
      }
    }
    uint64_t next = std::min(until_ms, next_tick_ms_);
    if (upcoming->due) next = std::min(next, std::max(*upcoming->due, now + 1));
    if (upcoming->wake) next = std::min(next, std::max(*upcoming->wake, now + 1));
    cluster_->AdvanceClock(next);
    if (next >= next_tick_ms_) {
      TickAll();
      next_tick_ms_ += kNodeTickIntervalMs;
    }
  }
}

}  // namespace faultline::harness::sim
