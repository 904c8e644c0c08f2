// The check of every --seed flag (run, suite): a decimal integer in 0..2^64-1, or one message
// naming what was given. (CLI11 alone turned "-1" into 18446744073709551615 and clamped
// "99999999999999999999999" to the same, silently.)
#pragma once

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdint>
#include <string>

namespace faultline::harness {

inline CLI::Validator SeedValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        uint64_t seed = 0;
        const char* end = text.data() + text.size();
        auto [p, ec] = std::from_chars(text.data(), end, seed);
        if (text.empty() || ec != std::errc() || p != end) {
          return "must be an integer in 0..18446744073709551615, got '" + text + "'";
        }
        return "";
      },
      "SEED", "seed");
}

}  // namespace faultline::harness
