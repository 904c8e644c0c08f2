#include "harness/generator/op_generator.h"

#include <cmath>

namespace faultline::harness {
namespace {

constexpr size_t kRecentValuesPerKey = 4;  // cas expects one of these
constexpr const char* kSetKey = "s";

std::string KeyName(int i) { return "k" + std::to_string(i); }

}  // namespace

OpGenerator::OpGenerator(const WorkloadSpec& workload, double rate, uint64_t seed)
    : workload_(workload), rate_(rate), rng_(seed), recent_values_(workload.keys) {}

GeneratedOp OpGenerator::Next() {
  std::lock_guard<std::mutex> l(mu_);
  GeneratedOp g;
  checkers::Op& op = g.op;
  op.index = next_index_++;
  if (rate_ > 0) {
    g.due = std::chrono::nanoseconds(static_cast<int64_t>(std::llround(op.index * 1e9 / rate_)));
  }
  const std::string fresh = std::to_string(op.index);
  if (workload_.kind == WorkloadKind::kSet) {
    op.f = checkers::Fn::kAdd;
    op.key = kSetKey;
    op.value = fresh;
    elements_.push_back(fresh);
    return g;
  }
  // Draws use only rng_ (no std::*_distribution, whose output differs between libraries).
  int key = static_cast<int>(rng_() % static_cast<uint64_t>(workload_.keys));
  op.key = KeyName(key);
  double total = workload_.read_weight + workload_.write_weight + workload_.cas_weight;
  double x = static_cast<double>(rng_() >> 11) * 0x1.0p-53 * total;
  auto& recent = recent_values_[key];
  if (x < workload_.read_weight) {
    op.f = checkers::Fn::kRead;
    return g;
  }
  if (x < workload_.read_weight + workload_.cas_weight && !recent.empty()) {
    op.f = checkers::Fn::kCas;
    op.expected = recent[rng_() % recent.size()];
  } else {
    op.f = checkers::Fn::kWrite;
  }
  op.value = fresh;
  recent.push_back(fresh);
  if (recent.size() > kRecentValuesPerKey) recent.erase(recent.begin());
  return g;
}

std::vector<checkers::Op> OpGenerator::FinalReads() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<checkers::Op> out;
  if (workload_.kind == WorkloadKind::kSet) {
    checkers::Op op;
    op.f = checkers::Fn::kReadSet;
    op.key = kSetKey;
    op.elements = elements_;
    out.push_back(op);
    return out;
  }
  for (int k = 0; k < workload_.keys; ++k) {
    checkers::Op op;
    op.f = checkers::Fn::kRead;
    op.key = KeyName(k);
    out.push_back(op);
  }
  return out;
}

std::vector<std::string> OpGenerator::Keys() const {
  if (workload_.kind == WorkloadKind::kSet) return {kSetKey};
  std::vector<std::string> out;
  for (int k = 0; k < workload_.keys; ++k) out.push_back(KeyName(k));
  return out;
}

int64_t OpGenerator::generated() const {
  std::lock_guard<std::mutex> l(mu_);
  return next_index_;
}

}  // namespace faultline::harness
