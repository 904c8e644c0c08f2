#include "harness/systems/registry.h"

#include <fmt/format.h>

#include <charconv>
#include <filesystem>

#include "harness/systems/etcd/etcd_system.h"
#include "harness/systems/fake/fake_system.h"
#include "harness/systems/zabd/zabd_system.h"
#include "harness/systems/zookeeper/zk_system.h"

namespace faultline::harness {
namespace {

namespace fs = std::filesystem;

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// "<source>:<line>: system.<key>: <what>"
Status SpecError(const TestSpec& spec, int line, const std::string& key, const std::string& what) {
  return Status::InvalidArgument(fmt::format(
      "{}:{}: {}: {}", spec.source_name.empty() ? "spec" : spec.source_name, line, key, what));
}

Status CheckOption(const TestSpec& spec, const SystemKind& kind, const std::string& key,
                   const SystemOption& option) {
  const std::string path = "system." + key;
  auto it = std::find_if(kind.options.begin(), kind.options.end(),
                         [&](const SystemOptionSpec& o) { return o.key == key; });
  if (it == kind.options.end()) {
    std::vector<std::string> keys = {"kind", "nodes", "read_mode"};
    for (const auto& o : kind.options) keys.push_back(o.key);
    return SpecError(spec, option.line, path,
                     fmt::format("unknown key for system {} (keys: {})", kind.name, Join(keys)));
  }
  using Type = SystemOptionSpec::Type;
  if ((it->type == Type::kStringList) != option.is_list) {
    return SpecError(spec, option.line, path,
                     it->type == Type::kStringList ? "expected a list" : "expected a scalar");
  }
  if (it->type == Type::kInt) {
    const std::string& v = option.values.front();
    int64_t n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size()) {
      return SpecError(spec, option.line, path, fmt::format("wrong type: '{}' (an integer)", v));
    }
    if (n < it->min || n > it->max) {
      return SpecError(spec, option.line, path, fmt::format("must be in {}..{}", it->min, it->max));
    }
  }
  if (it->type == Type::kBool && option.values.front() != "true" &&
      option.values.front() != "false") {
    return SpecError(spec, option.line, path, "expected true or false");
  }
  return Status::Ok();
}

std::string SelfDir() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : self.parent_path().string();
}

}  // namespace

const std::vector<SystemKind>& SystemKinds() {
  // One line per system. Adding a system adds a line here and nowhere in the run loop.
  static const std::vector<SystemKind> kinds = {
      ZabdSystemKind(),
      FakeSystemKind(),
      etcd::EtcdSystemKind(),
      ZooKeeperSystemKind(),
  };
  return kinds;
}

const SystemKind* FindSystemKind(const std::string& name) {
  for (const SystemKind& k : SystemKinds()) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

Status ValidateSystemSpec(const TestSpec& spec) {
  const SystemSpec& s = spec.system;
  const SystemKind* kind = FindSystemKind(s.kind);
  std::vector<std::string> names;
  for (const SystemKind& k : SystemKinds()) names.push_back(k.name);
  if (kind == nullptr) {
    return SpecError(spec, s.line, "system.kind",
                     fmt::format("unknown system '{}' (one of {})", s.kind, Join(names)));
  }
  if (!s.read_mode.empty() && std::find(kind->read_modes.begin(), kind->read_modes.end(),
                                        s.read_mode) == kind->read_modes.end()) {
    return SpecError(spec, s.line, "system.read_mode",
                     fmt::format("system {} has no read mode '{}' (one of {})", kind->name,
                                 s.read_mode, Join(kind->read_modes)));
  }
  for (const auto& [key, option] : s.options) {
    if (Status st = CheckOption(spec, *kind, key, option); !st.ok()) return st;
  }
  return Status::Ok();
}

Result<std::unique_ptr<System>> MakeSystem(const TestSpec& spec, const SystemContext& context) {
  if (Status s = ValidateSystemSpec(spec); !s.ok()) return s;
  const SystemKind& kind = *FindSystemKind(spec.system.kind);
  SystemConfig c;
  c.kind = kind.name;
  c.nodes = spec.system.nodes;
  c.read_mode = spec.system.read_mode.empty() ? kind.read_modes.front() : spec.system.read_mode;
  for (const auto& [key, option] : spec.system.options) c.options[key] = option.values;
  c.spec_dir = context.spec_dir;
  c.bin_dir = context.bin_dir.empty() ? SelfDir() : context.bin_dir;
  return kind.create(c);
}

Result<std::vector<std::string>> OverrideSystemKind(const std::string& name, TestSpec* spec) {
  const SystemKind* kind = FindSystemKind(name);
  if (kind == nullptr) {
    std::vector<std::string> names;
    for (const SystemKind& k : SystemKinds()) names.push_back(k.name);
    return Status::InvalidArgument(
        fmt::format("--system: unknown system '{}' (one of {})", name, Join(names)));
  }
  std::vector<std::string> dropped;
  if (name == spec->system.kind) return dropped;
  spec->system.kind = name;
  for (auto it = spec->system.options.begin(); it != spec->system.options.end();) {
    bool known = std::any_of(kind->options.begin(), kind->options.end(),
                             [&](const SystemOptionSpec& o) { return o.key == it->first; });
    if (known) {
      ++it;
    } else {
      dropped.push_back(it->first);
      it = spec->system.options.erase(it);
    }
  }
  const auto& modes = kind->read_modes;
  if (!spec->system.read_mode.empty() &&
      std::find(modes.begin(), modes.end(), spec->system.read_mode) == modes.end()) {
    dropped.push_back("read_mode " + spec->system.read_mode);
    spec->system.read_mode.clear();
  }
  return dropped;
}

}  // namespace faultline::harness
