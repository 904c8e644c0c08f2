#include "harness/systems/etcd/etcd_client.h"

#include <algorithm>
#include <set>

#include "harness/systems/etcd/gateway.h"
#include "harness/systems/etcd/http_connection.h"

namespace faultline::harness::etcd {

using checkers::Fn;
using checkers::Outcome;

EtcdClient::EtcdClient(std::string host, int port, ReadMode read_mode, int64_t node)
    : conn_(std::make_unique<HttpConnection>(std::move(host), port)),
      read_mode_(read_mode),
      node_(node) {}

EtcdClient::~EtcdClient() = default;

void EtcdClient::Reset() { conn_->Close(); }

std::string EtcdClient::SetElementKey(const std::string& key, const std::string& element) {
  return key + ":" + element;
}

bool EtcdClient::Call(std::string_view path, const std::string& request,
                      std::chrono::milliseconds timeout, std::string* body, OpResult* result) {
  HttpResult r = conn_->Post(std::string(path), request, timeout);
  switch (r.kind) {
    case HttpResult::Kind::kNotSent:
      result->outcome = Outcome::kFail;  // nothing left the client: certainly not applied
      result->error = r.error;
      return false;
    case HttpResult::Kind::kTimeout:
    case HttpResult::Kind::kLostAfterSend:
      result->outcome = Outcome::kInfo;  // may or may not have been applied
      result->error = r.error;
      return false;
    case HttpResult::Kind::kReply:
      break;
  }
  if (r.status != 200) {
    GatewayError e = ParseError(r.status, r.body);
    result->outcome = RejectedBeforeProposal(e) ? Outcome::kFail : Outcome::kInfo;
    result->error = e.ToString();
    return false;
  }
  *body = std::move(r.body);
  return true;
}

OpResult EtcdClient::Invoke(const checkers::Op& op, std::chrono::milliseconds timeout) {
  OpResult res;
  std::string body;
  const bool serializable = read_mode_ == ReadMode::kSerializable;
  // A 200 whose body is not what etcd sends: unknown (client.h: anything unexpected is info).
  auto corrupt = [&](const Status& s) {
    res.outcome = Outcome::kInfo;
    res.error = s.message();
    return res;
  };
  auto write_done = [&](const Result<ResponseHeader>& h) {
    if (!h.ok()) return corrupt(h.status());
    res.outcome = Outcome::kOk;
    res.zxid = h.value().revision;
    return res;
  };
  switch (op.f) {
    case Fn::kRead:
    case Fn::kGet: {
      if (!Call(kRangePath, RangeRequest(op.key, serializable), timeout, &body, &res)) {
        return res;
      }
      auto r = ParseRange(body);
      if (!r.ok()) return corrupt(r.status());
      res.value.reset();
      for (const KeyValue& kv : r.value().kvs) {
        if (kv.key == op.key) res.value = kv.value;
      }
      res.outcome = Outcome::kOk;
      res.zxid = r.value().header.revision;
      return res;
    }
    case Fn::kWrite:
    case Fn::kPut:
      if (!Call(kPutPath, PutRequest(op.key, op.value.value_or("")), timeout, &body, &res)) {
        return res;
      }
      return write_done(ParseHeader(body));
    case Fn::kCas: {
      if (!Call(kTxnPath, CasRequest(op.key, op.expected.value_or(""), op.value.value_or("")),
                timeout, &body, &res)) {
        return res;
      }
      auto t = ParseTxn(body);
      if (!t.ok()) return corrupt(t.status());
      res.zxid = t.value().header.revision;
      if (t.value().succeeded) {
        res.outcome = Outcome::kOk;
      } else {
        // Compared unequal (or the key was absent): the put certainly did not happen.
        res.outcome = Outcome::kFail;
        res.error = "cas mismatch";
        res.zxid.reset();  // the revision names no write of this op
      }
      return res;
    }
    case Fn::kDelete:
      if (!Call(kDeletePath, DeleteRequest(op.key), timeout, &body, &res)) return res;
      return write_done(ParseHeader(body));
    case Fn::kAdd: {
      const std::string element = op.value.value_or("");
      if (!Call(kPutPath, PutRequest(SetElementKey(op.key, element), element), timeout, &body,
                &res)) {
        return res;
      }
      return write_done(ParseHeader(body));
    }
    case Fn::kReadSet: {
      const std::string prefix = op.key + ":";
      if (!Call(kRangePath, PrefixRangeRequest(prefix, serializable), timeout, &body, &res)) {
        return res;
      }
      auto r = ParseRange(body);
      if (!r.ok()) return corrupt(r.status());
      std::set<std::string> present;
      for (const KeyValue& kv : r.value().kvs) present.insert(kv.key.substr(prefix.size()));
      for (const std::string& element : op.elements) {
        if (present.count(element)) res.elements.push_back(element);
      }
      res.outcome = Outcome::kOk;
      res.zxid = r.value().header.revision;
      return res;
    }
    default:
      res.outcome = Outcome::kFail;
      res.error = "operation not supported by the etcd client";
      return res;
  }
}

}  // namespace faultline::harness::etcd
