#include "server/net/config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

namespace zabd {

using faultline::Result;
using faultline::Status;

std::string HostPort::ToString() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

Result<HostPort> ParseHostPort(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
    return Status::InvalidArgument(fmt::format("expected host:port, got '{}'", text));
  }
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535) {
    return Status::InvalidArgument(fmt::format("bad port in '{}' (1-65535)", text));
  }
  boost::system::error_code addr_ec;
  boost::asio::ip::make_address(std::string(host), addr_ec);
  if (addr_ec) {
    return Status::InvalidArgument(
        fmt::format("host in '{}' is not an IP address literal (zabd does no DNS)", text));
  }
  return HostPort{std::string(host), static_cast<uint16_t>(port)};
}

std::optional<zab::ReadMode> ParseReadMode(std::string_view text) {
  if (text == "linearizable") return zab::ReadMode::kLinearizable;
  if (text == "sync") return zab::ReadMode::kSync;
  if (text == "local") return zab::ReadMode::kLocal;
  return std::nullopt;
}

const char* ReadModeName(zab::ReadMode mode) {
  switch (mode) {
    case zab::ReadMode::kLinearizable:
      return "linearizable";
    case zab::ReadMode::kSync:
      return "sync";
    case zab::ReadMode::kLocal:
      return "local";
  }
  return "?";
}

const NodeConfig* ServerConfig::Find(uint64_t id) const {
  for (const auto& n : nodes) {
    if (n.id == id) return &n;
  }
  return nullptr;
}

namespace {

// Thrown only inside this file and caught in ParseConfigText (exceptions at the config edge).
struct ConfigError {
  std::string message;
};

class Parser {
 public:
  explicit Parser(std::string_view source) : source_(source) {}

  [[noreturn]] void Fail(const YAML::Node& node, std::string_view key, std::string_view what) {
    const YAML::Mark mark = node.Mark();
    if (mark.is_null()) throw ConfigError{fmt::format("{}: {}: {}", source_, key, what)};
    throw ConfigError{fmt::format("{}:{}: {}: {}", source_, mark.line + 1, key, what)};
  }

  template <typename T>
  T Scalar(const YAML::Node& node, std::string_view key, std::string_view type_name) {
    if (!node.IsScalar()) Fail(node, key, fmt::format("expected {}", type_name));
    try {
      return node.as<T>();
    } catch (const YAML::Exception&) {
      Fail(node, key, fmt::format("expected {}, got '{}'", type_name, node.Scalar()));
    }
  }

  // A plain decimal integer in [min, max] (config.h ranges). Parsed here rather than with
  // yaml-cpp's as<>, which reads 010 as octal and 0x10 as hex, and never narrowed afterwards.
  uint64_t Integer(const YAML::Node& node, std::string_view key, uint64_t min, uint64_t max) {
    const std::string expected = fmt::format("an integer in [{}, {}]", min, max);
    if (!node.IsScalar()) Fail(node, key, fmt::format("expected {}", expected));
    const std::string& text = node.Scalar();
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    const bool digits_only =
        !text.empty() && std::all_of(text.begin(), text.end(),
                                     [](unsigned char ch) { return std::isdigit(ch) != 0; });
    if (!digits_only || ec == std::errc::invalid_argument || end != text.data() + text.size()) {
      Fail(node, key, fmt::format("expected {}, got '{}'", expected, text));
    }
    if (ec == std::errc::result_out_of_range || v < min || v > max) {
      Fail(node, key, fmt::format("out of range: expected {}, got {}", expected, text));
    }
    return v;
  }

  // A key may appear once per mapping: yaml-cpp keeps both copies of a repeated key, and the
  // later one would silently win.
  void Once(std::set<std::string>* seen, const YAML::Node& key_node, const std::string& path) {
    if (!seen->insert(key_node.Scalar()).second) {
      Fail(key_node, path, "given twice (each key may appear once)");
    }
  }

  HostPort Address(const YAML::Node& node, std::string_view key) {
    auto text = Scalar<std::string>(node, key, "host:port");
    auto hp = ParseHostPort(text);
    if (!hp.ok()) Fail(node, key, hp.status().message());
    return *hp;
  }

  ServerConfig Parse(std::string_view text) {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(text));
    } catch (const YAML::ParserException& e) {
      throw ConfigError{fmt::format("{}:{}: syntax error: {}", source_, e.mark.line + 1, e.msg)};
    }
    if (!root.IsMap()) Fail(root, "(top level)", "expected a mapping of keys");
    ServerConfig c;
    bool have_nodes = false;
    std::set<std::string> seen;
    for (const auto& kv : root) {
      const std::string key = kv.first.Scalar();
      const YAML::Node& v = kv.second;
      Once(&seen, kv.first, key);
      if (key == "nodes") {
        ParseNodes(v, &c);
        have_nodes = true;
      } else if (key == "data_dir") {
        c.data_dir = Scalar<std::string>(v, key, "a path");
        if (c.data_dir.empty()) Fail(v, key, "must not be empty");
      } else if (key == "tick_time_ms") {
        c.tick_time_ms = Integer(v, key, kTickTimeMsMin, kTickTimeMsMax);
      } else if (key == "init_limit") {
        c.init_limit = static_cast<uint32_t>(Integer(v, key, kLimitTicksMin, kLimitTicksMax));
      } else if (key == "sync_limit") {
        c.sync_limit = static_cast<uint32_t>(Integer(v, key, kLimitTicksMin, kLimitTicksMax));
      } else if (key == "read_mode") {
        auto s = Scalar<std::string>(v, key, "linearizable|sync|local");
        auto mode = ParseReadMode(s);
        if (!mode) Fail(v, key, fmt::format("expected linearizable|sync|local, got '{}'", s));
        c.read_mode = *mode;
      } else if (key == "secret") {
        c.secret = Scalar<std::string>(v, key, "a string");
      } else if (key == "snapshot_every") {
        c.snapshot_every = Integer(v, key, kSnapshotEveryMin, kSnapshotEveryMax);
      } else {
        Fail(kv.first, key, "unknown key");
      }
    }
    if (!have_nodes) Fail(root, "nodes", "missing (a list of {id, client, peer})");
    return c;
  }

  void ParseNodes(const YAML::Node& list, ServerConfig* c) {
    if (!list.IsSequence() || list.size() == 0) {
      Fail(list, "nodes", "expected a non-empty list of {id, client, peer}");
    }
    std::set<uint64_t> ids;
    std::set<std::string> addresses;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const YAML::Node& n = list[i];
      const std::string where = fmt::format("nodes[{}]", i);
      if (!n.IsMap()) Fail(n, where, "expected a mapping {id, client, peer}");
      NodeConfig node;
      bool have_id = false, have_client = false, have_peer = false;
      std::set<std::string> seen;
      for (const auto& kv : n) {
        const std::string key = kv.first.Scalar();
        const std::string path = where + "." + key;
        Once(&seen, kv.first, path);
        if (key == "id") {
          node.id = Integer(kv.second, path, 1, kNodeIdMax);
          have_id = true;
        } else if (key == "client") {
          node.client = Address(kv.second, path);
          have_client = true;
        } else if (key == "peer") {
          node.peer = Address(kv.second, path);
          have_peer = true;
        } else {
          Fail(kv.first, path, "unknown key");
        }
      }
      if (!have_id) Fail(n, where + ".id", "missing");
      if (!have_client) Fail(n, where + ".client", "missing");
      if (!have_peer) Fail(n, where + ".peer", "missing");
      if (!ids.insert(node.id).second) {
        Fail(n["id"], where + ".id", fmt::format("duplicate id {}", node.id));
      }
      if (!addresses.insert(node.client.ToString()).second) {
        Fail(n["client"], where + ".client",
             fmt::format("address {} used twice", node.client.ToString()));
      }
      if (!addresses.insert(node.peer.ToString()).second) {
        Fail(n["peer"], where + ".peer",
             fmt::format("address {} used twice", node.peer.ToString()));
      }
      c->nodes.push_back(std::move(node));
    }
  }

 private:
  std::string source_;
};

}  // namespace

Result<ServerConfig> ParseConfigText(std::string_view text, std::string_view source) {
  try {
    return Parser(source).Parse(text);
  } catch (const ConfigError& e) {
    return Status::InvalidArgument(e.message);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(fmt::format("{}:{}: {}", source, e.mark.line + 1, e.msg));
  }
}

Result<ServerConfig> LoadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument(fmt::format("{}: cannot open config file", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseConfigText(ss.str(), path);
}

Status Resolve(const Overrides& o, ServerConfig* c) {
  if (o.id == 0) return Status::InvalidArgument("--id: required, a positive node id");
  if (c->Find(o.id) == nullptr) {
    return Status::InvalidArgument(fmt::format("--id: {} is not listed under nodes", o.id));
  }
  c->self_id = o.id;
  if (o.read_mode) {
    auto mode = ParseReadMode(*o.read_mode);
    if (!mode) {
      return Status::InvalidArgument(
          fmt::format("--read-mode: expected linearizable|sync|local, got '{}'", *o.read_mode));
    }
    c->read_mode = *mode;
  }
  if (o.tick_time_ms) {
    if (*o.tick_time_ms < kTickTimeMsMin || *o.tick_time_ms > kTickTimeMsMax) {
      return Status::InvalidArgument(
          fmt::format("--tick-time-ms: out of range: expected an "
                      "integer in [{}, {}], got {}",
                      kTickTimeMsMin, kTickTimeMsMax, *o.tick_time_ms));
    }
    c->tick_time_ms = *o.tick_time_ms;
  }
  if (o.log_level) {
    static const std::set<std::string> kLevels = {"trace", "debug",    "info", "warn",
                                                  "error", "critical", "off"};
    if (!kLevels.count(*o.log_level)) {
      return Status::InvalidArgument(
          fmt::format("--log-level: expected trace|debug|info|warn|error|critical|off, got '{}'",
                      *o.log_level));
    }
    c->log_level = *o.log_level;
  }
  for (const std::string& f : o.faults) {
    if (!zab::KnownFaults().count(f)) {
      return Status::InvalidArgument(fmt::format("--fault: unknown fault '{}' (known: {})", f,
                                                 zab::JoinFaults(zab::KnownFaults())));
    }
    c->faults.insert(f);
  }
  c->repair = o.repair;
  c->power_loss_sim = o.power_loss_sim;
  c->node_dir = o.data_dir ? *o.data_dir : fmt::format("{}/{}", c->data_dir, o.id);
  if (c->node_dir.empty()) return Status::InvalidArgument("--data-dir: must not be empty");
  c->event_log = o.event_log ? *o.event_log : c->node_dir + "/events.jsonl";
  return Status::Ok();
}

zab::Config ToCoreConfig(const ServerConfig& c) {
  zab::Config z;
  z.self = zab::PeerId{c.self_id};
  for (const auto& n : c.nodes) z.voters.push_back(zab::PeerId{n.id});
  z.tick_time_ms = c.tick_time_ms;
  z.init_limit_ticks = c.init_limit;
  z.sync_limit_ticks = c.sync_limit;
  z.snapshot_every_commits = c.snapshot_every;
  z.faults = c.faults;
  return z;
}

}  // namespace zabd
