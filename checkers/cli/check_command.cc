#include "checkers/cli/check_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "checkers/import/import.h"

namespace faultline::checkers {
namespace {

using nlohmann::json;

struct Options {
  std::string format = "auto";
  std::string model;
  bool json = false;
  double time_limit_s = 60;
  int64_t memory_limit_mb = 1024;
  int threads = 0;
  bool stop_early = false;
  bool no_shrink = false;
  std::optional<std::string> initial;
  std::vector<std::string> inputs;
};

std::string AutoFormat(const std::string& input) {
  auto ends = [&](const char* s) {
    std::string suffix(s);
    return input.size() >= suffix.size() &&
           input.compare(input.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends(".jsonl") || ends(".json")) return "jsonl";
  if (ends(".edn")) return "jepsen-edn";
  if (ends(".log")) return "etcd-log";
  return "run";
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(fmt::format("{}: cannot open", path));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

json AnomaliesJson(const std::vector<Anomaly>& anomalies) {
  json out = json::array();
  for (const Anomaly& a : anomalies) {
    out.push_back({{"checker", a.checker},
                   {"key", a.key},
                   {"description", a.description},
                   {"start_ns", a.start_ns},
                   {"end_ns", a.end_ns},
                   {"ops", a.ops},
                   {"detail", a.detail}});
  }
  return out;
}

int ExitCodeFor(Verdict v) { return v == Verdict::kValid ? 0 : v == Verdict::kInvalid ? 1 : 2; }

void Run(const Options& o, int* exit_code, const RunLoader& load_run) {
  Verdict overall = Verdict::kValid;
  bool any_error = false;
  for (const std::string& input : o.inputs) {
    std::string format = o.format == "auto" ? AutoFormat(input) : o.format;
    ModelKind kind = ModelKind::kCasRegister;
    if (!o.model.empty()) ParseModelKind(o.model, &kind);  // validated by CLI11
    Result<History> history = Status::InvalidArgument("unset");
    CheckPlan plan;
    plan.own_history = format == "jsonl" || format == "run";
    const bool run_id =
        !input.empty() && input.find_first_not_of("0123456789") == std::string::npos;
    if (o.format == "auto" && format == "run" && !run_id) {
      // Neither a run id nor a file with a history suffix: say which, not "no such run".
      std::error_code ec;
      history = Status::InvalidArgument(
          std::filesystem::exists(input, ec)
              ? fmt::format("'{}' names no history format by its suffix (.jsonl, .json, .edn, "
                            ".log): give --format jsonl|jepsen-edn|porcupine-kv|etcd-log",
                            input)
              : fmt::format("'{}' is neither a run id (see `faultline runs`) nor a file", input));
    } else if (format == "run") {
      if (!load_run) {
        history = Status::InvalidArgument(fmt::format(
            "{}: runs need the faultline binary (or give --format for a history file)", input));
      } else if (Result<LoadedRun> run = load_run(input); !run.ok()) {
        history = run.status();
      } else {
        history = std::move(run->history);
        plan.required = std::move(run->required);
        plan.no_final_reads = std::move(run->no_final_reads);
      }
    } else {
      Result<std::string> text = ReadFile(input);
      if (!text.ok()) {
        history = text.status();
      } else if (format == "jsonl") {
        history = ImportJsonl(*text, input);
      } else if (format == "jepsen-edn") {
        history = ImportJepsenEdn(*text, input, kind);
      } else if (format == "porcupine-kv") {
        history = ImportPorcupineKv(*text, input);
      } else {
        history = ImportEtcdLog(*text, input);
      }
    }
    if (!history.ok()) {
      any_error = true;
      if (o.json) {
        std::cout << json{{"input", input},
                          {"verdict", "error"},
                          {"error", history.status().message()}}
                         .dump()
                  << "\n";
      } else {
        std::cout << input << ": error: " << history.status().message() << "\n";
      }
      continue;
    }
    if (o.initial) history->initial_value = *o.initial == "nil" ? std::nullopt : o.initial;
    ModelOptions model;
    model.kind = kind;
    if (o.model.empty()) {
      if (format == "porcupine-kv") {
        model.kind = ModelKind::kKv;
      } else if (format == "jsonl" || format == "run") {
        model.kind = ModelKind::kKv;
        ParseModelKind(history->model, &model.kind);
      }
    }
    model.nil_read_matches_anything = format == "jepsen-edn";  // Knossos semantics
    Budget budget;
    budget.time_limit_ms = static_cast<int64_t>(o.time_limit_s * 1000);
    budget.memory_limit_bytes = o.memory_limit_mb << 20;
    budget.threads = o.threads;
    budget.stop_on_first_invalid = o.stop_early;
    budget.shrink = !o.no_shrink;
    CheckReport report = RunChecks(*history, model, budget, plan);
    overall = CombineVerdicts(overall, report.verdict);
    std::cout << (o.json ? FormatReportJson(input, report) + "\n"
                         : FormatReportLine(input, report));
    std::cout.flush();
  }
  *exit_code = ExitCodeFor(overall);
  if (any_error && overall != Verdict::kInvalid) *exit_code = 2;
}

}  // namespace

CheckReport RunChecks(const History& history, const ModelOptions& model, const Budget& budget,
                      bool own_history) {
  return RunChecks(history, model, budget, CheckPlan{own_history, {}, ""});
}

CheckReport RunChecks(const History& history, const ModelOptions& model, const Budget& budget,
                      const CheckPlan& plan) {
  const auto start = std::chrono::steady_clock::now();
  CheckReport r;
  r.model = std::string(ModelKindName(model.kind));
  if (history.ops.empty() && history.node_events.empty()) {
    r.nothing_to_check = true;
    r.verdict = Verdict::kUnknown;
    return r;
  }
  auto required = [&](const char* name) {
    return std::find(plan.required.begin(), plan.required.end(), name) != plan.required.end();
  };
  const bool no_ops = history.ops.empty();
  const char* kNoOps = "the history has no operations";
  bool local = history.read_mode == ReadMode::kLocal;
  if (no_ops) {
    r.not_run.push_back({"linearizability", kNoOps});
  } else if (local) {
    // Local reads promise only session order; writes must still be linearizable.
    History writes = history;
    std::erase_if(writes.ops, [](const Op& op) { return op.f == Fn::kRead || op.f == Fn::kGet; });
    r.linearizability = CheckLinearizable(writes, model, budget);
    r.ran_linearizability = true;
  } else {
    r.linearizability = CheckLinearizable(history, model, budget);
    r.ran_linearizability = true;
  }
  if (r.ran_linearizability) {
    r.verdict = r.linearizability.verdict;
    // sync+read violations met by a partition: the known ZOOKEEPER-1675 window, named (a no-op
    // unless the history's read mode is sync), for `faultline run` and `check RUN` alike.
    ExplainSyncReadAnomalies(history, &r.linearizability.anomalies);
  }
  if (!no_ops && (local || required("session-order"))) {
    r.session = CheckSessionOrder(history);
    r.ran_session = true;
  } else if (required("session-order")) {
    r.not_run.push_back({"session-order", kNoOps});
  }
  bool has_zxids = std::any_of(history.ops.begin(), history.ops.end(),
                               [](const Op& op) { return op.zxid.has_value(); });
  bool register_like = model.kind == ModelKind::kRegister ||
                       model.kind == ModelKind::kCasRegister || model.kind == ModelKind::kKv ||
                       model.kind == ModelKind::kSet;
  bool lost_writes_apply = plan.own_history && register_like &&
                           (has_zxids || !history.node_events.empty() || required("lost-writes"));
  if (lost_writes_apply && !plan.no_final_reads.empty()) {
    r.not_run.push_back({"lost-writes", plan.no_final_reads});
  } else if (lost_writes_apply && !no_ops) {
    r.lost_writes = CheckLostWrites(history);
    r.ran_lost_writes = true;
    r.verdict = CombineVerdicts(r.verdict, r.lost_writes.verdict);
  } else if (required("lost-writes")) {
    r.not_run.push_back({"lost-writes", no_ops           ? kNoOps
                                        : !register_like ? "the model has no writes to lose"
                                                         : "the history is not faultline's own"});
  }
  if (!history.node_events.empty()) {
    r.invariants = CheckZabInvariants(history.node_events, history.origin_ms);
    r.ran_invariants = true;
    r.verdict = CombineVerdicts(r.verdict, r.invariants.verdict);
  } else if (required("zab-invariants")) {
    r.not_run.push_back({"zab-invariants",
                         "0 node events in the history (the nodes' event logs never reached the "
                         "store)"});
  }
  if (r.ran_session) r.verdict = CombineVerdicts(r.verdict, r.session.verdict);
  if (!r.not_run.empty()) r.verdict = CombineVerdicts(r.verdict, Verdict::kUnknown);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

std::string FormatReportLine(const std::string& input, const CheckReport& r) {
  if (r.nothing_to_check) {
    return input + ": nothing to check: the history has no operations and no node events\n";
  }
  const LinearizabilityResult& l = r.linearizability;
  int ops = 0, invalid = 0, unknown = 0;
  for (const KeyResult& k : l.keys) {
    ops += static_cast<int>(k.ops);
    invalid += k.verdict == Verdict::kInvalid;
    unknown += k.verdict == Verdict::kUnknown;
  }
  std::string out = fmt::format(
      "{}: {} (model {}, {} ops, {} keys: {} invalid, {} unknown; {} states, peak {:.1f} MB, "
      "{:.3f} s)",
      input, VerdictName(r.verdict), r.model, ops, l.keys.size(), invalid, unknown,
      l.states_explored, l.peak_memory_bytes / 1048576.0, r.seconds);
  if (!l.reason.empty()) out += ": " + l.reason;
  out += "\n";
  auto section = [&](const char* name, Verdict v, const std::string& reason,
                     const std::vector<Anomaly>& anomalies) {
    out += fmt::format("  {}: {}{}\n", name, VerdictName(v),
                       reason.empty() ? "" : " (" + reason + ")");
    for (const Anomaly& a : anomalies) {
      out += "    - " + a.description + "\n";
      std::istringstream lines(a.detail);
      for (std::string line; std::getline(lines, line);) out += "      " + line + "\n";
    }
  };
  for (const KeyResult& k : l.keys) {
    if (k.verdict == Verdict::kUnknown)
      out += fmt::format("  key {:?}: unknown ({})\n", k.key, k.reason);
  }
  if (!l.anomalies.empty()) section("linearizability", l.verdict, "", l.anomalies);
  if (r.ran_lost_writes)
    section("lost writes", r.lost_writes.verdict, r.lost_writes.reason, r.lost_writes.anomalies);
  if (r.ran_invariants)
    section("zab invariants", r.invariants.verdict, r.invariants.reason, r.invariants.anomalies);
  if (r.ran_session)
    section("session order", r.session.verdict, r.session.reason, r.session.anomalies);
  for (const NotRun& n : r.not_run)
    out += fmt::format("  {}: could not run: {}\n", n.checker, n.reason);
  return out;
}

std::string FormatReportJson(const std::string& input, const CheckReport& r) {
  if (r.nothing_to_check) {
    return json{{"input", input},
                {"verdict", VerdictName(r.verdict)},
                {"nothing_to_check", true},
                {"reason", "the history has no operations and no node events"}}
        .dump();
  }
  const LinearizabilityResult& l = r.linearizability;
  json keys = json::array();
  for (const KeyResult& k : l.keys) {
    keys.push_back({{"key", k.key},
                    {"verdict", VerdictName(k.verdict)},
                    {"reason", k.reason},
                    {"ops", k.ops},
                    {"states_explored", k.states_explored},
                    {"cache_bytes", k.cache_bytes},
                    {"seconds", k.seconds},
                    {"minimal_ops", k.minimal_ops}});
  }
  json j = {{"input", input},
            {"verdict", VerdictName(r.verdict)},
            {"model", r.model},
            {"seconds", r.seconds}};
  if (r.ran_linearizability) {
    j["linearizability"] = {{"verdict", VerdictName(l.verdict)},
                            {"reason", l.reason},
                            {"states_explored", l.states_explored},
                            {"peak_memory_bytes", l.peak_memory_bytes},
                            {"keys", keys},
                            {"anomalies", AnomaliesJson(l.anomalies)}};
  }
  if (r.ran_lost_writes) {
    j["lost_writes"] = {{"verdict", VerdictName(r.lost_writes.verdict)},
                        {"reason", r.lost_writes.reason},
                        {"writes_checked", r.lost_writes.writes_checked},
                        {"anomalies", AnomaliesJson(r.lost_writes.anomalies)}};
  }
  if (r.ran_invariants) {
    j["zab_invariants"] = {{"verdict", VerdictName(r.invariants.verdict)},
                           {"reason", r.invariants.reason},
                           {"events_checked", r.invariants.events_checked},
                           {"anomalies", AnomaliesJson(r.invariants.anomalies)}};
  }
  if (r.ran_session) {
    j["session_order"] = {{"verdict", VerdictName(r.session.verdict)},
                          {"reason", r.session.reason},
                          {"reads_checked", r.session.reads_checked},
                          {"anomalies", AnomaliesJson(r.session.anomalies)}};
  }
  json not_run = json::array();
  for (const NotRun& n : r.not_run)
    not_run.push_back({{"checker", n.checker}, {"reason", n.reason}});
  j["not_run"] = not_run;
  return j.dump();
}

void AddCheckCommand(CLI::App& app, int* exit_code, RunLoader load_run) {
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("check", "Check histories: one verdict line per input");
  cmd->add_option("--format", options->format, "Input format")
      ->check(CLI::IsMember({"auto", "jsonl", "jepsen-edn", "porcupine-kv", "etcd-log", "run"}));
  cmd->add_option("--model", options->model, "Model (default: from the format or the run)")
      ->check(CLI::IsMember({"register", "cas-register", "kv", "set", "mutex", "multi-register"}));
  cmd->add_option("--initial", options->initial,
                  "Initial value of every key/register (nil = absent; default: the format's)");
  cmd->add_flag("--json", options->json, "One JSON object per input");
  cmd->add_option("--time-limit", options->time_limit_s,
                  "Seconds per input (undecided keys: unknown)");
  cmd->add_option("--memory-limit", options->memory_limit_mb, "MB of search caches per input");
  cmd->add_option("--threads", options->threads, "Worker threads (0 = all cores)");
  cmd->add_flag("--stop-early", options->stop_early, "Stop other keys once one key is invalid");
  cmd->add_flag("--no-shrink", options->no_shrink, "Do not shrink counterexamples");
  cmd->add_option("inputs", options->inputs, "History files, or run names with --format run")
      ->required();
  cmd->callback([options, exit_code, load_run]() { Run(*options, exit_code, load_run); });
}

}  // namespace faultline::checkers
