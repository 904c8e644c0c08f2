#include "harness/report/run_outputs.h"

#include <filesystem>
#include <fstream>

#include "harness/report/junit.h"
#include "harness/report/run_view.h"

namespace faultline::harness::report {
namespace {

namespace fs = std::filesystem;

// Writes via a temp file and rename, so a reader never sees half a report.
Status WriteFile(const std::string& path, const std::string& text) {
  std::error_code ec;
  fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::IoError("cannot write " + tmp);
    out << text;
    out.flush();
    if (!out) return Status::IoError("cannot write " + tmp);
  }
  fs::rename(tmp, path, ec);
  if (ec) return Status::IoError("cannot rename " + tmp + " to " + path + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

Result<WrittenOutputs> WriteRunOutputs(HistoryStore& store, int64_t run_id,
                                       const OutputOptions& o) {
  Result<RunView> view = LoadRunView(store, run_id, o.store_path);
  if (!view.ok()) return view.status();
  WrittenOutputs w;
  const std::string& folder = view->run.folder;
  if ((o.html_path.empty() || o.junit_path.empty()) && folder.empty()) {
    return Status::InvalidArgument(
        "run " + std::to_string(run_id) + " has no run folder: give " +
        (o.html_path.empty() ? std::string(o.junit_path.empty() ? "--out and --junit" : "--out")
                             : std::string("--junit")) +
        " to say where to write");
  }
  w.html_path = o.html_path.empty() ? (fs::path(folder) / "report.html").string() : o.html_path;
  w.junit_path = o.junit_path.empty() ? (fs::path(folder) / "junit.xml").string() : o.junit_path;
  if (Status s = WriteFile(w.html_path, RenderReportHtml(*view, o.report)); !s.ok()) return s;
  std::string junit = WriteJUnit("faultline", {JUnitSuiteForRun(*view)});
  if (Status s = WriteFile(w.junit_path, junit); !s.ok()) return s;
  if (!o.extra_junit.empty()) {
    if (Status s = WriteFile(o.extra_junit, junit); !s.ok()) return s;
  }
  return w;
}

}  // namespace faultline::harness::report
