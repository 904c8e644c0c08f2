// faultline's JSON-lines history format (docs/history-formats.md) and node event logs.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "checkers/import/import.h"

namespace faultline::checkers {
namespace {

using nlohmann::json;

// Calls fn(line_number, parsed object) for every non-blank line.
template <typename Fn>
Status ForEachJsonLine(std::string_view text, const std::string& source, Fn fn) {
  int line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      return Status::InvalidArgument(fmt::format("{}:{}: not a JSON object", source, line_no));
    }
    std::string error;
    try {
      error = fn(j);
    } catch (const json::exception& e) {  // a field of the wrong type
      error = e.what();
    }
    if (!error.empty()) {
      return Status::InvalidArgument(fmt::format("{}:{}: {}", source, line_no, error));
    }
  }
  return Status::Ok();
}

// Reads an optional string-or-number value; false when of another type.
bool OptValue(const json& j, const char* name, std::optional<std::string>* out) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return true;
  if (it->is_string()) {
    *out = it->get<std::string>();
  } else if (it->is_number()) {
    *out = it->dump();
  } else {
    return false;
  }
  return true;
}

bool Int(const json& j, const char* name, int64_t* out, bool required) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return !required;
  if (!it->is_number_integer()) return false;
  *out = it->get<int64_t>();
  return true;
}

std::string ParseOp(const json& j, Op* op) {
  if (!Int(j, "index", &op->index, true)) return "op needs an integer \"index\"";
  if (!Int(j, "process", &op->process, true)) return "op needs an integer \"process\"";
  auto f = j.find("f");
  if (f == j.end() || !f->is_string() || !FnFromName(f->get<std::string>())) {
    return "op needs \"f\" (read, write, cas, delete, add, read-set, acquire, release, txn, get, "
           "put, append)";
  }
  op->f = *FnFromName(f->get<std::string>());
  auto outcome = j.find("outcome");
  if (outcome == j.end() || !outcome->is_string() ||
      !OutcomeFromName(outcome->get<std::string>())) {
    return "op needs \"outcome\" (ok, fail, info)";
  }
  op->outcome = *OutcomeFromName(outcome->get<std::string>());
  if (auto k = j.find("key"); k != j.end() && !k->is_null()) {
    if (!k->is_string()) return "\"key\" must be a string";
    op->key = k->get<std::string>();
  }
  if (!OptValue(j, "value", &op->value)) return "\"value\" must be a string, number or null";
  if (!OptValue(j, "expected", &op->expected)) return "\"expected\" must be a string or number";
  if (auto e = j.find("elements"); e != j.end() && !e->is_null()) {
    if (!e->is_array()) return "\"elements\" must be an array";
    for (const json& x : *e) {
      std::optional<std::string> v;
      if (!OptValue(json{{"v", x}}, "v", &v) || !v) return "\"elements\" must hold strings";
      op->elements.push_back(*v);
    }
  }
  if (auto t = j.find("txn"); t != j.end() && !t->is_null()) {
    if (!t->is_array()) return "\"txn\" must be an array";
    for (const json& x : *t) {
      if (!x.is_object() || !x.contains("f") || !x.contains("key") || !x["key"].is_string()) {
        return "\"txn\" steps are {\"f\": \"read\"|\"write\", \"key\": k, \"value\": v}";
      }
      TxnStep st;
      st.is_write = x["f"] == "write";
      st.key = x["key"].get<std::string>();
      if (!OptValue(x, "value", &st.value)) return "txn step value must be a string or number";
      op->txn.push_back(std::move(st));
    }
  }
  if (!Int(j, "invoke_ns", &op->invoke_ns, true)) return "op needs an integer \"invoke_ns\"";
  if (!Int(j, "complete_ns", &op->complete_ns, false)) return "\"complete_ns\" must be an integer";
  int64_t v = 0;
  if (!Int(j, "zxid", &v, false)) return "\"zxid\" must be an integer";
  if (j.contains("zxid") && !j["zxid"].is_null()) op->zxid = v;
  if (!Int(j, "node", &v, false)) return "\"node\" must be an integer";
  if (j.contains("node") && !j["node"].is_null()) op->node = v;
  if (op->complete_ns != kOpenNs && op->complete_ns < op->invoke_ns) {
    return "complete_ns before invoke_ns";
  }
  return "";
}

std::string ParseNodeEvent(const json& j, NodeEvent* ev) {
  if (!Int(j, "ts_ms", &ev->ts_ms, true)) return "event needs an integer \"ts_ms\"";
  if (!Int(j, "node", &ev->node, true)) return "event needs an integer \"node\"";
  auto t = j.find("type");
  if (t == j.end() || !t->is_string()) return "event needs a string \"type\"";
  ev->type = t->get<std::string>();
  ev->fields = FieldList::FromJson(j);
  return "";
}

json OptJson(const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace

Result<std::vector<NodeEvent>> ImportNodeEvents(std::string_view text, const std::string& source) {
  std::vector<NodeEvent> events;
  Status st = ForEachJsonLine(text, source, [&](const json& j) {
    NodeEvent ev;
    std::string err = ParseNodeEvent(j, &ev);
    if (err.empty()) events.push_back(std::move(ev));
    return err;
  });
  if (!st.ok()) return st;
  return events;
}

Result<History> ImportJsonl(std::string_view text, const std::string& source) {
  History h;
  h.source = source;
  Status st = ForEachJsonLine(text, source, [&](const json& j) -> std::string {
    std::string record = j.value("record", std::string("op"));
    if (record == "op") {
      Op op;
      std::string err = ParseOp(j, &op);
      if (err.empty()) h.ops.push_back(std::move(op));
      return err;
    }
    if (record == "fault") {
      Fault f;
      if (!j.contains("kind") || !j["kind"].is_string()) return "fault needs a string \"kind\"";
      f.kind = j["kind"].get<std::string>();
      if (auto t = j.find("targets"); t != j.end()) {
        if (!t->is_array()) return "\"targets\" must be an array of node ids";
        for (const json& x : *t) {
          if (!x.is_number_integer()) return "\"targets\" must be an array of node ids";
          f.targets.push_back(x.get<int64_t>());
        }
      }
      if (!Int(j, "start_ns", &f.start_ns, true)) return "fault needs an integer \"start_ns\"";
      if (!Int(j, "stop_ns", &f.stop_ns, false)) return "\"stop_ns\" must be an integer";
      f.description = j.value("description", std::string());
      h.faults.push_back(std::move(f));
      return "";
    }
    if (record == "node_event") {
      NodeEvent ev;
      json copy = j;
      copy.erase("record");
      std::string err = ParseNodeEvent(copy, &ev);
      if (err.empty()) h.node_events.push_back(std::move(ev));
      return err;
    }
    if (record == "meta") {
      h.model = j.value("model", std::string());
      std::string mode = j.value("read_mode", std::string("linearizable"));
      if (mode == "linearizable") {
        h.read_mode = ReadMode::kLinearizable;
      } else if (mode == "sync") {
        h.read_mode = ReadMode::kSync;
      } else if (mode == "local") {
        h.read_mode = ReadMode::kLocal;
      } else {
        return "\"read_mode\" must be linearizable, sync or local";
      }
      if (!OptValue(j, "initial_value", &h.initial_value)) return "bad \"initial_value\"";
      return "";
    }
    return fmt::format("unknown record {:?} (op, fault, node_event, meta)", record);
  });
  if (!st.ok()) return st;
  return h;
}

std::string ExportJsonl(const History& h) {
  std::string out;
  const char* modes[] = {"linearizable", "sync", "local"};
  out += json{{"record", "meta"},
              {"model", h.model},
              {"read_mode", modes[static_cast<int>(h.read_mode)]},
              {"initial_value", OptJson(h.initial_value)}}
             .dump() +
         "\n";
  for (const Op& op : h.ops) {
    json j = {{"record", "op"},
              {"index", op.index},
              {"process", op.process},
              {"f", FnName(op.f)},
              {"key", op.key},
              {"value", OptJson(op.value)},
              {"invoke_ns", op.invoke_ns},
              {"complete_ns", op.open() ? json(nullptr) : json(op.complete_ns)},
              {"outcome", OutcomeName(op.outcome)}};
    if (op.expected) j["expected"] = *op.expected;
    if (!op.elements.empty()) j["elements"] = op.elements;
    if (!op.txn.empty()) {
      json t = json::array();
      for (const TxnStep& s : op.txn) {
        t.push_back(
            {{"f", s.is_write ? "write" : "read"}, {"key", s.key}, {"value", OptJson(s.value)}});
      }
      j["txn"] = t;
    }
    if (op.zxid) j["zxid"] = *op.zxid;
    if (op.node) j["node"] = *op.node;
    out += j.dump() + "\n";
  }
  for (const Fault& f : h.faults) {
    out += json{{"record", "fault"},
                {"kind", f.kind},
                {"targets", f.targets},
                {"start_ns", f.start_ns},
                {"stop_ns", f.stop_ns == kOpenNs ? json(nullptr) : json(f.stop_ns)},
                {"description", f.description}}
               .dump() +
           "\n";
  }
  for (const NodeEvent& ev : h.node_events) {
    json j = ev.fields.ToJson();
    j["record"] = "node_event";
    j["ts_ms"] = ev.ts_ms;
    j["node"] = ev.node;
    j["type"] = ev.type;
    out += j.dump() + "\n";
  }
  return out;
}

}  // namespace faultline::checkers
