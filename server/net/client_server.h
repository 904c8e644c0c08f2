// ClientServer: the RESP client port (Boost.Asio). Accepts connections, parses requests
// (resp.h), hands each complete command to a handler and writes the replies back.
//
// Contract:
//  * Replies leave a connection in request order (pipelining works), whatever order the handler
//    completes them in. The handler completes every request it was handed exactly once, by
//    ClientSession::Complete(seq, bytes), now or later; completing a request of a closed
//    connection is a no-op. The handler may hold only a weak_ptr to the session: the server
//    keeps every open session alive itself until it is closed.
//  * Backpressure, never dropping: a connection is not read while it has `pipeline_max` requests
//    in flight or `output_bytes_pause` reply bytes not yet written; reading resumes as replies
//    drain. The client's own socket buffers hold the rest.
//  * A session ends through one path (Close), whatever ends it: EOF, reset, protocol error, idle
//    timeout, a request sent too slowly, a buffer bound, Stop(). connections() counts open
//    sessions, so a slot is always returned.
//  * A malformed frame gets `-ERR Protocol error: ...` after the replies already owed, then the
//    connection is closed.
//  * Bounds (limits.h, overridable in ClientServerOptions for tests): at most `connections_max`
//    connections (one more gets `-ERR max number of clients reached` and is closed); a connection
//    with nothing in flight and no bytes received for `idle_timeout_ms` is closed; a request
//    whose bytes have been arriving for `request_timeout_ms` without completing gets -ERR and
//    the connection is closed (a slow client cannot hold a frame's worth of memory forever);
//    replies owed to a client that does not read them may reach `output_bytes_max`, then the
//    connection is closed; bytes buffered by all connections together (partial requests and
//    owed replies) stay below `total_bytes_max`: past it the connection holding the most is
//    closed with -ERR.
//  * Single-threaded: everything runs on the io_context's one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "server/core/peer.h"
#include "server/net/config.h"

namespace boost::asio {
class io_context;
}

namespace zabd {

class ClientServerImpl;

// One client connection and its per-connection settings (contracts.md 1).
class ClientSession {
 public:
  virtual ~ClientSession() = default;
  virtual void Complete(uint64_t seq, std::string reply) = 0;
  // Complete(), and the connection ends once every reply up to `seq` is written; no request
  // after `seq` is executed (QUIT).
  virtual void CompleteAndClose(uint64_t seq, std::string reply) = 0;
  virtual bool closed() const = 0;

  bool zxids_on = false;                   // ZXIDS ON
  std::optional<zab::ReadMode> read_mode;  // READMODE, overrides the server's read_mode
};

// Defaults are the bounds of limits.h; tests shrink them.
struct ClientServerOptions {
  std::size_t connections_max;
  std::size_t pipeline_max;
  std::size_t output_bytes_pause;
  std::size_t output_bytes_max;
  std::size_t total_bytes_max;
  uint64_t idle_timeout_ms;     // 0 = never
  uint64_t request_timeout_ms;  // 0 = never
  static ClientServerOptions Defaults();
};

// What INFO reports about the client port.
struct ClientServerStats {
  uint64_t accepted = 0;
  uint64_t refused_max_clients = 0;
  uint64_t closed_idle = 0;
  uint64_t closed_slow_request = 0;
  uint64_t closed_output_bound = 0;
  uint64_t closed_total_bound = 0;
  uint64_t protocol_errors = 0;
  uint64_t pauses = 0;  // times reading a connection paused for backpressure
};

class ClientServer {
 public:
  // Called once per complete request; `seq` identifies it for Complete().
  using CommandHandler = std::function<void(const std::shared_ptr<ClientSession>& session,
                                            uint64_t seq, std::vector<std::string> args)>;

  ClientServer(boost::asio::io_context& io, HostPort listen, CommandHandler handler,
               ClientServerOptions options = ClientServerOptions::Defaults());
  ~ClientServer();
  ClientServer(const ClientServer&) = delete;
  ClientServer& operator=(const ClientServer&) = delete;

  faultline::Status Start();  // binds; error if the address is in use
  void Stop();                // closes the listener and every connection
  std::size_t connections() const;
  // Bytes held for clients now: partial requests plus replies not yet written.
  std::size_t buffered_bytes() const;
  const ClientServerStats& stats() const;

 private:
  std::shared_ptr<ClientServerImpl> impl_;
};

}  // namespace zabd
