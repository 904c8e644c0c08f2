// Shared by the Jepsen history readers (client ops in jepsen_edn.cc, nemesis ops in
// jepsen_nemesis.cc): the op maps of a history.edn.
#pragma once

#include <string_view>
#include <vector>

#include "checkers/import/edn.h"
#include "common/status.h"

namespace faultline::checkers {

// Parses `text` into `forms` and points `maps` at the op maps: the items of a single top-level
// vector or list, or else every top-level form. Errors name source:line.
Status ReadJepsenOps(std::string_view text, std::string_view source, std::vector<EdnValue>* forms,
                     std::vector<const EdnValue*>* maps);

}  // namespace faultline::checkers
