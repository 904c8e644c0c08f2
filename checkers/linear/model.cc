#include "checkers/linear/model.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string_view>
#include <unordered_map>

#include "checkers/linear/kv_string_model.h"

namespace faultline::checkers {
namespace {

constexpr uint32_t kNil = 0;                 // value id of nil / absent
constexpr uint64_t kNoState = ~uint64_t{0};  // memoized "illegal" transition

// Interns strings; id 0 is nil.
class ValueTable {
 public:
  ValueTable() { strings_.emplace_back(); }
  uint32_t Id(const std::optional<std::string>& v) { return v ? Id(*v) : kNil; }
  uint32_t Id(const std::string& v) {
    auto [it, inserted] = ids_.try_emplace(v, static_cast<uint32_t>(strings_.size()));
    if (inserted) strings_.push_back(v);
    return it->second;
  }
  std::string Describe(uint32_t id) const {
    return id == kNil ? std::string("nil") : fmt::format("{:?}", strings_[id]);
  }
  const std::string& Str(uint32_t id) const { return strings_[id]; }  // nil -> ""
  size_t size() const { return strings_.size(); }

 private:
  std::unordered_map<std::string, uint32_t> ids_;
  std::vector<std::string> strings_;
};

// Interns vectors of ids (set contents, multi-register contents) into state ids.
class VectorTable {
 public:
  uint64_t Id(const std::vector<uint32_t>& v) {
    std::string k(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(uint32_t));
    auto [it, inserted] = ids_.try_emplace(std::move(k), vecs_.size());
    if (inserted) vecs_.push_back(v);
    return it->second;
  }
  const std::vector<uint32_t>& Get(uint64_t id) const { return vecs_[id]; }

 private:
  std::unordered_map<std::string, uint64_t> ids_;
  std::vector<std::vector<uint32_t>> vecs_;
};

// Memo of (state, op) -> next state for models whose step is expensive (string/vector building).
class TransitionCache {
 public:
  bool Find(uint64_t state, int i, uint64_t* next) const {
    auto it = map_.find(Key(state, i));
    if (it == map_.end()) return false;
    *next = it->second;
    return true;
  }
  void Put(uint64_t state, int i, uint64_t next) { map_[Key(state, i)] = next; }

 private:
  static uint64_t Key(uint64_t state, int i) { return (state << 24) ^ static_cast<uint64_t>(i); }
  std::unordered_map<uint64_t, uint64_t> map_;
};

// register / cas-register / kv: the state is the value id of the key.
class RegisterModel : public PartitionModel {
 public:
  RegisterModel(const ModelOptions& o, const std::vector<const Op*>& ops,
                const std::optional<std::string>& initial)
      : ops_(ops), any_nil_(o.nil_read_matches_anything) {
    init_ = values_.Id(initial);
    a_.resize(ops.size());
    b_.resize(ops.size());
    for (size_t i = 0; i < ops.size(); ++i) {
      a_[i] = values_.Id(ops[i]->value);
      b_[i] = values_.Id(ops[i]->expected);
    }
    ClassifyUnacknowledged();
  }
  bool Irrelevant(int i) const override { return irrelevant_[i] != 0; }
  uint64_t Init() override { return init_; }
  bool Step(uint64_t s, int i, uint64_t* next) override {
    const Op& op = *ops_[i];
    switch (op.f) {
      case Fn::kRead:
        *next = s;
        return (a_[i] == kNil && any_nil_) || s == a_[i];
      case Fn::kGet:
        *next = s;
        return s == a_[i] || (a_[i] != kNil && s == kNil && values_.Str(a_[i]).empty());
      case Fn::kWrite:
      case Fn::kPut:
        *next = a_[i];
        return true;
      case Fn::kDelete:
        *next = kNil;
        return true;
      case Fn::kCasMismatch:
        *next = s;
        return s != b_[i];
      case Fn::kCas:
        *next = a_[i];
        return s == b_[i];
      case Fn::kAppend: {
        if (cache_.Find(s, i, next)) return true;
        *next = values_.Id(values_.Str(static_cast<uint32_t>(s)) + values_.Str(a_[i]));
        cache_.Put(s, i, *next);
        return true;
      }
      default:
        return false;
    }
  }
  bool ReadOnly(int i) const override {
    return ops_[i]->f == Fn::kRead || ops_[i]->f == Fn::kGet || ops_[i]->f == Fn::kCasMismatch;
  }
  std::string DescribeState(uint64_t s) const override {
    return values_.Describe(static_cast<uint32_t>(s));
  }
  // (f, value, expected) packed: value ids are below 2 * ops + 1, so 28 bits each suffice for any
  // partition under 2^27 ops (bigger ones simply get no effect classes).
  uint64_t EffectClass(int i) const override {
    if (ops_.size() >= (size_t{1} << 27)) return kNoEffectClass;
    return (static_cast<uint64_t>(ops_[i]->f) << 56) | (static_cast<uint64_t>(b_[i]) << 28) | a_[i];
  }

 private:
  const std::vector<const Op*>& ops_;
  bool any_nil_;
  ValueTable values_;
  uint64_t init_ = kNil;
  std::vector<uint32_t> a_, b_;
  TransitionCache cache_;
  std::vector<char> irrelevant_;

  // Only for plain registers (read, write, cas, delete): an unacknowledged write or cas of a value
  // nobody observes (no acknowledged read of it, no cas at all expecting it) is irrelevant. In any
  // linearization the ops between it and the next write are reads, none of which can read its
  // value, and a cas right after it would have to expect its value, so leaving it out changes
  // nothing. (A "not swapped" cas observes every value but one, hence the restriction.)
  void ClassifyUnacknowledged() {
    irrelevant_.assign(ops_.size(), 0);
    for (const Op* op : ops_) {
      if (op->f != Fn::kRead && op->f != Fn::kWrite && op->f != Fn::kCas && op->f != Fn::kDelete) {
        return;
      }
    }
    std::vector<char> observed(values_.size(), 0);
    for (size_t i = 0; i < ops_.size(); ++i) {
      const Op& op = *ops_[i];
      if (op.f == Fn::kRead && op.ok() && !(a_[i] == kNil && any_nil_)) observed[a_[i]] = 1;
      if (op.f == Fn::kCas) observed[b_[i]] = 1;
    }
    for (size_t i = 0; i < ops_.size(); ++i) {
      const Op& op = *ops_[i];
      const bool acknowledged = op.ok() && !op.open();
      if (acknowledged || op.f == Fn::kRead) continue;
      irrelevant_[i] = !observed[op.f == Fn::kDelete ? kNil : a_[i]];
    }
  }
};

// set: the state is an interned sorted vector of element ids.
class SetModel : public PartitionModel {
 public:
  explicit SetModel(const std::vector<const Op*>& ops) : ops_(ops) {
    init_ = sets_.Id({});
    arg_.resize(ops.size());
    for (size_t i = 0; i < ops.size(); ++i) {
      if (ops[i]->f == Fn::kAdd) {
        arg_[i] = values_.Id(ops[i]->value);
      } else {
        std::vector<uint32_t> v;
        for (const auto& e : ops[i]->elements) v.push_back(values_.Id(e));
        std::sort(v.begin(), v.end());
        v.erase(std::unique(v.begin(), v.end()), v.end());
        arg_[i] = sets_.Id(v);
      }
    }
  }
  uint64_t Init() override { return init_; }
  bool Step(uint64_t s, int i, uint64_t* next) override {
    if (ops_[i]->f == Fn::kReadSet) {
      *next = s;
      return s == arg_[i];
    }
    if (cache_.Find(s, i, next)) return true;
    std::vector<uint32_t> v = sets_.Get(s);
    auto it = std::lower_bound(v.begin(), v.end(), static_cast<uint32_t>(arg_[i]));
    if (it == v.end() || *it != arg_[i]) v.insert(it, static_cast<uint32_t>(arg_[i]));
    *next = sets_.Id(v);
    cache_.Put(s, i, *next);
    return true;
  }
  bool ReadOnly(int i) const override { return ops_[i]->f == Fn::kReadSet; }
  std::string DescribeState(uint64_t s) const override {
    std::string out = "#{";
    for (uint32_t e : sets_.Get(s)) out += (out.size() > 2 ? " " : "") + values_.Describe(e);
    return out + "}";
  }

 private:
  const std::vector<const Op*>& ops_;
  ValueTable values_;
  VectorTable sets_;
  uint64_t init_;
  std::vector<uint64_t> arg_;
  TransitionCache cache_;
};

// mutex (Knossos): 0 free, 1 held; no owner tracking.
class MutexModel : public PartitionModel {
 public:
  explicit MutexModel(const std::vector<const Op*>& ops) : ops_(ops) {}
  uint64_t Init() override { return 0; }
  bool Step(uint64_t s, int i, uint64_t* next) override {
    bool acquire = ops_[i]->f == Fn::kAcquire;
    *next = acquire ? 1 : 0;
    return acquire ? s == 0 : s == 1;
  }
  bool ReadOnly(int) const override { return false; }
  std::string DescribeState(uint64_t s) const override { return s ? "held" : "free"; }

 private:
  const std::vector<const Op*>& ops_;
};

// multi-register (Knossos txn): the state is an interned vector, one value id per register.
class MultiRegisterModel : public PartitionModel {
 public:
  MultiRegisterModel(const ModelOptions& o, const std::vector<const Op*>& ops,
                     const std::optional<std::string>& initial)
      : ops_(ops), any_nil_(o.nil_read_matches_anything) {
    for (const Op* op : ops) {
      for (const TxnStep& st : op->txn) {
        registers_.try_emplace(st.key, static_cast<uint32_t>(registers_.size()));
        values_.Id(st.value);
      }
    }
    names_.resize(registers_.size());
    for (const auto& [k, v] : registers_) names_[v] = k;
    init_ = states_.Id(std::vector<uint32_t>(registers_.size(), values_.Id(initial)));
  }
  uint64_t Init() override { return init_; }
  bool Step(uint64_t s, int i, uint64_t* next) override {
    if (cache_.Find(s, i, next)) return *next != kNoState;
    std::vector<uint32_t> v = states_.Get(s);
    bool legal = true;
    for (const TxnStep& st : ops_[i]->txn) {
      uint32_t r = registers_.at(st.key);
      uint32_t val = values_.Id(st.value);
      if (st.is_write) {
        v[r] = val;
      } else if (!(val == kNil && any_nil_) && v[r] != val) {
        legal = false;
        break;
      }
    }
    *next = legal ? states_.Id(v) : kNoState;
    cache_.Put(s, i, *next);
    return legal;
  }
  bool ReadOnly(int i) const override {
    return std::none_of(ops_[i]->txn.begin(), ops_[i]->txn.end(),
                        [](const TxnStep& st) { return st.is_write; });
  }
  std::string DescribeState(uint64_t s) const override {
    std::string out = "{";
    const auto& v = states_.Get(s);
    for (size_t r = 0; r < v.size(); ++r) {
      out += fmt::format("{}{} {}", r ? ", " : "", names_[r], values_.Describe(v[r]));
    }
    return out + "}";
  }

 private:
  const std::vector<const Op*>& ops_;
  bool any_nil_;
  std::map<std::string, uint32_t> registers_;
  std::vector<std::string> names_;
  ValueTable values_;
  VectorTable states_;
  uint64_t init_;
  TransitionCache cache_;
};

bool Accepts(ModelKind kind, Fn f) {
  switch (kind) {
    case ModelKind::kRegister:
    case ModelKind::kCasRegister:
    case ModelKind::kKv:
      return f == Fn::kRead || f == Fn::kWrite || f == Fn::kCas || f == Fn::kDelete ||
             f == Fn::kGet || f == Fn::kPut || f == Fn::kAppend || f == Fn::kCasMismatch;
    case ModelKind::kSet:
      return f == Fn::kAdd || f == Fn::kReadSet;
    case ModelKind::kMutex:
      return f == Fn::kAcquire || f == Fn::kRelease;
    case ModelKind::kMultiRegister:
      return f == Fn::kTxn;
  }
  return false;
}

}  // namespace

std::unique_ptr<PartitionModel> MakePartitionModel(const ModelOptions& options,
                                                   const std::vector<const Op*>& ops,
                                                   const std::optional<std::string>& initial,
                                                   std::string* error) {
  for (const Op* op : ops) {
    if (!Accepts(options.kind, op->f)) {
      *error = fmt::format("op {} ({}) does not belong to the {} model", op->index, FnName(op->f),
                           ModelKindName(options.kind));
      return nullptr;
    }
  }
  bool porcupine_kv = !ops.empty() && std::all_of(ops.begin(), ops.end(), [](const Op* op) {
    return op->f == Fn::kGet || op->f == Fn::kPut || op->f == Fn::kAppend;
  });
  if (options.kind == ModelKind::kKv && porcupine_kv) return MakeKvStringModel(ops, initial);
  switch (options.kind) {
    case ModelKind::kRegister:
    case ModelKind::kCasRegister:
    case ModelKind::kKv:
      return std::make_unique<RegisterModel>(options, ops, initial);
    case ModelKind::kSet:
      return std::make_unique<SetModel>(ops);
    case ModelKind::kMutex:
      return std::make_unique<MutexModel>(ops);
    case ModelKind::kMultiRegister:
      return std::make_unique<MultiRegisterModel>(options, ops, initial);
  }
  *error = "unknown model";
  return nullptr;
}

}  // namespace faultline::checkers
