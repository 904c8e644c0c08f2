// SIGINT / SIGTERM turn into a flag the run loop polls: the run then does its normal cleanup
// (stop faults, heal, stop the nodes) and is marked interrupted. A second signal while cleanup
// runs is noted but does not cut the cleanup short (the cleanup itself is bounded).
#pragma once

namespace faultline::harness {

void InstallInterruptHandlers();  // idempotent; call from main before any thread starts
bool Interrupted();
void RequestInterrupt();  // as if a signal arrived (tests)

}  // namespace faultline::harness
