#include "harness/net/run_command.h"

#include <fmt/format.h>

#include <boost/process.hpp>
#include <iterator>
#include <string>

namespace faultline::harness {

namespace bp = boost::process;

Status RunCommand(const std::vector<std::string>& argv) {
  if (argv.empty()) return Status::InvalidArgument("RunCommand: empty argv");
  auto paths = boost::this_process::path();
  paths.push_back("/usr/sbin");
  paths.push_back("/sbin");
  const auto exe = bp::search_path(argv[0], paths);
  if (exe.empty()) return Status::NotFound(fmt::format("{}: not found in PATH", argv[0]));
  const std::vector<std::string> args(argv.begin() + 1, argv.end());
  bp::ipstream err;
  std::error_code ec;
  bp::child child(exe, bp::args(args), bp::std_in<bp::null, bp::std_out> bp::null,
                  bp::std_err > err, ec);
  if (ec) return Status::IoError(fmt::format("{}: {}", argv[0], ec.message()));
  const std::string text(std::istreambuf_iterator<char>(err), {});
  child.wait(ec);
  if (ec) return Status::IoError(fmt::format("{}: wait: {}", argv[0], ec.message()));
  if (child.exit_code() != 0) {
    return Status::IoError(
        fmt::format("`{}` exited with {}: {}", fmt::join(argv, " "), child.exit_code(), text));
  }
  return Status::Ok();
}

}  // namespace faultline::harness
