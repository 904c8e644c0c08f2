// The checks of the command-line numbers CLI11 alone gets wrong, one way for all: a decimal that
// must fill the text and fit the type, else one message naming what was given. (CLI11 turned
// `--seed -1` into 18446744073709551615, clamped 99999999999999999999999 to the same, and
// answered `faultline report abc` with "Value abc not in range 0.000000 to 1797693134862...".)
#pragma once

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdint>
#include <string>

namespace faultline::harness {

// Accepts decimal text that parses as a T of at least `min`; else "must be <what>, got '<text>'".
template <typename T>
CLI::Validator DecimalValidator(T min, const std::string& what, const std::string& name) {
  return CLI::Validator(
      [min, what](std::string& text) -> std::string {
        T value{};
        const char* end = text.data() + text.size();
        auto [p, ec] = std::from_chars(text.data(), end, value);
        if (text.empty() || ec != std::errc() || p != end || value < min) {
          return "must be " + what + ", got '" + text + "'";
        }
        return "";
      },
      name, name);
}

// RUN of show, report, shrink, replay; sim --from-run.
inline CLI::Validator RunIdValidator() {
  return DecimalValidator<int64_t>(1, "a run id (see `faultline runs`)", "RUN_ID");
}

// --seed of run and suite.
inline CLI::Validator SeedValidator() {
  return DecimalValidator<uint64_t>(0, "an integer in 0..18446744073709551615", "SEED");
}

}  // namespace faultline::harness
