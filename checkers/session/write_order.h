// What the session checkers (session order, stale reads) agree on about writes: which ops write
// or read a register, and when one write certainly took effect before another.
#pragma once

#include "checkers/history.h"

namespace faultline::checkers::session {

inline bool IsWrite(const Op& op) {
  return op.f == Fn::kWrite || op.f == Fn::kPut || op.f == Fn::kCas;
}
inline bool IsRead(const Op& op) { return op.f == Fn::kRead || op.f == Fn::kGet; }

// True when write a certainly took effect before write b: by zxid when both carry one, else a is
// ok and completed before b was invoked. An info write may take effect at any point after its
// invoke, even after its (timed-out) completion, so real time never orders it first.
inline bool Precedes(const Op& a, const Op& b) {
  if (a.zxid && b.zxid) return *a.zxid < *b.zxid;
  return a.ok() && !a.open() && a.complete_ns < b.invoke_ns;
}

}  // namespace faultline::checkers::session
