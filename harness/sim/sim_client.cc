#include "harness/sim/sim_client.h"

#include <algorithm>

namespace faultline::harness::sim {

using checkers::Fn;
using checkers::Outcome;

SimClient::SimClient(World* world, NodeId node, zab::ReadMode read_mode)
    : world_(world), node_(node), read_mode_(read_mode) {}

void SimClient::Begin(const checkers::Op& op, uint64_t deadline_ms) {
  op_ = op;
  deadline_ms_ = deadline_ms;
  result_ = OpResult{};
  if (!world_->up(node_)) {
    phase_ = Phase::kDone;
    result_.outcome = Outcome::kFail;  // nothing left the client
    result_.error = "connection refused (node down)";
    return;
  }
  if (world_->paused(node_)) {
    phase_ = Phase::kHeld;
    incarnation_ = world_->incarnation(node_);
    return;
  }
  Submit();
}

void SimClient::Submit() {
  incarnation_ = world_->incarnation(node_);
  phase_ = Phase::kInFlight;
  switch (op_.f) {
    case Fn::kRead:
    case Fn::kGet:
      request_id_ = world_->SubmitRead(node_, op_.key, read_mode_);
      return;
    case Fn::kWrite:
    case Fn::kPut:
      request_id_ =
          world_->SubmitWrite(node_, kv::Op{kv::OpType::kSet, op_.key, op_.value.value_or(""), ""});
      return;
    case Fn::kCas:
      request_id_ = world_->SubmitWrite(
          node_,
          kv::Op{kv::OpType::kCas, op_.key, op_.value.value_or(""), op_.expected.value_or("")});
      return;
    case Fn::kDelete:
      request_id_ = world_->SubmitWrite(node_, kv::Op{kv::OpType::kDel, op_.key, "", ""});
      return;
    case Fn::kAdd: {  // ZabdClient::SetElementKey: one key per element
      const std::string element = op_.value.value_or("");
      request_id_ = world_->SubmitWrite(
          node_, kv::Op{kv::OpType::kSet, op_.key + ":" + element, element, ""});
      return;
    }
    default:
      phase_ = Phase::kDone;
      result_.outcome = Outcome::kFail;
      result_.error = "operation not supported by the simulated zabd client";
      return;
  }
}

std::optional<uint64_t> SimClient::WakeMs() const {
  switch (phase_) {
    case Phase::kIdle:
      return std::nullopt;
    case Phase::kDone:
      return 0;
    case Phase::kHeld:
      if (!world_->paused(node_) || world_->incarnation(node_) != incarnation_) return 0;
      return deadline_ms_;
    case Phase::kInFlight:
      if (world_->incarnation(node_) != incarnation_ || world_->HasReply(node_, request_id_)) return 0;
      return deadline_ms_;
  }
  return std::nullopt;
}

std::optional<OpResult> SimClient::Poll() {
  if (phase_ == Phase::kHeld) {
    if (world_->incarnation(node_) != incarnation_) {
      phase_ = Phase::kDone;
      result_.outcome = Outcome::kInfo;  // the connection was accepted, then the process died
      result_.error = "connection lost (node died while paused)";
    } else if (!world_->paused(node_)) {
      Submit();
    }
  }
  if (phase_ == Phase::kInFlight) {
    if (std::optional<zab::ClientReply> r = world_->Reply(node_, request_id_)) {
      phase_ = Phase::kDone;
      if (r->status == zab::ReplyStatus::kOk) {
        result_.outcome = Outcome::kOk;
        result_.zxid = static_cast<int64_t>(r->zxid.value);
        if (op_.f == Fn::kRead || op_.f == Fn::kGet) result_.value = r->value;
        if (op_.f == Fn::kCas && !r->applied) {
          result_.outcome = Outcome::kFail;  // CAS :0 — compared unequal, certainly no swap
          result_.error = "cas mismatch";
        }
      } else {
        result_.outcome =
            r->status == zab::ReplyStatus::kNotApplied ? Outcome::kFail : Outcome::kInfo;
        result_.error =
            (r->status == zab::ReplyStatus::kNotApplied ? "NOTAPPLIED " : "UNKNOWN ") + r->error;
      }
    } else if (world_->incarnation(node_) != incarnation_) {
      phase_ = Phase::kDone;
      result_.outcome = Outcome::kInfo;
      result_.error = "connection lost after sending (node died)";
    }
  }
  if (phase_ != Phase::kDone && world_->now_ms() >= deadline_ms_) {
    phase_ = Phase::kDone;
    result_.outcome = Outcome::kInfo;
    result_.error = "timeout";
  }
  if (phase_ != Phase::kDone) return std::nullopt;
  phase_ = Phase::kIdle;
  return result_;
}

OpResult SimClient::Invoke(const checkers::Op& op, std::chrono::milliseconds timeout) {
  if (op.f == Fn::kReadSet) return ReadSet(op, timeout);
  const uint64_t deadline = world_->now_ms() + static_cast<uint64_t>(timeout.count());
  Begin(op, deadline);
  std::optional<OpResult> r;
  world_->RunUntil(deadline, [&] { return (r = Poll()).has_value(); });
  if (!r) r = Poll();  // the deadline has passed: a timeout
  return *r;
}

OpResult SimClient::ReadSet(const checkers::Op& op, std::chrono::milliseconds timeout) {
  OpResult res;
  std::optional<int64_t> max_zxid;
  for (const auto& element : op.elements) {
    checkers::Op get = op;
    get.f = Fn::kRead;
    get.key = op.key + ":" + element;
    OpResult one = Invoke(get, timeout);
    if (one.outcome != Outcome::kOk) {
      res.outcome = Outcome::kInfo;  // a partial read-set is unknown, never fail
      res.error = one.error;
      res.elements.clear();
      return res;
    }
    if (one.value) res.elements.push_back(element);
    if (one.zxid) max_zxid = std::max(max_zxid.value_or(0), *one.zxid);
  }
  res.zxid = max_zxid;
  res.outcome = Outcome::kOk;
  return res;
}

}  // namespace faultline::harness::sim
