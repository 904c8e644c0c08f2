// Test helper: builds hand-made histories tersely. Times are plain integers.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "checkers/history.h"

namespace faultline::checkers::testing {

class HistoryBuilder {
 public:
  // Adds an op; complete = kOpenNs for never completed.
  HistoryBuilder& Add(int64_t process, Fn f, std::optional<std::string> value, int64_t invoke,
                      int64_t complete, Outcome outcome = Outcome::kOk, std::string key = "") {
    Op op;
    op.index = static_cast<int64_t>(h_.ops.size());
    op.process = process;
    op.f = f;
    op.value = std::move(value);
    op.invoke_ns = invoke;
    op.complete_ns = complete;
    op.outcome = outcome;
    op.key = std::move(key);
    h_.ops.push_back(std::move(op));
    return *this;
  }
  HistoryBuilder& Write(int64_t p, std::string v, int64_t a, int64_t b, Outcome o = Outcome::kOk,
                        std::string key = "") {
    return Add(p, Fn::kWrite, std::move(v), a, b, o, std::move(key));
  }
  HistoryBuilder& Read(int64_t p, std::optional<std::string> v, int64_t a, int64_t b,
                       Outcome o = Outcome::kOk, std::string key = "") {
    return Add(p, Fn::kRead, std::move(v), a, b, o, std::move(key));
  }
  HistoryBuilder& Cas(int64_t p, std::string from, std::string to, int64_t a, int64_t b,
                      Outcome o = Outcome::kOk, std::string key = "") {
    Add(p, Fn::kCas, std::move(to), a, b, o, std::move(key));
    h_.ops.back().expected = std::move(from);
    return *this;
  }
  HistoryBuilder& WithZxid(int64_t zxid) {
    h_.ops.back().zxid = zxid;
    return *this;
  }
  HistoryBuilder& Fault(std::string kind, std::vector<int64_t> targets, int64_t a, int64_t b) {
    h_.faults.push_back({std::move(kind), std::move(targets), a, b, ""});
    return *this;
  }
  History& history() { return h_; }
  History Build() const { return h_; }

 private:
  History h_;
};

}  // namespace faultline::checkers::testing
