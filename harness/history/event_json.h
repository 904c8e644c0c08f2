// The history store writer's node-event JSON: `j.dump()`, byte for byte, written without
// nlohmann's serializer for the fields node events have (docs/contracts.md 3). Issue 12: the
// writer thread dumps every event of a run, so this is on the simulator's path.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace faultline::harness {

// `j.dump()` into *out (its capacity kept). An object of integers, booleans, nulls and strings
// nlohmann writes as they are is written here; anything else (a float, a nested value, a string
// to escape) takes nlohmann's serializer.
void DumpEventFields(const nlohmann::json& j, std::string* out);

}  // namespace faultline::harness
