// The optimized search (memo, greedy reads, viability pruning, hash-consed strings) against a
// brute-force enumeration of every order, on many small random histories.
#include <gtest/gtest.h>

#include <random>

#include "checkers/checkers.h"
#include "checkers/import/import.h"

namespace faultline::checkers {
namespace {

// Sequential semantics written independently of checkers/linear/model.cc.
bool Apply(const Op& op, std::optional<std::string>* state) {
  switch (op.f) {
    case Fn::kRead:
      return op.value == *state;
    case Fn::kWrite:
      *state = op.value;
      return true;
    case Fn::kCas:
      if (*state != op.expected) return false;
      *state = op.value;
      return true;
    case Fn::kCasMismatch:
      return *state != op.expected;
    case Fn::kGet:
      return state->value_or("") == op.value.value_or("");
    case Fn::kPut:
      *state = op.value;
      return true;
    case Fn::kAppend:
      *state = state->value_or("") + op.value.value_or("");
      return true;
    default:
      return false;
  }
}

bool Required(const Op& op) { return op.outcome == Outcome::kOk; }
int64_t Ret(const Op& op) { return Required(op) ? op.complete_ns : kOpenNs; }

// Tries every order of every subset containing all required ops (fail ops excluded).
bool BruteForce(const std::vector<Op>& ops, std::vector<bool>& done,
                const std::optional<std::string>& state) {
  bool all_required = true;
  for (size_t i = 0; i < ops.size(); ++i)
    all_required = all_required && (done[i] || !Required(ops[i]));
  if (all_required) return true;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (done[i]) continue;
    bool blocked = false;  // a pending required op returned before this one was invoked
    for (size_t j = 0; j < ops.size() && !blocked; ++j) {
      blocked = j != i && !done[j] && Required(ops[j]) && Ret(ops[j]) < ops[i].invoke_ns;
    }
    if (blocked) continue;
    std::optional<std::string> next = state;
    if (!Apply(ops[i], &next)) continue;
    done[i] = true;
    bool ok = BruteForce(ops, done, next);
    done[i] = false;
    if (ok) return true;
  }
  return false;
}

// `info_heavy`: up to 8 ops, half of them timed out, over two values, so the search's rules for
// ops that may never take effect (twins, subsumption, acknowledged ops first) are exercised.
History RandomHistory(std::mt19937& rng, bool strings, bool info_heavy = false) {
  History h;
  h.initial_value = strings ? std::optional<std::string>("") : std::nullopt;
  int n = std::uniform_int_distribution<int>(1, info_heavy ? 8 : 7)(rng);
  for (int i = 0; i < n; ++i) {
    Op op;
    op.index = i;
    op.process = i;
    op.invoke_ns = std::uniform_int_distribution<int>(0, 10)(rng);
    op.complete_ns = op.invoke_ns + std::uniform_int_distribution<int>(0, 6)(rng);
    int kind = std::uniform_int_distribution<int>(0, 2)(rng);
    int out = std::uniform_int_distribution<int>(0, 9)(rng);
    const int ok_below = info_heavy ? 5 : 7;
    op.outcome = out < ok_below ? Outcome::kOk : out < 9 ? Outcome::kInfo : Outcome::kFail;
    std::string v = std::to_string(std::uniform_int_distribution<int>(0, info_heavy ? 1 : 2)(rng));
    if (strings) {
      op.f = kind == 0 ? Fn::kGet : kind == 1 ? Fn::kPut : Fn::kAppend;
      if (op.f == Fn::kGet) {
        const char* seen[] = {"", "a", "b", "ab", "ba", "p", "pa", "a"};
        op.value = seen[std::uniform_int_distribution<int>(0, 7)(rng)];
      } else {
        op.value = op.f == Fn::kPut ? "p" : (i % 2 ? "a" : "b");
        if (op.f == Fn::kAppend && i >= 2) op.value = "ab"[i % 2] + std::to_string(i);
      }
    } else {
      op.f = kind == 0 ? Fn::kRead : kind == 1 ? Fn::kWrite : Fn::kCas;
      op.value = v;
      if (op.f == Fn::kRead && out == 0) op.value.reset();        // a read of nil
      if (op.f == Fn::kCas && out == 1) op.f = Fn::kCasMismatch;  // an ok "not swapped"
      if (op.f == Fn::kCas || op.f == Fn::kCasMismatch)
        op.expected =
            std::to_string(std::uniform_int_distribution<int>(0, info_heavy ? 1 : 2)(rng));
    }
    h.ops.push_back(op);
  }
  return h;
}

void CompareOnRandomHistories(bool strings, uint32_t seed, bool info_heavy = false) {
  std::mt19937 rng(seed);
  ModelOptions m;
  m.kind = strings ? ModelKind::kKv : ModelKind::kCasRegister;
  Budget budget;
  budget.threads = 1;
  budget.shrink = false;
  int invalid = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    History h = RandomHistory(rng, strings, info_heavy);
    std::vector<Op> live;
    for (const Op& op : h.ops) {
      bool read = op.f == Fn::kRead || op.f == Fn::kGet || op.f == Fn::kCasMismatch;
      if (op.outcome == Outcome::kFail || (read && op.outcome != Outcome::kOk)) continue;
      live.push_back(op);
    }
    std::vector<bool> done(live.size(), false);
    bool expected = BruteForce(live, done, h.initial_value);
    Verdict v = CheckLinearizable(h, m, budget).verdict;
    invalid += !expected;
    ASSERT_EQ(v, expected ? Verdict::kValid : Verdict::kInvalid)
        << "seed " << seed << " iteration " << iter << "\n"
        << ExportJsonl(h);
  }
  EXPECT_GT(invalid, 100);  // the generator exercises both verdicts
}

TEST(RandomHistories, CasRegisterSearchAgreesWithBruteForce) { CompareOnRandomHistories(false, 7); }
TEST(RandomHistories, KvStringSearchAgreesWithBruteForce) { CompareOnRandomHistories(true, 11); }
TEST(RandomHistories, CasRegisterWithManyTimedOutOpsAgreesWithBruteForce) {
  CompareOnRandomHistories(false, 13, true);
}

}  // namespace
}  // namespace faultline::checkers
