// Text forms of the history model's enums as stored in the ops table, and the run metadata a
// History carries (model, read mode) derived from the stored spec. Stable: changing a name breaks
// every database already written.
#pragma once

#include <string>
#include <string_view>

#include "checkers/history.h"

namespace faultline::harness {

std::string_view FnToText(checkers::Fn f);
checkers::Fn FnFromText(std::string_view text);  // unknown text -> kRead
std::string_view OutcomeToText(checkers::Outcome o);
checkers::Outcome OutcomeFromText(std::string_view text);  // unknown text -> kInfo

// Fills history->model ("cas-register" for register, "set" for set) and history->read_mode
// from a stored spec text. A spec that no longer parses leaves the defaults.
void DescribeRunModel(const std::string& spec_text, checkers::History* history);

// The system a stored spec names (`system: {kind: ...}`), "zabd" when it names none (every run
// recorded before systems were pluggable), "" when the text is not YAML.
std::string SystemOfSpec(const std::string& spec_text);

}  // namespace faultline::harness
