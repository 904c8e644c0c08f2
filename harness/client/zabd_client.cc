#include "harness/client/zabd_client.h"

#include <algorithm>

namespace faultline::harness {

using checkers::Fn;
using checkers::Outcome;

ZabdClient::ZabdClient(std::string host, int port, std::string read_mode, int64_t node)
    : conn_(std::move(host), port), node_(node) {
  std::vector<std::vector<std::string>> setup = {{"ZXIDS", "ON"}};
  if (!read_mode.empty()) setup.push_back({"READMODE", read_mode});
  conn_.set_on_connect(std::move(setup));
}

std::string ZabdClient::SetElementKey(const std::string& key, const std::string& element) {
  return key + ":" + element;
}

bool ZabdClient::Call(const std::vector<std::string>& args, std::chrono::milliseconds timeout,
                      RespValue* reply, OpResult* result) {
  CallResult r = conn_.Call(args, timeout);
  switch (r.kind) {
    case CallResult::Kind::kNotSent:
      result->outcome = Outcome::kFail;  // nothing left the client: certainly not applied
      result->error = r.error;
      return false;
    case CallResult::Kind::kTimeout:
    case CallResult::Kind::kLostAfterSend:
      result->outcome = Outcome::kInfo;  // may or may not have been applied
      result->error = r.error;
      return false;
    case CallResult::Kind::kReply:
      break;
  }
  RespValue v = std::move(r.reply);
  // ZXIDS ON wraps replies as [reply, zxid]; errors come unwrapped.
  if (v.type == RespValue::Type::kArray && v.elements.size() == 2 &&
      v.elements[1].type == RespValue::Type::kInteger) {
    result->zxid = v.elements[1].integer;
    RespValue inner = std::move(v.elements[0]);
    v = std::move(inner);
  }
  if (v.is_error()) {
    std::string cls = v.ErrorClass();
    result->outcome = (cls == "NOTAPPLIED" || cls == "ERR") ? Outcome::kFail : Outcome::kInfo;
    result->error = v.str;
    return false;
  }
  *reply = std::move(v);
  return true;
}

OpResult ZabdClient::Invoke(const checkers::Op& op, std::chrono::milliseconds timeout) {
  OpResult res;
  RespValue reply;
  auto unexpected = [&](const char* what) {
    res.outcome = Outcome::kInfo;
    res.error = std::string("unexpected reply to ") + what + ": " + reply.ToString();
    return res;
  };
  switch (op.f) {
    case Fn::kRead:
    case Fn::kGet:
      if (!Call({"GET", op.key}, timeout, &reply, &res)) return res;
      if (reply.type == RespValue::Type::kNil) {
        res.value.reset();
      } else if (reply.type == RespValue::Type::kBulk) {
        res.value = reply.str;
      } else {
        return unexpected("GET");
      }
      res.outcome = Outcome::kOk;
      return res;
    case Fn::kWrite:
    case Fn::kPut:
      if (!Call({"SET", op.key, op.value.value_or("")}, timeout, &reply, &res)) return res;
      if (reply.type != RespValue::Type::kSimple) return unexpected("SET");
      res.outcome = Outcome::kOk;
      return res;
    case Fn::kCas:
      if (!Call({"CAS", op.key, op.expected.value_or(""), op.value.value_or("")}, timeout, &reply,
                &res)) {
        return res;
      }
      if (reply.type != RespValue::Type::kInteger) return unexpected("CAS");
      // :0 = compared unequal (or key absent): the swap certainly did not happen.
      res.outcome = reply.integer == 1 ? Outcome::kOk : Outcome::kFail;
      if (reply.integer != 1) res.error = "cas mismatch";
      return res;
    case Fn::kDelete:
      if (!Call({"DEL", op.key}, timeout, &reply, &res)) return res;
      if (reply.type != RespValue::Type::kInteger) return unexpected("DEL");
      res.outcome = Outcome::kOk;
      return res;
    case Fn::kAdd: {
      const std::string element = op.value.value_or("");
      if (!Call({"SET", SetElementKey(op.key, element), element}, timeout, &reply, &res)) {
        return res;
      }
      if (reply.type != RespValue::Type::kSimple) return unexpected("SET");
      res.outcome = Outcome::kOk;
      return res;
    }
    case Fn::kReadSet: {
      // Not atomic: only used for final reads once the cluster is healed and quiet.
      std::optional<int64_t> max_zxid;
      for (const auto& element : op.elements) {
        OpResult one;
        if (!Call({"GET", SetElementKey(op.key, element)}, timeout, &reply, &one)) {
          res.outcome = Outcome::kInfo;  // a partial read-set is unknown, never fail
          res.error = one.error;
          res.elements.clear();
          return res;
        }
        if (reply.type == RespValue::Type::kBulk) res.elements.push_back(element);
        if (one.zxid) max_zxid = std::max(max_zxid.value_or(0), *one.zxid);
      }
      res.zxid = max_zxid;
      res.outcome = Outcome::kOk;
      return res;
    }
    default:
      res.outcome = Outcome::kFail;
      res.error = "operation not supported by zabd client";
      return res;
  }
}

}  // namespace faultline::harness
