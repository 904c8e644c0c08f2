// The registry of system kinds: the one place that names every system faultline can test.
// Adding a system = a folder under harness/systems/ exporting a SystemKind, plus one line in
// registry.cc; the run loop, nemesis, generator, store and checkers do not change.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "harness/spec/test_spec.h"
#include "harness/system/system_kind.h"

namespace faultline::harness {

const std::vector<SystemKind>& SystemKinds();
const SystemKind* FindSystemKind(const std::string& name);  // nullptr when unknown

// Checks spec.system against its kind's table: the kind exists, read_mode is one of the kind's,
// every system-specific key is known and well typed. Errors name the source, the line and the key:
// "quick.yaml:7: system.tick_tim_ms: unknown key for system zabd (keys: zabd, tick_time_ms, ...)".
// Also the cross-checks that need the kind: network faults on a system without a peer network.
Status ValidateSystemSpec(const TestSpec& spec);

// Where the system factory resolves paths (see SystemConfig).
struct SystemContext {
  std::string spec_dir = ".";
  std::string bin_dir;  // "" = the folder of /proc/self/exe
};

// Validates, then builds the system.
Result<std::unique_ptr<System>> MakeSystem(const TestSpec& spec, const SystemContext& context);

// `--system KIND`: switches spec.system.kind, keeps the generic keys (nodes) and the
// system-specific keys the new kind also takes, resets read_mode when the new kind does not offer
// it. Returns the dropped keys (for a note), or InvalidArgument for an unknown kind.
Result<std::vector<std::string>> OverrideSystemKind(const std::string& kind, TestSpec* spec);

}  // namespace faultline::harness
