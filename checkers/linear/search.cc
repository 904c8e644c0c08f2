#include "checkers/linear/search.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <optional>
#include <unordered_map>
#include <utility>

namespace faultline::checkers {
namespace {

uint64_t Mix(uint64_t x) {  // splitmix64 finalizer
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Memo of visited (linearized bitset, state) configurations, with subsumption: a configuration
// is "seen" when the memo holds one with the same state, the same linearized required ops and a
// subset of its linearized unrequired ops. That one can do everything this one can (an unrequired
// op never has to be linearized and never blocks another), so this one adds nothing.
// Soundness (with entries still on the search path too): a configuration reaching a goal in d
// steps is only ever pruned for one that reaches it in at most d steps and was itself visited, so
// the visited configuration closest to a goal would have a visited successor closer still.
class Memo {
 public:
  // `required` marks the ops that must be linearized (one bit per op).
  // `ops` sizes the first table (small histories must not pay for a big one).
  Memo(int ops, int words, std::vector<uint64_t> required)
      : words_(words), required_(std::move(required)) {
    size_t cap = 64;
    while (cap < static_cast<size_t>(ops) * 4 && cap < (size_t{1} << 12)) cap *= 2;
    Resize(cap);
  }

  // Inserts; returns false if already present or subsumed. `required_hash` is the Zobrist hash of
  // the required ops in `bits`.
  bool Insert(const uint64_t* bits, uint64_t required_hash, uint64_t state) {
    if ((size_ + 1) * 2 > cap_) Resize(cap_ * 2);
    uint64_t h = Mix(required_hash ^ Mix(state)) | 1;
    size_t replace = SIZE_MAX;  // an entry this configuration subsumes: overwritten in place
    for (size_t i = h & (cap_ - 1);; i = (i + 1) & (cap_ - 1)) {
      if (hashes_[i] == 0) {
        if (replace != SIZE_MAX) {
          std::copy(bits, bits + words_, arena_.data() + offsets_[replace]);
          return true;
        }
        hashes_[i] = h;
        states_[i] = state;
        offsets_[i] = arena_.size();
        arena_.insert(arena_.end(), bits, bits + words_);
        ++size_;
        return true;
      }
      if (hashes_[i] != h || states_[i] != state) continue;
      const uint64_t* old = arena_.data() + offsets_[i];
      if (Subsumes(old, bits)) return false;
      if (replace == SIZE_MAX && Subsumes(bits, old)) replace = i;
    }
  }
  int64_t Bytes() const {
    return static_cast<int64_t>(cap_ * (sizeof(uint64_t) * 3) +
                                arena_.capacity() * sizeof(uint64_t));
  }

 private:
  void Resize(size_t cap) {
    std::vector<uint64_t> h(cap, 0), s(cap), o(cap);
    for (size_t i = 0; i < cap_; ++i) {
      if (hashes_[i] == 0) continue;
      size_t j = hashes_[i] & (cap - 1);
      while (h[j] != 0) j = (j + 1) & (cap - 1);
      h[j] = hashes_[i];
      s[j] = states_[i];
      o[j] = offsets_[i];
    }
    hashes_.swap(h);
    states_.swap(s);
    offsets_.swap(o);
    cap_ = cap;
  }

  // Same required ops, and old's unrequired ops are a subset of now's.
  bool Subsumes(const uint64_t* old, const uint64_t* now) const {
    for (int w = 0; w < words_; ++w) {
      if (((old[w] ^ now[w]) & required_[w]) != 0 || (old[w] & ~now[w]) != 0) return false;
    }
    return true;
  }

  int words_;
  std::vector<uint64_t> required_;
  size_t cap_ = 0;
  size_t size_ = 0;
  std::vector<uint64_t> hashes_, states_, offsets_;
  std::vector<uint64_t> arena_;
};

struct Node {
  int op = -1;
  bool call = false;
  bool watched = false;  // also on the side list of entries the model's Viable reads
  int prev = 0, next = 0;
  int wprev = 0, wnext = 0;  // side list links
  int match = 0;             // the other node of the same op
};

}  // namespace

SearchResult SearchLinearization(PartitionModel& model, const std::vector<SearchOp>& ops,
                                 const SearchLimits& limits) {
  SearchResult result;
  const int n = static_cast<int>(ops.size());
  if (std::none_of(ops.begin(), ops.end(), [](const SearchOp& op) { return op.required; })) {
    result.verdict = Verdict::kValid;
    return result;
  }

  // must[i]: op i has to be linearized (acknowledged); skip[i]: it never needs to be tried
  // (PartitionModel::Irrelevant).
  std::vector<char> must(n), skip(n);
  int required_total = 0;
  for (int i = 0; i < n; ++i) {
    must[i] = ops[i].required;
    skip[i] = !must[i] && model.Irrelevant(i);
    required_total += must[i];
  }
  int required_left = required_total;

  // Entry list: node 0 is the head sentinel; node 1 + 2i is op i's call, 2 + 2i its return.
  struct Event {
    int64_t time;
    int kind;  // 0 call, 1 return
    int op;
  };
  std::vector<Event> events;
  events.reserve(2 * n);
  for (int i = 0; i < n; ++i) {
    events.push_back({ops[i].call, 0, i});
    // An op that need not be linearized never blocks another: its return is at infinity.
    events.push_back({ops[i].required ? ops[i].ret : kOpenNs, 1, i});
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    if (a.time != b.time) return a.time < b.time;
    if (a.kind != b.kind) return a.kind < b.kind;
    return a.op < b.op;
  });
  std::vector<Node> nodes(2 * n + 1);
  int prev = 0;
  for (const Event& ev : events) {
    int id = ev.kind == 0 ? 1 + 2 * ev.op : 2 + 2 * ev.op;
    nodes[id].op = ev.op;
    nodes[id].call = ev.kind == 0;
    nodes[id].match = ev.kind == 0 ? id + 1 : id - 1;
    nodes[id].prev = prev;
    nodes[prev].next = id;
    prev = id;
  }
  nodes[prev].next = 0;
  nodes[0].prev = prev;
  // Interchangeable unrequired ops (same effect class, never return): `twin[i]` is the previous
  // one in call order. Only the earliest unlinearized op of a class is tried, so the linearized
  // ops of each class are always a prefix in call order (no permutations of twins in the memo).
  std::vector<int> twin(n, -1);
  {
    std::unordered_map<uint64_t, int> last;
    for (int id = nodes[0].next; id != 0; id = nodes[id].next) {
      const int op = nodes[id].op;
      if (!nodes[id].call || must[op]) continue;
      const uint64_t c = model.EffectClass(op);
      if (c == PartitionModel::kNoEffectClass) continue;
      auto [it, inserted] = last.try_emplace(c, op);
      if (!inserted) twin[op] = std::exchange(it->second, op);
    }
  }
  // Side list of watched entries, in the same order.
  bool any_watched = false;
  int wprev = 0;
  for (int id = nodes[0].next; id != 0; id = nodes[id].next) {
    if (!model.Watched(nodes[id].op, nodes[id].call)) continue;
    any_watched = true;
    nodes[id].watched = true;
    nodes[id].wprev = wprev;
    nodes[wprev].wnext = id;
    wprev = id;
  }
  nodes[wprev].wnext = 0;
  nodes[0].wprev = wprev;

  auto unlink = [&](int id) {
    Node& x = nodes[id];
    nodes[x.prev].next = x.next;
    nodes[x.next].prev = x.prev;
    if (x.watched) {
      nodes[x.wprev].wnext = x.wnext;
      nodes[x.wnext].wprev = x.wprev;
    }
  };
  auto lift = [&](int call) {
    unlink(call);
    unlink(nodes[call].match);
  };
  // Reinsertion in LIFO order: each node's own prev/next are still its old neighbours.
  auto relink = [&](int id) {
    Node& x = nodes[id];
    nodes[x.prev].next = id;
    nodes[x.next].prev = id;
    if (x.watched) {
      nodes[x.wprev].wnext = id;
      nodes[x.wnext].wprev = id;
    }
  };

  std::vector<uint64_t> zobrist(n);
  for (int i = 0; i < n; ++i) zobrist[i] = Mix(0x5eed0000ULL + static_cast<uint64_t>(i));
  const int words = (n + 63) / 64;
  std::vector<uint64_t> bits(words, 0);
  uint64_t required_hash = 0;
  std::vector<uint64_t> required_bits(words, 0);
  for (int i = 0; i < n; ++i) {
    if (must[i]) required_bits[i >> 6] |= uint64_t{1} << (i & 63);
  }
  Memo memo(n, words, required_bits);
  int64_t reported_bytes = 0;
  auto account = [&]() -> bool {  // false when over the memory budget
    int64_t bytes = memo.Bytes() + model.MemoryBytes();
    if (limits.memory_used != nullptr) {
      int64_t now = limits.memory_used->fetch_add(bytes - reported_bytes) + bytes - reported_bytes;
      if (limits.memory_peak != nullptr) {
        int64_t peak = limits.memory_peak->load();
        while (now > peak && !limits.memory_peak->compare_exchange_weak(peak, now)) {
        }
      }
      reported_bytes = bytes;
      return now <= limits.memory_limit_bytes;
    }
    reported_bytes = bytes;
    return bytes <= limits.memory_limit_bytes;
  };

  // Asks the model whether `next` (reached by linearizing the op of call node `e`) can still
  // satisfy the next pending returns, given the calls before them. Not asked after a read: the
  // state is unchanged and the constraints are a subset of those it already passed.
  constexpr int kViableReturns = 1024;  // far gets matter (c50-bad key 0); bounds the scan
  std::vector<PartitionModel::Entry> upcoming;
  auto Viable = [&](uint64_t next, int e) {
    if (!any_watched) return true;
    upcoming.clear();
    int returns = 0;
    for (int x = nodes[0].wnext; x != 0 && returns < kViableReturns; x = nodes[x].wnext) {
      if (x == e || x == nodes[e].match) continue;
      upcoming.push_back({nodes[x].op, nodes[x].call});
      returns += nodes[x].call ? 0 : 1;
    }
    return model.Viable(next, upcoming);
  };
  struct Frame {
    int node;
    uint64_t state;
    bool forced;  // a read-only op linearized greedily: never branched on
    bool unrequired_pass;
  };
  std::vector<Frame> stack;
  stack.reserve(n);
  const std::vector<Node> initial_nodes = nodes;  // each attempt starts from the full list
  uint64_t state = model.Init();
  size_t best_depth = 0;
  int64_t iterations = 0;
  auto finish = [&](Verdict v, std::string reason) {
    result.verdict = v;
    result.reason = std::move(reason);
    result.cache_bytes = memo.Bytes();
    account();  // records this search's peak in the shared counters before releasing it
    if (limits.memory_used != nullptr) limits.memory_used->fetch_sub(reported_bytes);
    return result;
  };
  auto toggle = [&](int op) {
    bits[op >> 6] ^= uint64_t{1} << (op & 63);
    if (must[op]) required_hash ^= zobrist[op];
  };

  // One attempt of the search in one candidate order, given up (nullopt) after `budget` states:
  //   two_pass: each configuration tries the ops that must be linearized first, then those that
  //     may never take effect (info, open), whose calls stay in the list to the end and would
  //     otherwise be tried first every time (Jepsen etcd logs: 54,916 -> 8,359 states);
  //   otherwise: entry order (Porcupine's), better when timed-out ops took effect promptly (a
  //     generated nightly register key of 7,134 ops: 7,245 states against over 200,000).
  // Both explore the same space, so each decides alone; see the schedule below.
  auto attempt = [&](bool two_pass, int64_t budget) -> std::optional<SearchResult> {
    const int64_t budget_end = result.states_explored + budget;
    nodes = initial_nodes;
    std::fill(bits.begin(), bits.end(), 0);
    required_hash = 0;
    required_left = required_total;
    stack.clear();
    state = model.Init();
    best_depth = 0;
    result.best_prefix.clear();
    memo = Memo(n, words, required_bits);
    int e = nodes[0].next;
    bool unrequired_pass = false;
    while (true) {
      if ((++iterations & 0xfff) == 0) {
        if (!account()) {
          return finish(Verdict::kUnknown,
                        fmt::format("memory budget of {} MB exceeded after {} states",
                                    limits.memory_limit_bytes >> 20, result.states_explored));
        }
        if (std::chrono::steady_clock::now() > limits.deadline) {
          return finish(Verdict::kUnknown, fmt::format("time budget exceeded after {} states",
                                                       result.states_explored));
        }
        if (limits.stop != nullptr && limits.stop->load(std::memory_order_relaxed)) {
          return finish(Verdict::kUnknown, "stopped: another key is invalid");
        }
      }
      assert(e != 0 && "a required op's return is always ahead");
      const Node& node = nodes[e];
      bool backtrack = !node.call;
      if (backtrack && two_pass && !unrequired_pass) {
        unrequired_pass = true;
        e = nodes[0].next;
        continue;
      }
      if (node.call) {
        const int op = node.op;
        if (skip[op] || (two_pass && must[op] == unrequired_pass)) {
          e = node.next;
          continue;
        }
        const bool read_only = model.ReadOnly(op);
        uint64_t next;
        const bool twin_waiting =
            twin[op] >= 0 && (bits[twin[op] >> 6] & (uint64_t{1} << (twin[op] & 63))) == 0;
        if (twin_waiting) {
          e = node.next;
          continue;
        }
        if (model.Step(state, op, &next) && (read_only || Viable(next, e))) {
          toggle(op);
          if (memo.Insert(bits.data(), required_hash, next)) {
            stack.push_back({e, state, read_only, unrequired_pass});
            if (++result.states_explored > budget_end) return std::nullopt;
            state = next;
            lift(e);
            if (must[op] && --required_left == 0) {
              return finish(Verdict::kValid, "");
            }
            if (stack.size() > best_depth) {
              best_depth = stack.size();
              result.best_prefix.clear();
              for (const Frame& f : stack) result.best_prefix.push_back(nodes[f.node].op);
            }
            e = nodes[0].next;
            unrequired_pass = false;
            continue;
          }
          toggle(op);
          // A legal read whose successor configuration already failed: this one fails too.
          backtrack = read_only;
        }
        if (!backtrack) {
          e = node.next;
          continue;
        }
      }
      // Backtrack: the first return in the list belongs to an op we could not linearize.
      while (true) {
        if (stack.empty()) {
          int stuck = -1;
          std::vector<bool> in_prefix(n, false);
          for (int op : result.best_prefix) in_prefix[op] = true;
          for (int i = 0; i < n; ++i) {
            if (ops[i].required && !in_prefix[i] && (stuck < 0 || ops[i].ret < ops[stuck].ret)) {
              stuck = i;
            }
          }
          result.stuck_op = stuck;
          return finish(Verdict::kInvalid, "no linearization");
        }
        Frame f = stack.back();
        stack.pop_back();
        const int op = nodes[f.node].op;
        relink(nodes[f.node].match);
        relink(f.node);
        toggle(op);
        state = f.state;
        if (must[op]) ++required_left;
        if (!f.forced) {
          e = nodes[f.node].next;
          unrequired_pass = f.unrequired_pass;
          break;
        }
      }
    }
  };

  // The two orders take turns with growing budgets until one decides (or a limit ends it): at
  // most about three times the states of the better order, never a different verdict.
  for (int64_t budget = std::max<int64_t>(4096, 2 * int64_t{n});; budget *= 4) {
    for (bool two_pass : {true, false}) {
      if (std::optional<SearchResult> r = attempt(two_pass, budget)) return *r;
    }
  }
}

}  // namespace faultline::checkers
