// zabd::CommandTable — the RESP command table of zabd's client port (docs/contracts.md 1):
// parses each request, answers what needs no core at once, hands reads and writes to the core,
// and renders the core's replies. No sockets here: the ClientServer feeds it, and its tests use
// a fake session.
//
// Contract:
//  * Dispatch() completes the request exactly once: at once (PING, ECHO, ZXIDS, READMODE, ROLE,
//    INFO, QUIT through CompleteAndClose, every -ERR), or later through Deliver() (GET, SET, DEL,
//    CAS go to the core as ClientRead / ClientWrite with a fresh request id), or through Expire()
//    after request_timeout_ms without a reply from the core: `-UNKNOWN server-side timeout` (the
//    write may still commit; the harness records it as info, never fail).
//  * Error classes (contracts.md 1): ReplyStatus::kNotApplied -> `-NOTAPPLIED <reason>`,
//    kUnknown -> `-UNKNOWN <reason>`, malformed requests and bounds -> `-ERR <reason>` (the
//    connection stays open).
//  * A reply for a closed session, or a second one for the same request, is dropped.
//  * Single-threaded, like everything on zabd's event loop.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "server/core/peer.h"
#include "server/net/client_server.h"

namespace zabd {

class CommandTable {
 public:
  struct Hooks {
    std::function<void(const zab::Input&)> submit;  // a ClientRead / ClientWrite for the core
    std::function<zab::Status()> status;            // what ROLE reports
    std::function<std::string()> info;              // the INFO text
    std::function<uint64_t()> now_ms;               // for request deadlines
  };

  CommandTable(zab::ReadMode default_read_mode, Hooks hooks, uint64_t request_timeout_ms);

  void Dispatch(const std::shared_ptr<ClientSession>& session, uint64_t seq,
                std::vector<std::string> args);
  // A reply of the core (peer.h ClientReply); unknown or expired request ids are ignored.
  void Deliver(const zab::ClientReply& reply);
  // Answers every request older than request_timeout_ms with -UNKNOWN.
  void Expire(uint64_t now_ms);
  std::size_t pending() const { return pending_.size(); }

  enum class Command { kGet, kSet, kDel, kCas };
  // The RESP bytes for the core's reply to `command` (with ZXIDS ON: [reply, zxid]).
  static std::string Render(Command command, bool zxids_on, const zab::ClientReply& reply);

 private:
  struct Pending {
    std::weak_ptr<ClientSession> session;
    uint64_t seq = 0;
    Command command = Command::kGet;
    bool zxids_on = false;
    uint64_t deadline_ms = 0;
  };
  uint64_t Track(const std::shared_ptr<ClientSession>& s, uint64_t seq, Command command);

  const zab::ReadMode default_read_mode_;
  Hooks hooks_;
  const uint64_t request_timeout_ms_;
  uint64_t next_request_id_ = 0;
  std::map<uint64_t, Pending> pending_;  // by request id: ids grow with time
};

}  // namespace zabd
