#include "harness/systems/etcd/status_query.h"

#include "harness/systems/etcd/http_connection.h"

namespace faultline::harness::etcd {

Result<StatusResponse> QueryStatus(const Endpoint& endpoint, std::chrono::milliseconds timeout) {
  HttpConnection conn(endpoint.host, endpoint.port);
  HttpResult r = conn.Post(std::string(kStatusPath), "{}", timeout);
  const std::string where = "etcd status of " + endpoint.ToString() + ": ";
  switch (r.kind) {
    case HttpResult::Kind::kTimeout:
      return Status::Timeout(where + r.error);
    case HttpResult::Kind::kNotSent:
    case HttpResult::Kind::kLostAfterSend:
      return Status::Unavailable(where + r.error);
    case HttpResult::Kind::kReply:
      break;
  }
  if (r.status != 200) return Status::Unavailable(where + ParseError(r.status, r.body).ToString());
  auto s = ParseStatus(r.body);
  if (!s.ok()) return Status::Corruption(where + s.status().message());
  return s;
}

RoleInfo ToRoleInfo(const StatusResponse& status, const MemberIds& members) {
  RoleInfo info;
  info.epoch = status.raft_term;
  info.last_zxid = status.header.revision;
  info.last_committed = status.header.revision;
  if (status.leader_id == 0) {
    info.role = Role::kLooking;
    info.phase = "election";
    return info;
  }
  info.role = status.leader_id == status.header.member_id ? Role::kLeading : Role::kFollowing;
  info.phase = "broadcast";
  auto it = members.find(status.leader_id);
  info.leader_id = it == members.end() ? -1 : it->second;
  return info;
}

}  // namespace faultline::harness::etcd
