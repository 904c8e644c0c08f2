// report_bench: how long a nightly-size report takes to render and to open in headless Chromium
// (issue 10: a 6-minute nightly, about 100k ops, opens in under 2 s). Run by hand, never in ctest:
//
//   build/bin/report_bench [--ops 100000] [--duration-s 360] [--chromium 5]     synthetic run
//   build/bin/report_bench --store results/faultline.db --run 12 --chromium 5   a recorded run
//
// Synthetic runs: 10 clients over 10 keys on 5 nodes, a fault every --fault-every-ms lasting
// --fault-ms (kinds and targets cycling), a new leader every third fault, ok/fail/info like a
// nightly (fail and info mostly inside faults), one stale read the linearizability checker really
// flags. Prints the render time (median of 3), the page size and, with --chromium N, for each of
// N loads: the time from navigation to the load event and to the page laid out (a script added to
// a copy of the page forces style and layout, then reads performance.now()), and the wall time of
// a headless screenshot (layout and paint included) minus that of an empty page.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <regex>
#include <sstream>

#include "checkers/checkers.h"
#include "harness/history/history_store.h"
#include "harness/report/html_report.h"
#include "harness/report/run_view.h"

namespace fl = faultline::harness;
namespace rp = faultline::harness::report;
using faultline::checkers::Fn;
using faultline::checkers::Op;
using faultline::checkers::Outcome;

namespace {

constexpr int64_t kMs = 1'000'000;

struct Synthetic {
  int64_t ops = 100'000;
  int64_t duration_s = 360;
  int64_t fault_every_ms = 5000;
  int64_t fault_ms = 5000;
  int nodes = 5;
};

rp::RunView MakeView(const Synthetic& s) {
  rp::RunView v;
  const int64_t t0_ms = 1'796'155'125'800;
  v.run.id = 1;
  v.run.suite = "nightly (synthetic, report_bench)";
  v.run.status = fl::kRunFinished;
  v.run.verdict = "invalid";
  v.run.started_ms = t0_ms;
  v.run.ended_ms = t0_ms + s.duration_s * 1000;
  v.run.last_heard_ms = *v.run.ended_ms;
  v.run.git_revision = "bench";
  v.store_path = "(synthetic)";
  v.events_source = "synthetic";
  v.spec.system = "zabd";
  v.spec.nodes = s.nodes;
  v.spec.workload = "register";
  v.spec.concurrency = 10;
  v.t0_ns = t0_ms * kMs;
  v.end_ns = v.t0_ns + s.duration_s * 1000 * kMs;
  std::mt19937_64 rng(7);
  // Faults.
  const char* kinds[] = {"kill", "pause", "partition", "restart", "delay", "loss"};
  int64_t epoch = 1, leader = 1;
  auto established = [&](int64_t at_ns) {
    faultline::checkers::NodeEvent e;
    e.node = leader;
    e.ts_ms = at_ns / kMs;
    e.type = "established";
    e.fields = {{"ts_ms", e.ts_ms},
                {"node", leader},
                {"type", "established"},
                {"epoch", epoch},
                {"leader", leader}};
    v.history.node_events.push_back(e);
  };
  established(v.t0_ns + 300 * kMs);
  int64_t index = 0;
  for (int64_t at = 1000; at + 100 < s.duration_s * 1000; at += s.fault_every_ms, ++index) {
    faultline::checkers::Fault f;
    f.kind = kinds[index % 6];
    f.targets = {1 + index % s.nodes};
    if (index % 4 == 2) f.targets.push_back(1 + (index + 2) % s.nodes);
    f.start_ns = v.t0_ns + at * kMs;
    f.stop_ns = std::min(v.end_ns, f.start_ns + s.fault_ms * kMs);
    f.description = fmt::format("{} (synthetic fault {})", f.kind, index);
    v.history.faults.push_back(f);
    fl::FaultRecord r{index, f.kind, f.targets, f.start_ns, f.stop_ns, f.description, "{}"};
    v.faults.push_back(r);
    if (index % 3 == 0) {
      ++epoch;
      leader = 1 + (leader % s.nodes);
      established(f.start_ns + 400 * kMs);
    }
  }
  auto in_fault = [&](int64_t ns) {
    for (const auto& f : v.history.faults) {
      if (f.start_ns <= ns && ns < f.stop_ns) return true;
    }
    return false;
  };
  // Ops, evenly spread, 10 clients.
  const int64_t span_ns = (s.duration_s * 1000 - 200) * kMs;
  std::uniform_real_distribution<double> u(0, 1);
  for (int64_t i = 0; i < s.ops; ++i) {
    Op op;
    op.index = i;
    op.process = i % 10;
    double r = u(rng);
    op.f = r < 0.4 ? Fn::kRead : r < 0.8 ? Fn::kWrite : Fn::kCas;
    op.key = "k" + std::to_string(i % 10);
    op.invoke_ns = v.t0_ns + 100 * kMs + span_ns * i / s.ops;
    bool faulty = in_fault(op.invoke_ns);
    double latency_ms = faulty ? 2 + 300 * u(rng) * u(rng) : 0.8 + 6 * u(rng) * u(rng);
    op.complete_ns = op.invoke_ns + static_cast<int64_t>(latency_ms * kMs);
    double o = u(rng);
    op.outcome = faulty ? (o < 0.55   ? Outcome::kOk
                           : o < 0.97 ? Outcome::kFail
                                      : Outcome::kInfo)
                        : (o < 0.995 ? Outcome::kOk : Outcome::kFail);
    if (op.f != Fn::kRead) op.value = std::to_string(i);
    if (op.f == Fn::kCas) op.expected = std::to_string(i - 10);
    if (op.f == Fn::kRead && op.outcome == Outcome::kOk) op.value = std::to_string(i - 7);
    op.node = 1 + i % s.nodes;
    v.history.ops.push_back(op);
  }
  // One stale read on a key of its own, judged by the real checker.
  faultline::checkers::History stale;
  int64_t at = v.t0_ns + span_ns / 2;
  auto add = [&](int64_t p, Fn f, std::string value, int64_t from_ms, int64_t to_ms) {
    Op op;
    op.index = static_cast<int64_t>(v.history.ops.size());
    op.process = p;
    op.f = f;
    op.key = "stale";
    op.value = std::move(value);
    op.invoke_ns = at + from_ms * kMs;
    op.complete_ns = at + to_ms * kMs;
    op.outcome = Outcome::kOk;
    v.history.ops.push_back(op);
    stale.ops.push_back(op);
  };
  add(11, Fn::kWrite, "1", 0, 5);
  add(12, Fn::kWrite, "2", 10, 15);
  add(13, Fn::kRead, "1", 20, 25);
  auto lin = faultline::checkers::CheckLinearizable(stale, faultline::checkers::ModelOptions{},
                                                    faultline::checkers::Budget{});
  v.checks = {fl::CheckRecord{"linearizability", "invalid", "1 of 11 keys", lin.anomalies},
              fl::CheckRecord{"lost-writes", "valid", "", {}},
              fl::CheckRecord{"zab-invariants", "valid", "", {}}};
  return v;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double Seconds(std::chrono::steady_clock::time_point a) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
}

constexpr const char* kTiming = R"js(<script>
window.addEventListener('load', function () {
  var loaded = performance.now();
  document.body.getBoundingClientRect();
  var svgs = document.querySelectorAll('svg');
  for (var i = 0; i < svgs.length; ++i) svgs[i].getBBox();
  document.body.setAttribute('data-bench', loaded.toFixed(1) + ' ' + performance.now().toFixed(1));
});
</script></body>)js";

std::string Chromium(const std::string& dir, const std::string& args) {
  return "/usr/bin/chromium --headless --no-sandbox --disable-gpu --hide-scrollbars "
         "--no-first-run --disable-background-networking --disable-component-update "
         "--disable-sync --user-data-dir=" +
         dir + "/profile " + args + " 2>/dev/null";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"report_bench: render a nightly-size report and time Chromium opening it"};
  Synthetic s;
  std::string store, html = "/tmp/report-bench.html";
  int64_t run = 0;
  int chromium = 0;
  app.add_option("--ops", s.ops, "synthetic: ops")
      ->capture_default_str()
      ->check(CLI::Range(1, 10'000'000));
  app.add_option("--duration-s", s.duration_s, "synthetic: run length")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  app.add_option("--fault-every-ms", s.fault_every_ms, "synthetic: a fault this often")
      ->capture_default_str()
      ->check(CLI::Range(10, 3'600'000));
  app.add_option("--fault-ms", s.fault_ms, "synthetic: each fault lasts")
      ->capture_default_str()
      ->check(CLI::Range(1, 3'600'000));
  app.add_option("--store", store, "a recorded run instead: its store");
  app.add_option("--run", run, "a recorded run instead: its id");
  app.add_option("--html", html, "write the report here")->capture_default_str();
  app.add_option("--chromium", chromium, "open it this many times in headless Chromium")
      ->check(CLI::Range(0, 100));
  CLI11_PARSE(app, argc, argv);

  rp::RunView view;
  if (!store.empty() || run != 0) {
    auto st = fl::HistoryStore::OpenExisting(store);
    if (!st.ok()) {
      std::cerr << "error: " << st.status().message() << "\n";
      return 2;
    }
    auto v = rp::LoadRunView(**st, run, store);
    if (!v.ok()) {
      std::cerr << "error: " << v.status().message() << "\n";
      return 2;
    }
    view = std::move(v).value();
  } else {
    view = MakeView(s);
  }
  std::vector<double> render_s;
  std::string page;
  for (int i = 0; i < 3; ++i) {
    auto t = std::chrono::steady_clock::now();
    page = rp::RenderReportHtml(view);
    render_s.push_back(Seconds(t));
  }
  std::ofstream(html) << page;
  fmt::print("run: {} ops, {} faults, {} node events ({})\n", view.history.ops.size(),
             view.history.faults.size(), view.history.node_events.size(),
             store.empty() ? "synthetic" : store + " run " + std::to_string(run));
  fmt::print("render: {:.0f} ms (median of 3); page {:.0f} KiB -> {}\n", Median(render_s) * 1e3,
             static_cast<double>(page.size()) / 1024, html);
  if (chromium == 0) return 0;

  std::string dir = "/tmp/report-bench." + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  size_t end = page.rfind("</body>");
  std::string timed = dir + "/timed.html", empty = dir + "/empty.html";
  std::ofstream(timed) << page.substr(0, end) << kTiming << page.substr(end + 7);
  std::ofstream(empty) << "<!DOCTYPE html><html><body>empty</body></html>";
  std::regex bench("data-bench=\"([0-9.]+) ([0-9.]+)\"");
  std::vector<double> load_ms, layout_ms, shot_s, empty_s;
  std::system(Chromium(dir, "--screenshot=" + dir + "/warm.png file://" + empty).c_str());  // warm
  for (int i = 0; i < chromium; ++i) {
    std::string dom = dir + "/dom.html";
    std::system(Chromium(dir, "--dump-dom file://" + timed + " > " + dom).c_str());
    std::smatch m;
    std::string d = ReadFile(dom);
    if (std::regex_search(d, m, bench)) {
      load_ms.push_back(std::stod(m[1]));
      layout_ms.push_back(std::stod(m[2]));
    }
    auto t = std::chrono::steady_clock::now();
    std::system(
        Chromium(dir, "--window-size=1280,900 --screenshot=" + dir + "/e.png file://" + empty)
            .c_str());
    empty_s.push_back(Seconds(t));
    t = std::chrono::steady_clock::now();
    std::system(
        Chromium(dir, "--window-size=1280,900 --screenshot=" + dir + "/r.png file://" + html)
            .c_str());
    shot_s.push_back(Seconds(t));
    fmt::print(
        "load {}: load event {:.0f} ms, laid out {:.0f} ms; screenshot {:.2f} s (empty page "
        "{:.2f} s)\n",
        i + 1, load_ms.empty() ? -1 : load_ms.back(), layout_ms.empty() ? -1 : layout_ms.back(),
        shot_s.back(), empty_s.back());
  }
  fmt::print(
      "median of {}: load event {:.0f} ms, laid out {:.0f} ms, screenshot minus empty page "
      "{:.2f} s\n",
      chromium, Median(load_ms), Median(layout_ms), Median(shot_s) - Median(empty_s));
  std::filesystem::remove_all(dir);
  return 0;
}
