// The four-letter `srvr` command: how the controller asks a ZooKeeper server for its role.
//
// A serving server answers lines such as "Zxid: 0x500000016" and "Mode: leader" (or follower,
// observer, standalone, read-only); a server without a quorum answers "This ZooKeeper instance is
// not currently serving requests" (looking). The zxid is the server's last processed zxid, so
// for a leader its epoch is the current one (it sets epoch << 32 on activation), while a follower
// reports the epoch of the last txn it applied: 0x0 right after joining epoch 1 with no writes
// (see testdata/zookeeper/srvr/). `srvr` must be in the server's 4lw.commands.whitelist.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <chrono>
#include <string_view>

#include "common/status.h"
#include "harness/cluster/node.h"

namespace faultline::harness::zookeeper {

// Parses a whole `srvr` reply. RoleInfo::epoch and last_zxid come from "Zxid:", phase is
// "broadcast" when serving and "election" when not; leader_id is -1 (srvr does not say) except
// for a leader (the caller fills its own id). Corruption for text that is neither.
Result<RoleInfo> ParseSrvr(std::string_view text);

// Sends "srvr" to a server's client port and parses the reply; connect, send and read (until the
// server closes) all within `timeout`. Timeout, Unavailable (refused, reset) or Corruption.
Result<RoleInfo> QuerySrvr(const Endpoint& client, std::chrono::milliseconds timeout);

}  // namespace faultline::harness::zookeeper
