// Request targets and the results folder: the parsing and path checks `faultline serve` does
// before it touches a file. Pure (no sockets); ResolveUnder reads the file system only to resolve
// symlinks.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "common/status.h"

namespace faultline::harness::serve {

struct Target {
  std::string path;                          // percent-decoded, starts with '/'
  std::map<std::string, std::string> query;  // decoded; '+' is a space; a repeated name: last wins
};

// Percent-decodes `text` ('+' as space when `plus_is_space`). InvalidArgument for a malformed
// escape ("%zz", "%4") or a decoded NUL.
Result<std::string> PercentDecode(std::string_view text, bool plus_is_space);

// Percent-encodes everything but unreserved characters (for links built from stored names).
std::string PercentEncode(std::string_view text);

// Splits an origin-form target ("/a/b?x=1&y=2"). InvalidArgument when it does not start with
// '/', or a part does not decode.
Result<Target> ParseTarget(std::string_view raw);

// The file `relative` (decoded, '/'-separated) names inside `root`, with every symlink resolved.
// Refused (PermissionDenied-like: InvalidArgument) when `relative` is absolute, has a "." or ".."
// segment, or resolves (through symlinks) outside `root`; NotFound when it does not exist.
Result<std::filesystem::path> ResolveUnder(const std::filesystem::path& root,
                                           std::string_view relative);

// True when canonical `path` is `root` or inside it (both canonical).
bool IsWithin(const std::filesystem::path& root, const std::filesystem::path& path);

}  // namespace faultline::harness::serve
