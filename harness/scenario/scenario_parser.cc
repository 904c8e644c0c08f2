// ParseScenario: YAML -> Scenario, with errors naming the step (index, kind and line).
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "common/yaml_repeated_key.h"
#include "harness/scenario/scenario.h"

namespace faultline::harness::scenario {
namespace {

// Parsing is a process edge: yaml-cpp throws, so do the helpers; ParseScenario catches.
struct ParseError {
  std::string message;
};

const std::vector<std::pair<StepKind, std::string_view>> kKindNames = {
    {StepKind::kWrite, "write"},   {StepKind::kRead, "read"},
    {StepKind::kCas, "cas"},       {StepKind::kBind, "bind"},
    {StepKind::kCut, "cut"},       {StepKind::kCutOneWay, "cut-oneway"},
    {StepKind::kDelay, "delay"},   {StepKind::kHeal, "heal"},
    {StepKind::kKill, "kill"},     {StepKind::kPause, "pause"},
    {StepKind::kResume, "resume"}, {StepKind::kRestart, "restart"},
    {StepKind::kStart, "start"},   {StepKind::kWait, "wait"},
    {StepKind::kSleep, "sleep"},   {StepKind::kExpect, "expect"},
};

bool IsBindingName(const std::string& s) {
  static const std::regex re("[A-Z][A-Za-z0-9_]*");
  return std::regex_match(s, re);
}

std::string OneLine(const YAML::Node& node) {
  YAML::Emitter e;
  e.SetMapFormat(YAML::Flow);
  e.SetSeqFormat(YAML::Flow);
  e << node;
  std::string s = e.c_str();
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

class StepParser {
 public:
  StepParser(const std::string& source, int nodes, std::set<std::string>* bindings,
             std::set<std::string>* op_names)
      : source_(source), nodes_(nodes), bindings_(bindings), op_names_(op_names) {}

  [[noreturn]] void Fail(const YAML::Node& at, const std::string& what) const {
    int line = at.IsDefined() ? at.Mark().line + 1 : step_.line;
    if (line <= 0) line = step_.line;
    throw ParseError{
        fmt::format("{}:{}: step {} ({}): {}", source_, line, step_.index, kind_name_, what)};
  }

  Step Parse(const YAML::Node& item, int index) {
    step_ = Step{};
    step_.index = index;
    step_.line = item.Mark().line + 1;
    kind_name_ = "?";
    // yaml-cpp: `node = other` overwrites the referenced node; rebinding needs reset().
    YAML::Node args(YAML::NodeType::Undefined);
    std::string kind;
    if (item.IsScalar()) {
      kind = item.as<std::string>();
    } else if (item.IsMap() && item.size() == 1) {
      kind = item.begin()->first.as<std::string>();
      args.reset(item.begin()->second);
    } else {
      Fail(item, "a step is one `kind: arguments` entry (or a bare `heal`)");
    }
    kind_name_ = kind;
    auto it = std::find_if(kKindNames.begin(), kKindNames.end(),
                           [&](const auto& p) { return p.second == kind; });
    if (it == kKindNames.end()) {
      Fail(item,
           "unknown step kind; expected one of write, read, cas, bind, cut, cut-oneway, "
           "delay, heal, kill, pause, resume, restart, start, wait, sleep, expect");
    }
    step_.kind = it->first;
    step_.text = OneLine(item);
    args_.reset(args);
    used_.clear();
    switch (step_.kind) {
      case StepKind::kWrite:
      case StepKind::kRead:
      case StepKind::kCas:
        ParseOp();
        break;
      case StepKind::kBind:
        ParseBind();
        break;
      case StepKind::kCut:
      case StepKind::kCutOneWay:
      case StepKind::kDelay:
        ParseLinks();
        break;
      case StepKind::kHeal:
        if (args.IsDefined() && !args.IsNull() && !(args.IsMap() && args.size() == 0)) {
          Fail(args, "heal takes no arguments");
        }
        break;
      case StepKind::kKill:
      case StepKind::kPause:
      case StepKind::kResume:
      case StepKind::kRestart:
      case StepKind::kStart:
        ParseNodes();
        break;
      case StepKind::kWait:
        ParseWait();
        break;
      case StepKind::kSleep:
        if (!args.IsScalar()) Fail(args, "sleep takes a number of milliseconds");
        step_.sleep_ms = AsInt(args, "sleep", 0, 60000);
        break;
      case StepKind::kExpect:
        ParseExpect();
        break;
    }
    if (args_.IsMap()) {
      for (const auto& kv : args_) {
        std::string key = kv.first.as<std::string>();
        if (!used_.count(key)) Fail(kv.first, fmt::format("unknown key '{}'", key));
      }
    }
    return step_;
  }

 private:
  YAML::Node Arg(const std::string& key) {
    used_.insert(key);
    if (!args_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    return args_[key];
  }

  int AsInt(const YAML::Node& n, const std::string& key, int lo, int hi) {
    int v = 0;
    try {
      v = n.as<int>();
    } catch (const YAML::Exception&) {
      Fail(n, fmt::format("{}: expected an integer", key));
    }
    if (v < lo || v > hi) Fail(n, fmt::format("{}: must be in [{}, {}]", key, lo, hi));
    return v;
  }

  std::string Str(const YAML::Node& n, const std::string& key) {
    if (!n.IsScalar()) Fail(n, fmt::format("{}: expected a string", key));
    return n.as<std::string>();
  }

  void CheckTerm(const YAML::Node& at, const std::string& t) {
    static const std::set<std::string> kNamed = {
        "leader", "followers", "follower", "highest-zxid", "all", "minority-with-leader"};
    if (kNamed.count(t)) return;
    static const std::regex idx("followers\\[([0-9])\\]");
    std::smatch m;
    if (std::regex_match(t, m, idx)) {
      if (std::stoi(m[1]) >= nodes_ - 1)
        Fail(at, fmt::format("'{}': only {} followers", t, nodes_ - 1));
      return;
    }
    static const std::regex node_id("n([1-9])");
    if (std::regex_match(t, m, node_id)) {
      if (std::stoi(m[1]) > nodes_) {
        Fail(at, fmt::format("'{}': the scenario has {} nodes", t, nodes_));
      }
      return;
    }
    if (IsBindingName(t)) {
      if (!bindings_->count(t)) {
        Fail(at, fmt::format("'{}' is not bound by an earlier step (`as:` or `bind`)", t));
      }
      return;
    }
    Fail(at, fmt::format("bad node selector '{}' (leader, followers, follower, followers[i], n1.., "
                         "highest-zxid, minority-with-leader, all, or a binding)",
                         t));
  }

  Selector Sel(const YAML::Node& n, const std::string& key) {
    Selector s;
    if (n.IsScalar()) {
      s.terms.push_back(n.as<std::string>());
    } else if (n.IsSequence() && n.size() > 0) {
      for (const auto& e : n) {
        if (!e.IsScalar()) Fail(e, fmt::format("{}: expected node selectors", key));
        s.terms.push_back(e.as<std::string>());
      }
    } else {
      Fail(n, fmt::format("{}: expected a node selector or a list of them", key));
    }
    for (const auto& t : s.terms) CheckTerm(n, t);
    s.text = s.terms.size() == 1 ? s.terms[0] : OneLine(n);
    return s;
  }

  void Bind(const YAML::Node& at, const std::string& name) {
    if (!IsBindingName(name)) {
      Fail(at, fmt::format("binding name '{}' must start with an upper-case letter", name));
    }
    bindings_->insert(name);
  }

  void ParseAs() {
    YAML::Node as = Arg("as");
    if (as.IsDefined()) {
      step_.bind_as = Str(as, "as");
      Bind(as, step_.bind_as);
    }
  }

  void ParseOp() {
    if (!args_.IsMap()) Fail(args_, "expected a mapping {name, key, value, node, ...}");
    YAML::Node name = Arg("name");
    if (!name.IsDefined()) Fail(args_, "name: required (e.g. w1)");
    step_.name = Str(name, "name");
    if (!op_names_->insert(step_.name).second) {
      Fail(name, fmt::format("op name '{}' is used twice", step_.name));
    }
    if (YAML::Node k = Arg("key"); k.IsDefined()) step_.key = Str(k, "key");
    YAML::Node node = Arg("node");
    step_.nodes = node.IsDefined() ? Sel(node, "node") : Selector{{"leader"}, "leader"};
    if (YAML::Node w = Arg("wait"); w.IsDefined()) {
      try {
        step_.wait = w.as<bool>();
      } catch (const YAML::Exception&) {
        Fail(w, "wait: expected true or false");
      }
    }
    if (YAML::Node t = Arg("timeout_ms"); t.IsDefined()) {
      step_.timeout_ms = AsInt(t, "timeout_ms", 1, 600000);
    }
    if (step_.kind == StepKind::kRead) {
      if (YAML::Node m = Arg("mode"); m.IsDefined()) {
        step_.read_mode = Str(m, "mode");
        if (step_.read_mode != "linearizable" && step_.read_mode != "sync" &&
            step_.read_mode != "local") {
          Fail(m, "mode: must be linearizable, sync or local");
        }
      }
      return;
    }
    YAML::Node v = Arg("value");
    step_.value = v.IsDefined() ? Str(v, "value") : step_.name;
    if (step_.kind == StepKind::kCas) {
      YAML::Node e = Arg("expected");
      if (!e.IsDefined()) Fail(args_, "expected: required for cas");
      step_.expected = Str(e, "expected");
    }
    ParseAs();
  }

  void ParseBind() {
    if (!args_.IsMap() || args_.size() == 0) Fail(args_, "expected {Name: selector, ...}");
    for (const auto& kv : args_) {
      std::string name = kv.first.as<std::string>();
      used_.insert(name);
      Selector s = Sel(kv.second, name);
      Bind(kv.first, name);
      step_.bindings.emplace_back(name, s);
    }
  }

  void ParseLinks() {
    if (!args_.IsMap()) Fail(args_, "expected {from: selector, to: selector}");
    YAML::Node from = Arg("from");
    if (!from.IsDefined()) Fail(args_, "from: required");
    step_.from = Sel(from, "from");
    if (YAML::Node to = Arg("to"); to.IsDefined()) step_.to = Sel(to, "to");
    if (step_.kind == StepKind::kDelay) {
      YAML::Node ms = Arg("ms");
      if (!ms.IsDefined()) Fail(args_, "ms: required");
      step_.delay_ms = AsInt(ms, "ms", 0, 60000);
    }
    ParseAs();
  }

  void ParseNodes() {
    if (args_.IsMap()) {
      YAML::Node n = Arg("nodes");
      if (!n.IsDefined()) Fail(args_, "nodes: required");
      step_.nodes = Sel(n, "nodes");
      ParseAs();
    } else if (args_.IsDefined() && !args_.IsNull()) {
      step_.nodes = Sel(args_, StepKindName(step_.kind).data());
    } else {
      Fail(args_, "expected a node selector");
    }
  }

  void ParseWait() {
    YAML::Node until(YAML::NodeType::Undefined);
    until.reset(args_);
    if (args_.IsMap()) {
      until.reset(Arg("until"));
      if (!until.IsDefined()) Fail(args_, "until: required");
      if (YAML::Node t = Arg("timeout_ms"); t.IsDefined()) {
        step_.timeout_ms = AsInt(t, "timeout_ms", 1, 600000);
      }
    }
    Condition& c = step_.condition;
    if (until.IsScalar()) {
      if (until.as<std::string>() != "agree") Fail(until, "until: 'agree' or a mapping");
      c.kind = ConditionKind::kAgree;
      return;
    }
    if (!until.IsMap()) Fail(until, "until: 'agree' or a mapping");
    std::set<std::string> keys;
    for (const auto& kv : until) keys.insert(kv.first.as<std::string>());
    auto need_node = [&] {
      if (!until["node"].IsDefined()) Fail(until, "until.node: required");
      c.node = Sel(until["node"], "until.node");
    };
    std::set<std::string> allowed;
    if (keys.count("logged")) {
      c.kind = ConditionKind::kLogged;
      c.op = Str(until["logged"], "until.logged");
      if (!op_names_->count(c.op))
        Fail(until["logged"], fmt::format("no op named '{}' before "
                                          "this step",
                                          c.op));
      need_node();
      allowed = {"logged", "node"};
    } else if (keys.count("leader-epoch-above")) {
      c.kind = ConditionKind::kLeaderEpochAbove;
      c.epoch = Str(until["leader-epoch-above"], "until.leader-epoch-above");
      if (c.epoch != "start" && c.epoch != "current" &&
          !std::regex_match(c.epoch, std::regex("[0-9]+"))) {
        Fail(until["leader-epoch-above"], "must be a number, 'start' or 'current'");
      }
      allowed = {"leader-epoch-above"};
    } else if (keys.count("role")) {
      c.kind = ConditionKind::kRole;
      c.role = Str(until["role"], "until.role");
      if (c.role != "leading" && c.role != "following" && c.role != "looking") {
        Fail(until["role"], "until.role: leading, following or looking");
      }
      if (until["phase"].IsDefined()) c.phase = Str(until["phase"], "until.phase");
      need_node();
      allowed = {"role", "node", "phase"};
    } else if (keys.count("event")) {
      c.kind = ConditionKind::kEvent;
      c.event = Str(until["event"], "until.event");
      need_node();
      allowed = {"event", "node"};
    } else {
      Fail(until,
           "until: one of agree, {node, logged}, {leader-epoch-above}, {role, node}, "
           "{node, event}");
    }
    for (const auto& kv : until) {
      if (!allowed.count(kv.first.as<std::string>())) {
        Fail(kv.first, fmt::format("until: unknown key '{}'", kv.first.as<std::string>()));
      }
    }
  }

  void NeedOp(const YAML::Node& at, const std::string& name) {
    if (!op_names_->count(name)) Fail(at, fmt::format("no op named '{}' before this step", name));
  }

  void ParseExpect() {
    Expectation& e = step_.expectation;
    if (args_.IsScalar()) {
      std::string s = args_.as<std::string>();
      if (s == "linearizable") {
        e.kind = ExpectKind::kLinearizable;
      } else if (s == "invariants") {
        e.kind = ExpectKind::kInvariants;
      } else if (s == "acked-kept") {
        e.kind = ExpectKind::kAckedKept;
      } else {
        Fail(args_, "expected linearizable, invariants, acked-kept or a mapping");
      }
      return;
    }
    if (!args_.IsMap()) Fail(args_, "expected linearizable, invariants, acked-kept or a mapping");
    if (YAML::Node sync = Arg("sync"); sync.IsDefined()) {
      e.kind = ExpectKind::kSync;
      if (!sync.IsMap()) Fail(sync, "sync: expected {node, mode, first?, last?}");
      for (const auto& kv : sync) {
        std::string k = kv.first.as<std::string>();
        if (k != "node" && k != "mode" && k != "first" && k != "last") {
          Fail(kv.first, fmt::format("sync: unknown key '{}'", k));
        }
      }
      if (!sync["node"].IsDefined()) Fail(sync, "sync.node: required");
      e.node = Sel(sync["node"], "sync.node");
      YAML::Node mode = sync["mode"];
      if (!mode.IsDefined()) Fail(sync, "sync.mode: required");
      if (mode.IsSequence()) {
        for (const auto& m : mode) e.modes.push_back(Str(m, "sync.mode"));
      } else {
        e.modes.push_back(Str(mode, "sync.mode"));
      }
      for (const auto& m : e.modes) {
        if (m != "DIFF" && m != "TRUNC" && m != "TRUNC+DIFF" && m != "SNAP") {
          Fail(mode, fmt::format("sync.mode: '{}' is not DIFF, TRUNC, TRUNC+DIFF or SNAP", m));
        }
      }
      if (sync["first"].IsDefined()) {
        e.first_op = Str(sync["first"], "sync.first");
        NeedOp(sync["first"], e.first_op);
      }
      if (sync["last"].IsDefined()) {
        e.last_op = Str(sync["last"], "sync.last");
        NeedOp(sync["last"], e.last_op);
      }
      return;
    }
    if (YAML::Node read = Arg("read"); read.IsDefined()) {
      e.kind = ExpectKind::kRead;
      e.op = Str(read, "read");
      NeedOp(read, e.op);
      YAML::Node obs = Arg("observed");
      if (!obs.IsDefined()) Fail(args_, "observed: required (fresh, stale or either)");
      e.outcome = Str(obs, "observed");
      if (e.outcome != "fresh" && e.outcome != "stale" && e.outcome != "either") {
        Fail(obs, "observed: fresh, stale or either");
      }
      return;
    }
    YAML::Node op = Arg("op");
    if (!op.IsDefined()) Fail(args_, "expected {op, outcome}, {sync: ...} or {read, observed}");
    e.kind = ExpectKind::kOp;
    e.op = Str(op, "op");
    NeedOp(op, e.op);
    YAML::Node outcome = Arg("outcome");
    if (!outcome.IsDefined()) Fail(args_, "outcome: required (kept, lost or either)");
    e.outcome = Str(outcome, "outcome");
    if (e.outcome != "kept" && e.outcome != "lost" && e.outcome != "either") {
      Fail(outcome, "outcome: kept, lost or either");
    }
  }

  std::string source_;
  int nodes_;
  std::set<std::string>* bindings_;
  std::set<std::string>* op_names_;
  Step step_;
  std::string kind_name_;
  YAML::Node args_;
  std::set<std::string> used_;
};

void CheckOps(const Scenario& s) {
  // Write values are unique per key (ARCHITECTURE.md), so a read names the write it saw.
  std::map<std::pair<std::string, std::string>, const Step*> written;
  for (const Step& st : s.steps) {
    if (st.kind != StepKind::kWrite && st.kind != StepKind::kCas) continue;
    auto [it, fresh] = written.emplace(std::make_pair(st.key, st.value), &st);
    if (!fresh) {
      throw ParseError{fmt::format(
          "{}:{}: step {} ({}): value '{}' is already written to key "
          "'{}' by {} (values are unique per key)",
          s.source, st.line, st.index, StepKindName(st.kind), st.value, st.key, it->second->name)};
    }
  }
  // kept/lost is judged from the key's final value, so no write to that key may follow the op.
  for (const Step& st : s.steps) {
    if (st.kind != StepKind::kExpect || st.expectation.kind != ExpectKind::kOp) continue;
    const Step* op = s.FindOp(st.expectation.op);
    if (op->kind == StepKind::kRead) {
      throw ParseError{
          fmt::format("{}:{}: step {} (expect): '{}' is a read; kept/lost is about "
                      "writes (use {{read: {}, observed: ...}})",
                      s.source, st.line, st.index, op->name, op->name)};
    }
    for (const Step& later : s.steps) {
      if (later.index <= op->index || later.key != op->key) continue;
      if (later.kind == StepKind::kWrite || later.kind == StepKind::kCas) {
        throw ParseError{fmt::format(
            "{}:{}: step {} (expect): {} writes key '{}' again after {}, so the final value "
            "cannot say whether {} was kept; use another key",
            s.source, st.line, st.index, later.name, op->key, op->name, op->name)};
      }
    }
  }
}

}  // namespace

std::string_view StepKindName(StepKind kind) {
  for (const auto& [k, n] : kKindNames) {
    if (k == kind) return n;
  }
  return "?";
}

const Step* Scenario::FindOp(const std::string& op_name) const {
  for (const Step& s : steps) {
    if ((s.kind == StepKind::kWrite || s.kind == StepKind::kRead || s.kind == StepKind::kCas) &&
        s.name == op_name) {
      return &s;
    }
  }
  return nullptr;
}

Result<Scenario> ParseScenario(const std::string& text, const std::string& source) {
  Scenario s;
  s.source = source;
  s.text = text;
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsMap()) throw ParseError{source + ":1: a scenario is a mapping with `steps:`"};
    if (auto repeated = FindRepeatedKey(root))
      throw ParseError{source + ":" + repeated->Describe()};
    auto fail = [&](const YAML::Node& at, const std::string& key, const std::string& what) {
      throw ParseError{fmt::format("{}:{}: {}: {}", source, at.Mark().line + 1, key, what)};
    };
    auto get_int = [&](const std::string& key, int lo, int hi, int* out) {
      YAML::Node n = root[key];
      if (!n.IsDefined()) return;
      try {
        *out = n.as<int>();
      } catch (const YAML::Exception&) {
        fail(n, key, "expected an integer");
      }
      if (*out < lo || *out > hi) fail(n, key, fmt::format("must be in [{}, {}]", lo, hi));
    };
    static const std::set<std::string> kTop = {
        "name",       "question",      "answer",     "nodes",      "tick_time_ms",
        "init_limit", "sync_limit",    "read_mode",  "timeout_ms", "op_timeout_ms",
        "steps",      "final_restart", "zabd_flags", "system",     "net"};
    for (const auto& kv : root) {
      std::string k = kv.first.as<std::string>();
      if (!kTop.count(k)) fail(kv.first, k, "unknown key");
    }
    if (!root["name"].IsDefined()) throw ParseError{source + ":1: name: required"};
    s.name = root["name"].as<std::string>();
    if (root["question"].IsDefined()) s.question = root["question"].as<std::string>();
    if (root["answer"].IsDefined()) s.answer = root["answer"].as<std::string>();
    if (YAML::Node sys = root["system"]; sys.IsDefined()) {
      for (const char* legacy :
           {"nodes", "tick_time_ms", "init_limit", "sync_limit", "read_mode", "zabd_flags"}) {
        if (root[legacy].IsDefined()) {
          fail(root[legacy], legacy,
               fmt::format("with a system: section, write it there (system.{})",
                           std::string(legacy) == "zabd_flags" ? "extra_flags" : legacy));
        }
      }
      Result<SystemSpec> system = ParseSystemSection(text, source);
      if (!system.ok()) throw ParseError{system.status().message()};
      s.has_system_section = true;
      s.system = *system;
      s.nodes = s.system.nodes;
    }
    if (YAML::Node n = root["net"]; n.IsDefined()) {
      const std::string net = n.as<std::string>();
      if (net == "proxy") {
        s.net = NetMode::kProxy;
      } else if (net == "iptables") {
        s.net = NetMode::kIptables;
      } else if (net == "auto") {
        s.net = NetMode::kAuto;
      } else {
        fail(n, "net", "must be proxy, iptables or auto");
      }
    }
    get_int("nodes", 1, 9, &s.nodes);
    get_int("tick_time_ms", 1, 10000, &s.tick_time_ms);
    get_int("init_limit", 1, 1000, &s.init_limit);
    get_int("sync_limit", 1, 1000, &s.sync_limit);
    get_int("timeout_ms", 1, 600000, &s.default_timeout_ms);
    get_int("op_timeout_ms", 1, 600000, &s.op_timeout_ms);
    if (YAML::Node r = root["read_mode"]; r.IsDefined()) {
      s.read_mode = r.as<std::string>();
      if (s.read_mode != "linearizable" && s.read_mode != "sync" && s.read_mode != "local") {
        fail(r, "read_mode", "must be linearizable, sync or local");
      }
    }
    if (YAML::Node f = root["final_restart"]; f.IsDefined()) {
      try {
        s.final_restart = f.as<bool>();
      } catch (const YAML::Exception&) {
        fail(f, "final_restart", "expected true or false");
      }
    }
    if (YAML::Node z = root["zabd_flags"]; z.IsDefined()) {
      if (!z.IsSequence()) fail(z, "zabd_flags", "expected a list of strings");
      for (const auto& f : z) {
        if (!f.IsScalar()) fail(f, "zabd_flags", "expected a list of strings");
        s.zabd_flags.push_back(f.as<std::string>());
      }
    }
    YAML::Node steps = root["steps"];
    if (!steps.IsDefined() || !steps.IsSequence() || steps.size() == 0) {
      throw ParseError{source + ":1: steps: required, a non-empty list"};
    }
    std::set<std::string> bindings, op_names;
    StepParser parser(source, s.nodes, &bindings, &op_names);
    int index = 1;
    for (const auto& item : steps) s.steps.push_back(parser.Parse(item, index++));
    CheckOps(s);
  } catch (const ParseError& e) {
    return Status::InvalidArgument(e.message);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(fmt::format("{}:{}: {}", source, e.mark.line + 1, e.msg));
  }
  return s;
}

Result<Scenario> LoadScenarioFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read scenario file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseScenario(ss.str(), path);
}

}  // namespace faultline::harness::scenario
