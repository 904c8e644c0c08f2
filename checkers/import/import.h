// Importers: parse a history from text (never from a file: callers read files). Every error
// names the source and the line ("c01.edn:12: completion for process 3 without an invoke").
// Formats are documented in docs/history-formats.md.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "checkers/checkers.h"
#include "checkers/history.h"
#include "common/status.h"

namespace faultline::checkers {

// faultline's own JSON lines: one record per line ("op", "fault", "node_event", "meta").
Result<History> ImportJsonl(std::string_view text, const std::string& source);
// Inverse of ImportJsonl: ImportJsonl(ExportJsonl(h)) == h for every field of the model.
std::string ExportJsonl(const History& history);

// One node's event log (docs/contracts.md section 3): one JSON object per line with ts_ms, node
// and type. Blank lines are skipped.
Result<std::vector<NodeEvent>> ImportNodeEvents(std::string_view text, const std::string& source);

// Jepsen history.edn: a vector or list of op maps, or a sequence of top-level maps. `model`
// decides how :read values are understood (a set for kSet). Times are positions in the file
// (Jepsen's order; :time fields are not reliable across processes). `:process :nemesis` entries
// are ignored; independent `[key value]` values split by key.
Result<History> ImportJepsenEdn(std::string_view text, const std::string& source, ModelKind model);

// Porcupine's kv test data: one EDN map per line with :key; get/put/append; initial value "".
Result<History> ImportPorcupineKv(std::string_view text, const std::string& source);

// Jepsen etcd text logs as read by Porcupine: "INFO  jepsen.util - 2 :invoke :cas [3 0]".
// Lines of other loggers are skipped; a jepsen.util line that does not parse is an error.
Result<History> ImportEtcdLog(std::string_view text, const std::string& source);

}  // namespace faultline::checkers
