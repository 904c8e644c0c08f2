// ZabdClient: the Client for zabd over RESP (docs/contracts.md section 1).
//
// Each connection turns on `ZXIDS ON` (so every ok op records the zxid it committed at or was
// served from) and, when `read_mode` is not empty, `READMODE <read_mode>`.
//
// Mapping: read -> GET, write -> SET, cas -> CAS (:0 = fail), add -> SET "<key>:<element>",
// read-set -> GET of every candidate element key (any failure -> info).
// Error replies: NOTAPPLIED / ERR -> fail; UNKNOWN and any other class -> info.
#pragma once

#include <memory>
#include <string>

#include "harness/client/client.h"
#include "harness/client/resp_connection.h"

namespace faultline::harness {

class ZabdClient : public Client {
 public:
  // `node` is only recorded with each op.
  ZabdClient(std::string host, int port, std::string read_mode = "", int64_t node = 0);
  OpResult Invoke(const checkers::Op& op, std::chrono::milliseconds timeout) override;
  void Reset() override { conn_.Close(); }
  int64_t node() const override { return node_; }

  // The element key used by the set workload.
  static std::string SetElementKey(const std::string& key, const std::string& element);

 private:
  // One command; fills outcome from transport and error classes; on a reply, *reply is the
  // unwrapped reply and result->zxid the zxid when present.
  bool Call(const std::vector<std::string>& args, std::chrono::milliseconds timeout,
            RespValue* reply, OpResult* result);
  RespConnection conn_;
  int64_t node_;
};

}  // namespace faultline::harness
