#include "harness/scenario/cluster_view.h"

#include <fmt/format.h>

#include <set>

namespace faultline::harness::scenario {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kViewRoleTimeout{300};

}  // namespace

std::string Names(const std::vector<NodeId>& ids) {
  std::string out;
  for (NodeId id : ids) out += (out.empty() ? "n" : ", n") + std::to_string(id);
  return out.empty() ? "(none)" : out;
}

std::optional<std::string> ClusterView::Digest(NodeId id) {
  Result<std::string> d = system_.StateDigest(cluster_.Info(id), kViewRoleTimeout);
  if (!d.ok()) return std::nullopt;
  return *d;
}

NodeStatus ClusterView::Status(NodeId id, bool with_digest) {
  NodeStatus n;
  n.id = id;
  n.running = cluster_.State(id) == NodeState::kRunning;
  if (!n.running) return n;
  if (Result<RoleInfo> r = cluster_.QueryRole(id, kViewRoleTimeout); r.ok()) {
    n.role = *r;
    if (!system_.Traits().role_phases) {
      const bool serving = r->role == Role::kLeading || r->role == Role::kFollowing;
      n.role->phase = serving ? "broadcast" : "election";
      n.role->last_committed = r->last_zxid;
      // A zxid with counter 0 in epoch e > 0 names no txn: ZooKeeper's leader reports it from
      // establishing e until its first txn in e ("setting last processed zxid: 0x<e>00000000"),
      // and so can a follower that joined the leader then, while the others report the last txn
      // they applied. It says nothing about the node's history (every serving node was synced
      // to the leader's), so agreement is judged on the other nodes' numbers.
      n.committed_unknown = r->last_zxid != 0 && (r->last_zxid & 0xffffffffLL) == 0;
    }
  }
  if (with_digest && system_.Traits().state_digest) n.digest = Digest(id);
  return n;
}

std::vector<NodeStatus> ClusterView::Statuses(bool with_digest) {
  std::vector<NodeStatus> out;
  for (NodeId id : cluster_.NodeIds()) out.push_back(Status(id, with_digest));
  return out;
}

std::vector<NodeId> ClusterView::Started() {
  std::vector<NodeId> out;
  for (NodeId id : cluster_.NodeIds()) {
    NodeState st = cluster_.State(id);
    if (st == NodeState::kRunning || st == NodeState::kPaused) out.push_back(id);
  }
  return out;
}

Result<NodeId> ClusterView::Leader(StepContext& ctx) {
  if (ctx.leader) return *ctx.leader;
  Result<NodeId> l = cluster_.FindLeader(milliseconds(leader_timeout_ms_));
  if (!l.ok()) {
    return Status::Unavailable(fmt::format("no node leads within {} ms (seen: {})",
                                           leader_timeout_ms_, DescribeStatuses(Statuses(false))));
  }
  ctx.leader = *l;
  ctx.resolved.push_back(fmt::format("leader=n{}", *l));
  return *l;
}

Result<std::vector<NodeId>> ClusterView::Followers(StepContext& ctx) {
  Result<NodeId> l = Leader(ctx);
  if (!l.ok()) return l.status();
  std::vector<NodeId> out;
  for (NodeId id : Started()) {
    if (id != *l) out.push_back(id);
  }
  return out;
}

Result<std::vector<NodeId>> ClusterView::ResolveTerm(const std::string& t, StepContext& ctx) {
  if (t == "all") return cluster_.NodeIds();
  if (t == "leader") {
    Result<NodeId> l = Leader(ctx);
    if (!l.ok()) return l.status();
    return std::vector<NodeId>{*l};
  }
  if (t == "followers") return Followers(ctx);
  if (t == "follower" || t.rfind("followers[", 0) == 0) {
    size_t i = t == "follower" ? 0 : std::stoul(t.substr(10));
    Result<std::vector<NodeId>> f = Followers(ctx);
    if (!f.ok()) return f.status();
    if (i >= f->size()) {
      return Status::Unavailable(
          fmt::format("'{}': only {} followers ({})", t, f->size(), Names(*f)));
    }
    return std::vector<NodeId>{(*f)[i]};
  }
  if (t == "minority-with-leader") {
    Result<std::vector<NodeId>> f = Followers(ctx);
    if (!f.ok()) return f.status();
    std::vector<NodeId> out = {*ctx.leader};
    size_t extra = static_cast<size_t>((nodes_ - 1) / 2) - 1;
    for (size_t i = 0; i < extra && i < f->size(); ++i) out.push_back((*f)[i]);
    return out;
  }
  if (t == "highest-zxid") {
    NodeId best = 0;
    int64_t best_zxid = -1;
    for (const NodeStatus& n : Statuses(false)) {
      if (n.role && n.role->last_zxid >= best_zxid) {
        best = n.id;
        best_zxid = n.role->last_zxid;
      }
    }
    if (best == 0) return Status::Unavailable("highest-zxid: no running node answers ROLE");
    ctx.resolved.push_back(fmt::format("highest-zxid=n{} ({})", best, Zx(best_zxid)));
    return std::vector<NodeId>{best};
  }
  if (t.size() >= 2 && t[0] == 'n' && std::isdigit(static_cast<unsigned char>(t[1]))) {
    return std::vector<NodeId>{std::stoi(t.substr(1))};
  }
  auto it = bindings_.find(t);
  if (it == bindings_.end()) return Status::InvalidArgument("unbound name " + t);
  return it->second;
}

Result<std::vector<NodeId>> ClusterView::Resolve(const Selector& sel, StepContext& ctx) {
  std::set<NodeId> all;
  for (const auto& t : sel.terms) {
    Result<std::vector<NodeId>> r = ResolveTerm(t, ctx);
    if (!r.ok()) return r.status();
    all.insert(r->begin(), r->end());
  }
  std::vector<NodeId> out(all.begin(), all.end());
  bool literal = sel.terms.size() == 1 && sel.terms[0].size() >= 2 && sel.terms[0][0] == 'n' &&
                 std::isdigit(static_cast<unsigned char>(sel.terms[0][1]));
  if (!literal && sel.terms != std::vector<std::string>{"leader"}) {
    ctx.resolved.push_back(fmt::format("{}={}", sel.text, Names(out)));
  }
  return out;
}

}  // namespace faultline::harness::scenario
