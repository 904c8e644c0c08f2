#include "harness/shrink/shrink.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "harness/run/interrupt.h"
#include "harness/shrink/ddmin.h"

namespace faultline::harness::shrink {
namespace {

namespace fs = std::filesystem;

// Bounds of the load trim (TigerBeetle: bounds together).
constexpr int64_t kTrimMarginMinMs = 2000;  // quiet time kept after the last fault
constexpr int64_t kTrimRoundMs = 500;       // trimmed time limits are multiples of this

std::string Seconds(int64_t ms) { return fmt::format("{:.3f} s", static_cast<double>(ms) / 1000); }

std::string Entry(const ScheduledFault& f) {
  return fmt::format("at {} for {}: {}", Seconds(f.at_ms), Seconds(f.duration_ms),
                     DescribeSpec(f.fault));
}

// The anomaly and, for a lost write, its node-log forensics, indented.
std::string Evidence(int64_t run_id, const AnomalyTarget& target, const AttemptMatch& m) {
  std::string s = fmt::format("evidence (run {}, {}):\n", run_id, DescribeMatch(target, m));
  if (m.anomaly == nullptr) return s + "  (no anomaly detail)\n";
  s += "  " + m.anomaly->description + "\n";
  std::istringstream lines(m.anomaly->detail);
  for (std::string line; std::getline(lines, line);) s += "  " + line + "\n";
  return s;
}

class Shrinker {
 public:
  Shrinker(const ShrinkOptions& o, const Attempter& attempt)
      : o_(o), attempt_(attempt), out_(o.out ? *o.out : std::cout) {}

  ShrinkResult Run() {
    const RecordedRun& orig = o_.original;
    Result<AnomalyTarget> target = TargetOf(orig.checks, o_.checker);
    if (!target.ok()) {
      r_.status = Status::InvalidArgument(
          fmt::format("run {}: nothing to shrink: {}", orig.run.id, target.status().message()));
      return r_;
    }
    target_ = *target;
    concurrency_ = orig.spec.concurrency;
    time_limit_ms_ = orig.spec.time_limit_ms;
    r_.kept.resize(orig.schedule.size());
    for (size_t i = 0; i < r_.kept.size(); ++i) r_.kept[i] = i;
    out_ << fmt::format(
        "shrink run {} (suite {}, seed {}): {} faults; target: {} ({}); match: {}; up to {} "
        "tries per candidate\n",
        orig.run.id, orig.run.suite, orig.run.seed, orig.schedule.size(), target_.checker,
        target_.description, MatchLevelName(o_.match), o_.tries);
    WriteRepro();  // the original schedule is the best so far
    DdminResult d = Ddmin(
        orig.schedule.size(),
        [&](const std::vector<size_t>& subset) {
          return Try(Candidate(subset), fmt::format("{} of {} faults {}", subset.size(),
                                                    orig.schedule.size(), Indices(subset)));
        },
        [&](const std::vector<size_t>& best) {
          r_.kept = best;
          out_ << fmt::format("best so far: {} fault(s) {}\n", best.size(), Indices(best));
          WriteRepro();
        });
    r_.kept = d.best;
    r_.minimal = d.complete;
    if (r_.status.ok() && d.complete && o_.trim) TrimLoad();
    r_.repro = Candidate(r_.kept);
    if (r_.status.ok() && !r_.interrupted && o_.confirm > 0) Confirm();
    WriteRepro();
    r_.narrative = Narrative();
    out_ << r_.narrative;
    return r_;
  }

 private:
  TestSpec Candidate(const std::vector<size_t>& subset) const {
    std::vector<ScheduledFault> faults;
    for (size_t i : subset) faults.push_back(o_.original.schedule[i]);
    TestSpec s = WithExactSchedule(o_.original.spec, std::move(faults));
    s.concurrency = concurrency_;
    s.time_limit_ms = time_limit_ms_;
    s.source_text.clear();
    return s;
  }

  static std::string Indices(const std::vector<size_t>& s) {
    std::vector<std::string> v;
    for (size_t i : s) v.push_back(std::to_string(i));
    return "{" + fmt::format("{}", fmt::join(v, ",")) + "}";
  }

  // Up to `tries` attempts; the first that reproduces ends it.
  Trial Try(const TestSpec& spec, const std::string& label) {
    for (int t = 1; t <= o_.tries; ++t) {
      if (Interrupted() || !r_.status.ok()) return Stop();
      Attempt a = attempt_(spec);
      ++r_.attempts;
      if (a.run_id) r_.runs.push_back(a.run_id);
      if (a.run_id == 0) {  // could not run at all: the same for every candidate
        r_.status = Status::Unavailable(fmt::format("attempt could not run: {}", a.error));
        return Stop();
      }
      if (a.interrupted) return Stop();
      const AttemptMatch m = Compare(target_, a.checks);
      const bool yes = Reproduces(target_, m, o_.match);
      out_ << fmt::format("attempt {:<3} {} (try {}/{}): run {} {} — {}\n", r_.attempts, label, t,
                          o_.tries, a.run_id, yes ? "REPRODUCED" : "not reproduced",
                          DescribeMatch(target_, m));
      out_.flush();
      if (yes) {
        evidence_[SpecToYaml(spec)] = {a.run_id, Evidence(a.run_id, target_, m)};
        return Trial::kReproduced;
      }
    }
    return Trial::kNotReproduced;
  }

  Trial Stop() {
    r_.interrupted = r_.interrupted || Interrupted();
    return Trial::kInterrupted;
  }

  // Shorter time (the last kept fault's end plus a margin), then fewer clients.
  void TrimLoad() {
    int64_t end = 0;
    for (size_t i : r_.kept) {
      const ScheduledFault& f = o_.original.schedule[i];
      end = std::max(end, f.at_ms + f.duration_ms);
    }
    const int64_t margin = std::max(kTrimMarginMinMs, 2 * o_.original.spec.op_timeout_ms);
    const int64_t limit = (end + margin + kTrimRoundMs - 1) / kTrimRoundMs * kTrimRoundMs;
    if (limit < time_limit_ms_) {
      const int64_t was = time_limit_ms_;
      time_limit_ms_ = limit;
      const Trial t = Try(Candidate(r_.kept), fmt::format("time limit {}", Seconds(limit)));
      if (t != Trial::kReproduced) time_limit_ms_ = was;
      if (t == Trial::kInterrupted) return;
      if (t == Trial::kReproduced) WriteRepro();
    }
    while (concurrency_ > 1) {
      const int was = concurrency_;
      concurrency_ = std::max(1, concurrency_ / 2);
      const Trial t = Try(Candidate(r_.kept), fmt::format("concurrency {}", concurrency_));
      if (t != Trial::kReproduced) {
        concurrency_ = was;
        return;
      }
      WriteRepro();
    }
  }

  // Runs the file itself `confirm` times.
  void Confirm() {
    const std::string text = ReproYaml(r_.repro, "");
    Result<TestSpec> spec =
        ParseTestSpec(text, o_.repro_path.empty() ? "repro.yaml" : o_.repro_path);
    if (!spec.ok()) {
      r_.status = Status::Corruption("repro.yaml does not read back: " + spec.status().message());
      return;
    }
    for (int i = 1; i <= o_.confirm; ++i) {
      if (Interrupted()) {
        r_.interrupted = true;
        r_.confirmed = r_.confirm_runs = 0;
        return;
      }
      Attempt a = attempt_(*spec);
      ++r_.attempts;
      if (a.run_id) r_.runs.push_back(a.run_id);
      if (a.interrupted || a.run_id == 0) {
        r_.interrupted = a.interrupted;
        r_.confirmed = r_.confirm_runs = 0;
        return;
      }
      const AttemptMatch m = Compare(target_, a.checks);
      const bool yes = Reproduces(target_, m, o_.match);
      ++r_.confirm_runs;
      if (yes) {
        ++r_.confirmed;
        evidence_[SpecToYaml(r_.repro)] = {a.run_id, Evidence(a.run_id, target_, m)};
      }
      confirm_ids_.push_back(a.run_id);
      out_ << fmt::format("confirm {}/{}: run {} {} — {}\n", i, o_.confirm, a.run_id,
                          yes ? "REPRODUCED" : "not reproduced", DescribeMatch(target_, m));
      out_.flush();
    }
  }

  std::string Narrative() {
    const RecordedRun& orig = o_.original;
    std::string s =
        fmt::format("shrink of run {} (suite {}, seed {}): {}: {}\n", orig.run.id, orig.run.suite,
                    orig.run.seed, target_.checker, target_.description);
    s += fmt::format("faults that matter ({} of {}), in order:\n", r_.kept.size(),
                     orig.schedule.size());
    if (r_.kept.empty()) s += "  none: the anomaly happens without any fault\n";
    int n = 0;
    for (size_t i : r_.kept) {
      s += fmt::format("  {}. {}\n     in run {}: {}\n", ++n, Entry(orig.schedule[i]), orig.run.id,
                       orig.realized[i]);
    }
    std::vector<std::string> dropped;
    for (size_t i = 0; i < orig.schedule.size(); ++i) {
      if (!std::binary_search(r_.kept.begin(), r_.kept.end(), i)) {
        dropped.push_back("  - " + Entry(orig.schedule[i]) + "\n");
      }
    }
    if (!dropped.empty()) s += "not needed:\n" + fmt::format("{}", fmt::join(dropped, ""));
    const TestSpec repro = Candidate(r_.kept);
    s += fmt::format("load: concurrency {} -> {}, time limit {} -> {}\n", orig.spec.concurrency,
                     repro.concurrency, Seconds(orig.spec.time_limit_ms),
                     Seconds(repro.time_limit_ms));
    auto ev = evidence_.find(SpecToYaml(repro));
    if (ev != evidence_.end()) {
      r_.evidence_run = ev->second.first;
      s += ev->second.second;
    } else if (r_.kept.size() == orig.schedule.size()) {
      s += "evidence: the original run (no smaller schedule reproduced)\n";
    }
    if (r_.confirm_runs > 0) {
      std::vector<std::string> ids;
      for (int64_t id : confirm_ids_) ids.push_back(std::to_string(id));
      s += fmt::format("reproduction rate: {} of {} runs of repro.yaml (runs {})\n", r_.confirmed,
                       r_.confirm_runs, fmt::join(ids, ", "));
    } else {
      s += "reproduction rate: not measured\n";
    }
    if (!r_.status.ok()) s += "stopped: " + r_.status.message() + "\n";
    s += fmt::format("search: {} after {} attempt(s), each recorded as a run\n",
                     r_.interrupted ? "interrupted: best so far"
                     : r_.minimal   ? "1-minimal"
                                    : "incomplete",
                     r_.attempts);
    return s;
  }

  void WriteRepro() {
    if (o_.repro_path.empty()) return;
    std::string header = Narrative();
    if (!o_.run_command.empty()) header = "reproduce: " + o_.run_command + "\n" + header;
    const std::string text = ReproYaml(Candidate(r_.kept), header);
    const std::string tmp = o_.repro_path + ".tmp";
    {
      std::ofstream f(tmp, std::ios::trunc);
      f << text;
      if (!f) {
        out_ << "warning: cannot write " << tmp << "\n";
        return;
      }
    }
    std::error_code ec;
    fs::rename(tmp, o_.repro_path, ec);  // atomic: an interrupt never leaves half a file
    if (ec) out_ << "warning: cannot write " << o_.repro_path << ": " << ec.message() << "\n";
  }

  const ShrinkOptions& o_;
  const Attempter& attempt_;
  std::ostream& out_;
  AnomalyTarget target_;
  ShrinkResult r_;
  int concurrency_ = 1;
  int64_t time_limit_ms_ = 0;
  std::map<std::string, std::pair<int64_t, std::string>> evidence_;  // spec yaml -> (run, text)
  std::vector<int64_t> confirm_ids_;
};

}  // namespace

std::string ReproYaml(const TestSpec& spec, const std::string& header) {
  std::string out;
  std::istringstream lines(header);
  for (std::string line; std::getline(lines, line);) out += "# " + line + "\n";
  return out + SpecToYaml(spec);
}

ShrinkResult Shrink(const ShrinkOptions& options, const Attempter& attempt) {
  return Shrinker(options, attempt).Run();
}

}  // namespace faultline::harness::shrink
