// EtcdClient: the Client (harness/client/client.h) for etcd 3.4 through its v3 JSON gateway.
//
// Mapping (one HTTP POST per op, keep-alive connection per client):
//   read     -> /v3/kv/range; linearizable by default, `serializable: true` in ReadMode::kLocal
//   write    -> /v3/kv/put
//   cas      -> /v3/kv/txn: compare value == expected, then put; succeeded=false -> fail
//               ("cas mismatch": the swap certainly did not happen)
//   delete   -> /v3/kv/deleterange
//   add      -> put "<key>:<element>" = element
//   read-set -> one range over the prefix "<key>:" (atomic, unlike zabd's per-element GETs)
// Every ok op records the revision in the response header as its zxid: the revision a write
// committed at, or the revision a read was served from. (etcd revisions count writes across the
// whole store; they are not zabd's epoch<<32|counter, but they order writes the same way.)
//
// Outcomes (docs/contracts.md section 4): connection refused / connect timeout = fail (nothing
// was sent); timeout or connection lost after sending = info, never fail; an HTTP error reply is
// fail only when it proves the request was rejected before proposal (RejectedBeforeProposal),
// else info (reads too: a timeout is never recorded as fail).
#pragma once

#include <memory>
#include <string>

#include "harness/client/client.h"

namespace faultline::harness::etcd {

class HttpConnection;

enum class ReadMode {
  kLinearizable,  // range through a quorum (ReadIndex): etcd's default
  kSerializable,  // `serializable: true`: the node's local state, possibly stale
};

class EtcdClient final : public Client {
 public:
  // `host:port` is the node's client URL; `node` is only recorded with each op.
  EtcdClient(std::string host, int port, ReadMode read_mode, int64_t node = 0);
  ~EtcdClient() override;
  OpResult Invoke(const checkers::Op& op, std::chrono::milliseconds timeout) override;
  void Reset() override;
  int64_t node() const override { return node_; }

  // The element key used by the set workload (the same scheme as ZabdClient).
  static std::string SetElementKey(const std::string& key, const std::string& element);

 private:
  // One POST; on an HTTP 200 fills *body and returns true, else sets result->outcome/error.
  bool Call(std::string_view path, const std::string& request, std::chrono::milliseconds timeout,
            std::string* body, OpResult* result);
  std::unique_ptr<HttpConnection> conn_;
  ReadMode read_mode_;
  int64_t node_;
};

}  // namespace faultline::harness::etcd
