// Client: how a worker performs one operation against the system under test (Jepsen's Client).
// One Client per worker; a Client is used by one thread at a time.
//
// Outcome rules (docs/contracts.md sections 1 and 4): ok = it happened; fail = it certainly did
// not happen (nothing sent, -NOTAPPLIED, -ERR, a CAS that did not swap); info = unknown (-UNKNOWN,
// timeout, connection lost after sending, anything unexpected). A timeout is never a fail.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "checkers/history.h"

namespace faultline::harness {

struct OpResult {
  checkers::Outcome outcome = checkers::Outcome::kInfo;
  std::optional<std::string> value;   // ok read: observed value (nullopt = nil)
  std::vector<std::string> elements;  // ok read-set: elements present
  std::optional<int64_t> zxid;        // the zxid a write committed at / a read was served from
  std::string error;                  // fail / info: why
};

class Client {
 public:
  virtual ~Client() = default;
  // Performs `op` (f, key, value, expected). For Fn::kReadSet, op.elements lists the candidate
  // elements (every element ever added); the result lists those present.
  virtual OpResult Invoke(const checkers::Op& op, std::chrono::milliseconds timeout) = 0;
  // Drops any connection (e.g. after the process id changes); the next Invoke reconnects.
  virtual void Reset() {}
  // The node this client talks to (recorded with each op); 0 when not applicable.
  virtual int64_t node() const { return 0; }
};

}  // namespace faultline::harness
