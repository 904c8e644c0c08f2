// The one check every command that takes a run id uses (RUN of show, report, shrink, replay;
// sim --from-run): a positive integer that fits in int64, or one message naming what was given.
// (CLI11's PositiveNumber said "Value abc not in range 0.000000 to 1797693134862315708...".)
#pragma once

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdint>
#include <string>

namespace faultline::harness {

inline CLI::Validator RunIdValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        int64_t id = 0;
        const char* end = text.data() + text.size();
        auto [p, ec] = std::from_chars(text.data(), end, id);
        if (ec != std::errc() || p != end || id <= 0) {
          return "must be a run id (see `faultline runs`), got '" + text + "'";
        }
        return "";
      },
      "RUN_ID", "run id");
}

}  // namespace faultline::harness
