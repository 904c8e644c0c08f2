// The fake system: an in-process replicated register that proves the System seam. No processes and
// no network: its Db (FakeDb) keeps node states in memory, its clients apply ops to one shared map
// under a mutex, and it writes a JSON-lines event log per node (role changes) that the run imports
// as the run goes, exactly as it imports zabd's.
//
// Model: an op to a running node succeeds when a majority of nodes is running (else fail: no
// quorum); to a paused node it is info (no reply); to a killed node it is fail (refused). The
// leader is the lowest running id while a majority runs; every leader change is a new epoch and
// one `role` event in every running node's log. Write zxids are (epoch << 32 | counter).
//
// Spec keys (system: {kind: fake, ...}): lose_every (0): when N > 0, every Nth acknowledged write
// is acknowledged but not applied, a planted bug the checkers must catch.
// Read modes: linearizable. Promises: linearizability, lost-writes. No peer network, so network
// faults are a spec error; kill, pause and restart work.
#pragma once

#include "harness/system/system_kind.h"

namespace faultline::harness {

SystemKind FakeSystemKind();

}  // namespace faultline::harness
