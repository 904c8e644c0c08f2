// End-to-end (issue 10): reports and JUnit files of recorded runs, opened in a real headless
// Chromium (Debian `chromium`) and validated with xmllint against testdata/junit/junit.xsd.
// Runs: a valid run and an interrupted one made here with real zabd; a crashed one (controller
// SIGKILLed); an invalid one with a lost write from testdata/report/lost-write-run.sql and one
// with a ZAB invariant violation from testdata/report/invariant-run.sql (recorded runs, see the
// README there). The page is checked through its DOM (--dump-dom) and the browser's
// console log, never through pixels or timings. Tests skip with a line saying what is missing.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/e2e/report/faultline_child.h"

namespace faultline::e2e {
namespace {

namespace fs = std::filesystem;

const char* kChromium = "/usr/bin/chromium";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Page {
  std::string dom;
  std::string log;  // the browser's stderr with console logging on
};

// Loads `html` in headless Chromium and returns the DOM after load plus the console log.
Page LoadInChromium(const std::string& dir, const std::string& html) {
  std::string profile = dir + "/chromium-profile";
  std::string log = dir + "/chromium.log", dom = dir + "/dom.html";
  std::string cmd = std::string(kChromium) +
                    " --headless --no-sandbox --disable-gpu --disable-background-networking "
                    "--disable-component-update --disable-sync --no-first-run "
                    "--enable-logging=stderr --v=0 --user-data-dir=" +
                    profile + " --dump-dom 'file://" + html + "' > " + dom + " 2> " + log;
  int rc = std::system(cmd.c_str());
  (void)rc;
  return Page{ReadFile(dom), ReadFile(log)};
}

// Console messages the page produced (Chromium logs them as CONSOLE lines) and load errors.
std::vector<std::string> ConsoleProblems(const std::string& log) {
  std::vector<std::string> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.find("CONSOLE") != std::string::npos || line.find("Uncaught") != std::string::npos ||
        line.find("net::ERR") != std::string::npos) {
      out.push_back(line);
    }
  }
  return out;
}

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

class ReportE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kBin + "/faultline")) GTEST_SKIP() << "faultline not built at " << kBin;
  }
  void NeedZabd() {
    if (!fs::exists(kBin + "/zabd")) GTEST_SKIP() << "zabd not built at " << kBin;
  }
  bool HaveChromium() { return fs::exists(kChromium); }

  // The page loads with no console errors and has the parts every report has.
  Page CheckPage(const std::string& html) {
    EXPECT_TRUE(fs::exists(html)) << html;
    if (!HaveChromium()) {
      std::cout << "[  SKIPPED ] browser checks: " << kChromium
                << " not installed (apt-get install chromium)\n";
      return Page{ReadFile(html), ""};
    }
    Page p = LoadInChromium(box_.dir(), html);
    EXPECT_NE(p.dom.find("id=\"verdict\""), std::string::npos) << p.log;
    EXPECT_NE(p.dom.find("id=\"timeline\""), std::string::npos);
    EXPECT_TRUE(ConsoleProblems(p.log).empty()) << ConsoleProblems(p.log).front();
    return p;
  }

  void CheckJUnit(const std::string& xml) {
    ASSERT_TRUE(fs::exists(xml)) << xml;
    if (std::system("command -v xmllint > /dev/null") != 0) {
      std::cout << "[  SKIPPED ] JUnit schema check: xmllint not installed (libxml2-utils)\n";
      return;
    }
    std::string cmd = "xmllint --noout --schema " + kSource + "/testdata/junit/junit.xsd " + xml +
                      " > " + box_.dir() + "/xmllint.txt 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << ReadFile(box_.dir() + "/xmllint.txt");
  }

  void WaitForOps(int n) {
    for (int i = 0; i < 900; ++i) {
      std::string ops = box_.QueryOne("SELECT COUNT(*) FROM ops");
      if (!ops.empty() && std::stoi(ops) > n) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "the run never recorded ops\n" << box_.Output();
  }

  FaultlineSandbox box_;
};

TEST_F(ReportE2e, ValidRunWritesAReportWithFaultBandsAndTheLeaderTimelineAndAValidJUnit) {
  NeedZabd();
  std::string junit = box_.dir() + "/ci/junit.xml";
  std::string out;
  // quick.yaml kills the leader at 2 s: a second epoch follows.
  ASSERT_EQ(box_.Run({"run", kSource + "/workloads/quick.yaml", "--time-limit", "8s", "--seed",
                      "21", "--junit", junit},
                     &out),
            0)
      << out;
  std::string folder = box_.QueryOne("SELECT folder FROM runs WHERE id=1");
  Page p = CheckPage(folder + "/report.html");
  EXPECT_NE(p.dom.find("data-verdict=\"valid\""), std::string::npos);
  EXPECT_GE(Count(p.dom, "class=\"fault-band k-kill\""), 1) << "no kill band";
  EXPECT_NE(p.dom.find("data-kind=\"kill\" data-targets=\"n"), std::string::npos);
  EXPECT_GE(Count(p.dom, "class=\"leader-span n"), 2) << "the leader kill makes a second epoch";
  EXPECT_NE(p.dom.find("id=\"node-table\""), std::string::npos);
  EXPECT_NE(p.dom.find("replay 1"), std::string::npos);
  CheckJUnit(folder + "/junit.xml");
  CheckJUnit(junit);
  EXPECT_EQ(ReadFile(junit), ReadFile(folder + "/junit.xml"));
  EXPECT_NE(ReadFile(junit).find("<testcase name=\"zab-invariants\""), std::string::npos);
}

TEST_F(ReportE2e, RecordedRunWithALostWriteShowsTheCounterexampleAndForensics) {
  std::string sql = kSource + "/testdata/report/lost-write-run.sql";
  std::string cmd = "sqlite3 " + box_.store() + " < " + sql;
  if (std::system("command -v sqlite3 > /dev/null") != 0) GTEST_SKIP() << "sqlite3 not installed";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::string html = box_.dir() + "/lost.html", xml = box_.dir() + "/lost.xml";
  std::string out;
  ASSERT_EQ(box_.Run({"report", "1", "--out", html, "--junit", xml}, &out), 0) << out;
  Page p = CheckPage(html);
  EXPECT_NE(p.dom.find("data-verdict=\"invalid\""), std::string::npos);
  // The counterexample: per-process bars, the op that cannot be linearized marked.
  EXPECT_NE(p.dom.find("class=\"counterexample\""), std::string::npos);
  // Marked in the counterexample and again in the real-time view of the key around it.
  EXPECT_EQ(Count(p.dom, "culprit\" data-op=\"18023\""), 2) << "the stale final read is marked";
  EXPECT_NE(p.dom.find("cannot be linearized"), std::string::npos);
  // Lost-write forensics for the zxid, and both anomalies placed on the timeline.
  EXPECT_NE(p.dom.find("Forensics for zxid 0x1b000001fe"), std::string::npos);
  EXPECT_NE(p.dom.find("SNAP to 0x1b000001fd"), std::string::npos);
  EXPECT_EQ(Count(p.dom, "class=\"anomaly-mark\""), 2);
  EXPECT_GE(Count(p.dom, "class=\"fault-band k-"), 20);
  EXPECT_GE(Count(p.dom, "class=\"leader-span n"), 2);
  CheckJUnit(xml);
  std::string junit = ReadFile(xml);
  EXPECT_NE(junit.find("<testcase name=\"lost-writes\""), std::string::npos);
  EXPECT_NE(junit.find("1 anomaly: 1 acknowledged writes lost"), std::string::npos) << junit;
}

TEST_F(ReportE2e, RecordedInvariantViolationShowsItsEventLogLinesAtOffsetsFromTheStart) {
  if (std::system("command -v sqlite3 > /dev/null") != 0) GTEST_SKIP() << "sqlite3 not installed";
  std::string cmd =
      "sqlite3 " + box_.store() + " < " + kSource + "/testdata/report/invariant-run.sql";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::string html = box_.dir() + "/inv.html", xml = box_.dir() + "/inv.xml";
  std::string out;
  ASSERT_EQ(box_.Run({"report", "1", "--out", html, "--junit", xml}, &out), 0) << out;
  Page p = CheckPage(html);
  EXPECT_NE(p.dom.find("data-verdict=\"invalid\""), std::string::npos);
  size_t at = p.dom.find("id=\"anomaly-1\" data-checker=\"zab-invariants\"");
  ASSERT_NE(at, std::string::npos) << "the violation has its section";
  std::string section = p.dom.substr(at, p.dom.find("</section>", at) - at);
  // The checker's times as offsets from the run's start (it writes unix ms).
  EXPECT_NE(section.find("node 3 truncated at +8.82s"), std::string::npos) << section;
  EXPECT_NE(section.find("that node 1 committed at +8.72s"), std::string::npos) << section;
  EXPECT_EQ(section.find("1796171"), std::string::npos) << "no unix time left: " << section;
  EXPECT_EQ(p.dom.find("+-"), std::string::npos);
  // The event-log lines that show it: node 1's commit of 0x3000002c5 and node 3's truncation.
  EXPECT_NE(section.find("data-node=\"1\" data-type=\"committed\"><td class=\"num\">+8.72s"),
            std::string::npos)
      << section;
  EXPECT_NE(section.find("data-node=\"3\" data-type=\"truncate\"><td class=\"num\">+8.82s"),
            std::string::npos);
  EXPECT_NE(section.find("removed_first=0x3000002c5"), std::string::npos);
  EXPECT_EQ(Count(p.dom, "class=\"anomaly-mark\""), 1) << "placed on the timeline";
  CheckJUnit(xml);
  EXPECT_NE(ReadFile(xml).find("truncated at +8.82s"), std::string::npos);
}

// Measures the fault labels as Chromium lays them out: a script added to a copy of the page
// counts labels whose boxes overlap another label's or leave the chart, and writes the counts
// into the DOM.
constexpr const char* kMeasureLabels = R"js(<script>
(function () {
  var svg = document.getElementById('timeline');
  var labels = [].slice.call(svg.querySelectorAll('.fault-label'));
  var boxes = labels.map(function (e) { return e.getBBox(); });
  var width = svg.viewBox.baseVal.width, bad = 0;
  for (var i = 0; i < boxes.length; ++i) {
    var a = boxes[i];
    if (a.x < 0 || a.x + a.width > width) ++bad;
    for (var j = i + 1; j < boxes.length; ++j) {
      var b = boxes[j];
      if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height &&
          b.y < a.y + a.height) ++bad;
    }
  }
  document.body.setAttribute('data-labels', labels.length);
  document.body.setAttribute('data-label-problems', bad);
})();
</script></body>)js";

int MeasuredLabelProblems(const Page& p, int* labels) {
  std::smatch m;
  std::regex counts("data-labels=\"([0-9]+)\" data-label-problems=\"([0-9]+)\"");
  if (!std::regex_search(p.dom, m, counts)) return -1;
  *labels = std::stoi(m[1]);
  return std::stoi(m[2]);
}

TEST_F(ReportE2e, FaultLabelsStayReadableWhenFaultBandsOverlap) {
  if (!HaveChromium()) GTEST_SKIP() << kChromium << " not installed";
  if (std::system("command -v sqlite3 > /dev/null") != 0) GTEST_SKIP() << "sqlite3 not installed";
  // A recorded run (a fault every 1.5 s) and the crowded synthetic page the bench renders: a
  // fault every 300 ms, each lasting 2 s.
  std::string cmd =
      "sqlite3 " + box_.store() + " < " + kSource + "/testdata/report/lost-write-run.sql";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::string recorded = box_.dir() + "/recorded.html", crowded = box_.dir() + "/crowded.html";
  std::string out;
  ASSERT_EQ(box_.Run({"report", "1", "--out", recorded, "--junit", box_.dir() + "/j.xml"}, &out), 0)
      << out;
  std::string bench = kBin + "/report_bench";
  if (!fs::exists(bench)) GTEST_SKIP() << "report_bench not built at " << bench;
  cmd = bench + " --html " + crowded + " --ops 2000 --fault-every-ms 300 --fault-ms 2000 > " +
        box_.dir() + "/bench.txt 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadFile(box_.dir() + "/bench.txt");
  for (const std::string& html : {recorded, crowded}) {
    std::string page = ReadFile(html);
    size_t end = page.rfind("</body>");
    ASSERT_NE(end, std::string::npos);
    std::ofstream(html + ".measure.html")
        << page.substr(0, end) << kMeasureLabels << page.substr(end + 7);
    Page p = LoadInChromium(box_.dir(), html + ".measure.html");
    int labels = 0;
    EXPECT_EQ(MeasuredLabelProblems(p, &labels), 0) << html << "\n" << p.log;
    EXPECT_GE(labels, 12) << html;
  }
}

TEST_F(ReportE2e, InterruptedRunWritesAReportSayingSo) {
  NeedZabd();
  box_.Spawn({"run", kSource + "/workloads/quick.yaml", "--time-limit", "120s", "--seed", "5"});
  WaitForOps(100);
  box_.Kill(SIGTERM);
  EXPECT_EQ(box_.Wait(), 2) << box_.Output();
  std::string folder = box_.QueryOne("SELECT folder FROM runs WHERE id=1");
  Page p = CheckPage(folder + "/report.html");
  EXPECT_NE(p.dom.find("data-status=\"interrupted\""), std::string::npos);
  EXPECT_NE(p.dom.find("INTERRUPTED"), std::string::npos);
  CheckJUnit(folder + "/junit.xml");
  EXPECT_NE(ReadFile(folder + "/junit.xml").find("type=\"interrupted\""), std::string::npos);
}

TEST_F(ReportE2e, CrashedRunGetsAReportFromTheStoreAfterTheFact) {
  NeedZabd();
  box_.Spawn({"run", kSource + "/workloads/quick.yaml", "--time-limit", "120s", "--seed", "6"});
  WaitForOps(100);
  box_.Kill(SIGKILL);
  box_.Wait();
  std::string out;
  ASSERT_EQ(box_.Run({"report", "1"}, &out), 0) << out;
  std::string folder = box_.QueryOne("SELECT folder FROM runs WHERE id=1");
  Page p = CheckPage(folder + "/report.html");
  EXPECT_NE(p.dom.find("data-status=\"crashed\""), std::string::npos);
  EXPECT_NE(p.dom.find("last heard from"), std::string::npos);
  // Its node events are known (ingested as the run went, or read from the run folder).
  EXPECT_NE(p.dom.find("class=\"leader-span n"), std::string::npos);
  CheckJUnit(folder + "/junit.xml");
  EXPECT_NE(ReadFile(folder + "/junit.xml").find("type=\"crashed\""), std::string::npos);
}

TEST_F(ReportE2e, ReportOfAMissingRunOrStoreIsAnError) {
  std::string out;
  EXPECT_EQ(box_.Run({"report", "1"}, &out), 2);
  EXPECT_NE(out.find("no history store at"), std::string::npos) << out;
}

}  // namespace
}  // namespace faultline::e2e
