// ClientServer: the RESP client port (Boost.Asio). Accepts connections, parses requests
// (resp.h), hands each complete command to the driver and writes the replies back.
//
// Contract:
//  * Replies leave a connection in request order (pipelining works), whatever order the driver
//    completes them in. The driver completes every request it was handed exactly once, by
//    ClientSession::Complete(seq, bytes); completing a request of a closed connection is a no-op.
//  * A malformed frame gets `-ERR Protocol error: ...` after the replies already owed, then the
//    connection is closed.
//  * Bounds (limits.h): at most kClientConnectionsMax connections (one more gets `-ERR max number
//    of clients reached` and is closed); at most kClientPipelineMax requests of one connection in
//    flight, beyond which reading that connection pauses (backpressure, not buffering).
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
  virtual bool closed() const = 0;

  bool zxids_on = false;                   // ZXIDS ON
  std::optional<zab::ReadMode> read_mode;  // READMODE, overrides the server's read_mode
};

class ClientServer {
 public:
  // Called once per complete request; `seq` identifies it for Complete().
  using CommandHandler = std::function<void(const std::shared_ptr<ClientSession>& session,
                                            uint64_t seq, std::vector<std::string> args)>;

  ClientServer(boost::asio::io_context& io, HostPort listen, CommandHandler handler);
  ~ClientServer();
  ClientServer(const ClientServer&) = delete;
  ClientServer& operator=(const ClientServer&) = delete;

  faultline::Status Start();  // binds; error if the address is in use
  void Stop();                // closes the listener and every connection
  std::size_t connections() const;

 private:
  std::shared_ptr<ClientServerImpl> impl_;
};

}  // namespace zabd
