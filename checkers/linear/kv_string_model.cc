#include "checkers/linear/kv_string_model.h"

#include <fmt/format.h>

#include <unordered_map>

namespace faultline::checkers {
namespace {

constexpr uint64_t kBase = 0x100000001b3ULL;  // odd multiplier of the rolling hash (mod 2^64)
constexpr uint32_t kNone = ~uint32_t{0};

uint64_t HashOf(const std::string& s) {
  uint64_t h = 0;
  for (unsigned char c : s) h = h * kBase + c + 1;
  return h;
}

class KvStringModel : public PartitionModel {
 public:
  KvStringModel(const std::vector<const Op*>& ops, const std::optional<std::string>& initial)
      : ops_(ops), info_(ops.size()) {
    for (size_t i = 0; i < ops.size(); ++i) {
      OpInfo& in = info_[i];
      const Op& op = *ops[i];
      in.kind = op.f == Fn::kRead ? Fn::kGet : op.f == Fn::kWrite ? Fn::kPut : op.f;
      in.text = op.value.value_or("");
      in.len = in.text.size();
      in.hash = HashOf(in.text);
      in.pow = 1;
      for (size_t k = 0; k < in.len; ++k) in.pow *= kBase;
      if (in.kind == Fn::kGet) {
        // Gets that saw the same string share one table of prefix hashes.
        auto [it, inserted] = prefix_ids_.try_emplace(in.text, prefixes_.size());
        if (inserted) {
          std::vector<uint32_t> p(in.len + 1);
          uint64_t h = 0;
          for (size_t k = 0; k < in.len; ++k) {
            h = h * kBase + static_cast<unsigned char>(in.text[k]) + 1;
            p[k + 1] = static_cast<uint32_t>(h);
          }
          prefixes_.push_back(std::move(p));
        }
        in.prefix = it->second;
      }
      if (in.kind == Fn::kPut) in.root = NewNode(kNone, static_cast<int>(i), in.hash, in.len);
    }
    init_text_ = initial.value_or("");
    init_ = NewNode(kNone, -1, HashOf(init_text_), init_text_.size());
  }

  uint64_t Init() override { return init_; }

  bool Step(uint64_t s, int i, uint64_t* next) override {
    const OpInfo& in = info_[i];
    switch (in.kind) {
      case Fn::kGet: {
        *next = s;
        const Node& n = nodes_[s];
        if (n.hash != in.hash || n.len != in.len) return false;
        auto key = (s << 20) ^ static_cast<uint64_t>(i);
        auto it = verified_.find(key);
        if (it != verified_.end()) return it->second;
        bool equal = Materialize(s) == in.text;
        verified_.emplace(key, equal);
        return equal;
      }
      case Fn::kPut:
        *next = in.root;
        return true;
      case Fn::kAppend: {
        uint64_t key = (s << 20) ^ static_cast<uint64_t>(i);
        auto [it, inserted] = children_.try_emplace(key, 0);
        if (inserted) {
          const Node& n = nodes_[s];
          it->second =
              NewNode(static_cast<uint32_t>(s), i, n.hash * in.pow + in.hash, n.len + in.len);
        }
        *next = it->second;
        return true;
      }
      default:
        return false;
    }
  }

  bool ReadOnly(int i) const override { return info_[i].kind == Fn::kGet; }

  bool Viable(uint64_t s, const std::vector<Entry>& upcoming) override {
    // Until a listed get G is linearized, the state is X + appends, where X is the current state
    // or the value of a put called before G returns: G's value must start with one of them.
    puts_.clear();
    const Node& n = nodes_[s];
    for (const Entry& e : upcoming) {
      const OpInfo& in = info_[e.op];
      if (e.call) {
        if (in.kind == Fn::kPut) puts_.push_back(e.op);
        continue;
      }
      if (in.kind != Fn::kGet) continue;
      // Low 32 bits of the hashes: a mismatch still proves "not a prefix".
      const std::vector<uint32_t>& prefix = prefixes_[in.prefix];
      bool reachable = n.len <= in.len && prefix[n.len] == static_cast<uint32_t>(n.hash);
      for (size_t k = 0; !reachable && k < puts_.size(); ++k) {
        const OpInfo& p = info_[puts_[k]];
        reachable = p.len <= in.len && prefix[p.len] == static_cast<uint32_t>(p.hash);
      }
      if (!reachable) return false;  // hash mismatch proves "not a prefix"
    }
    return true;
  }

  bool Watched(int op, bool call) const override {
    return call ? info_[op].kind == Fn::kPut : info_[op].kind == Fn::kGet;
  }

  std::string DescribeState(uint64_t s) const override {
    return fmt::format("{:?}", Materialize(s));
  }

  int64_t MemoryBytes() const override {
    return static_cast<int64_t>(nodes_.capacity() * sizeof(Node) +
                                (children_.size() + verified_.size()) * 32);
  }

 private:
  struct Node {
    uint32_t parent;  // kNone for a root (initial value or a put)
    int op;           // the put/append that made it; -1 for the initial value
    uint64_t hash;
    uint64_t len;
  };
  struct OpInfo {
    Fn kind;
    std::string text;
    uint64_t len, hash, pow;
    size_t prefix = 0;  // gets: index into prefixes_
    uint64_t root = 0;  // puts: the node of the new value
  };

  uint64_t NewNode(uint32_t parent, int op, uint64_t hash, uint64_t len) {
    nodes_.push_back({parent, op, hash, len});
    return nodes_.size() - 1;
  }

  std::string Materialize(uint64_t s) const {
    std::vector<const std::string*> parts;
    for (uint32_t n = static_cast<uint32_t>(s);; n = nodes_[n].parent) {
      const Node& node = nodes_[n];
      parts.push_back(node.op < 0 ? &init_text_ : &info_[node.op].text);
      if (node.parent == kNone) break;
    }
    std::string out;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) out += **it;
    return out;
  }

  const std::vector<const Op*>& ops_;
  std::vector<OpInfo> info_;
  std::vector<Node> nodes_;
  std::unordered_map<uint64_t, uint64_t> children_;     // (node, append op) -> node
  std::unordered_map<uint64_t, bool> verified_;         // (node, get op) -> equal
  std::vector<int> puts_;                               // scratch for Viable
  std::unordered_map<std::string, size_t> prefix_ids_;  // get text -> index into prefixes_
  std::vector<std::vector<uint32_t>> prefixes_;         // low 32 bits of every prefix hash
  std::string init_text_;
  uint64_t init_ = 0;
};

}  // namespace

std::unique_ptr<PartitionModel> MakeKvStringModel(const std::vector<const Op*>& ops,
                                                  const std::optional<std::string>& initial) {
  return std::make_unique<KvStringModel>(ops, initial);
}

}  // namespace faultline::checkers
