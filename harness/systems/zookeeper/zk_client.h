// ZkClient: the Client (harness/client/client.h) for ZooKeeper 3.8 through its C client
// (libzookeeper-mt). zookeeper.h stays inside zk_client.cc.
//
// Data model: one znode per key, <root>/<key> (key bytes outside [A-Za-z0-9_-] are %XX-escaped);
// set workload elements are child znodes <root>/<key>/<element>. The System creates <root> at
// setup; a client creates it too if it finds it missing.
//
// Operations (every one bounded by the op timeout; the C client's async API plus our own wait):
//   read        zoo_aget. read_mode "sync": zoo_async (sync) first, then zoo_aget, in one
//               session so the get is served after the sync (ZooKeeper's sync+read).
//   write       zoo_aset(version -1); a missing znode is created (zoo_acreate2; a create race
//               retries the set). The Stat's mzxid is recorded as the write's zxid.
//   cas         zoo_aget, compare the value, then zoo_aset with the version read. A different
//               value or an absent key: fail ("cas mismatch"). ZBADVERSION: fail (another write
//               came in between; ZooKeeper certainly did not apply this one).
//   delete      zoo_adelete(version -1); an absent znode is ok (the key is absent afterwards).
//   add         zoo_acreate2 of the element child (parents created as needed).
//   read-set    zoo_aget_children of the key (sync first in sync mode); elements = children that
//               are candidates.
// A read records no zxid: the C client keeps the server's zxid of a reply to itself, and the
// znode's mzxid names the write a read observed, not the state it was served from.
//
// Outcomes (docs/contracts.md section 4):
//   ok    the completion said ZOK (or the mapped cases above).
//   fail  nothing was sent (no session within the op timeout, ZINVALIDSTATE, bad arguments), or
//         ZooKeeper's answer says it was not applied (ZBADVERSION, ZNONODE for a cas, cas
//         mismatch, ZNODEEXISTS where it can only mean "not applied").
//   info  sent, then ZCONNECTIONLOSS, ZOPERATIONTIMEOUT, ZSESSIONEXPIRED, ZSESSIONMOVED,
//         ZCLOSING, our own deadline, or any other answer. A timeout is never a fail.
// Sessions: ZooKeeper orders a session's operations (reads never go back in time within one).
// The worker switches to a new logical process after every info and calls Reset(), which starts
// a new session. A session that expires by itself between operations is also a new session, so
// the next Invoke reports info without sending anything ("session expired"): that makes the
// worker start a new process, and the session checkers never compare reads of two sessions.
//
// Thread-safety: one thread at a time (the worker's), as for every Client. The C client's own
// threads run the completions; they touch only the shared call state.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "harness/client/client.h"

namespace faultline::harness::zookeeper {

struct ZkClientOptions {
  std::string connect;    // "127.0.0.11:2181": one server, so each op's node is known
  int64_t node = 0;       // recorded with each op
  std::string read_mode;  // "" or "local": plain get; "sync": sync then get
  std::chrono::milliseconds session_timeout{
      3000};  // asked of the server (it clamps to 2..20 ticks)
  std::string root = "/faultline";
};

class ZkClient final : public Client {
 public:
  explicit ZkClient(ZkClientOptions options);
  ~ZkClient() override;  // closes the session (bounded by the C client: ~4.5 s at most)
  ZkClient(const ZkClient&) = delete;
  ZkClient& operator=(const ZkClient&) = delete;

  OpResult Invoke(const checkers::Op& op, std::chrono::milliseconds timeout) override;
  void Reset() override;  // the next Invoke starts a new session
  int64_t node() const override;

  // <root>/<escaped key>.
  static std::string KeyPath(const std::string& root, const std::string& key);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// How a ZooKeeper return code, seen in a completion (the request was handed to the C client),
// maps to an op outcome when the code has no op-specific meaning: ZOK ok; the not-applied codes
// fail; everything else (connection loss, timeouts, session events) info.
checkers::Outcome OutcomeOfCompletion(int rc);

// Ensures <root> exists through `connect` (create, ZNODEEXISTS is fine); bounded by `timeout`.
Status CreateRoot(const std::string& connect, const std::string& root,
                  std::chrono::milliseconds timeout);

}  // namespace faultline::harness::zookeeper
