#include "server/net/client_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <chrono>
#include <deque>
#include <map>

#include "server/net/limits.h"
#include "server/net/resp.h"

namespace zabd {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using faultline::Status;

ClientServerOptions ClientServerOptions::Defaults() {
  ClientServerOptions o;
  o.connections_max = kClientConnectionsMax;
  o.pipeline_max = kClientPipelineMax;
  o.output_bytes_pause = kClientOutputBytesPause;
  o.output_bytes_max = kClientOutputBytesMax;
  o.total_bytes_max = kClientBufferedBytesTotalMax;
  o.idle_timeout_ms = kClientIdleTimeoutMs;
  o.request_timeout_ms = kClientRequestBytesTimeoutMs;
  return o;
}

namespace {

uint64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A reply buffer that grew for one large reply is not kept at that size by an idle connection.
void Release(std::string* s) {
  if (s->capacity() > kClientReadChunkBytes) std::string().swap(*s);
  s->clear();
}

}  // namespace

class Session;

class ClientServerImpl : public std::enable_shared_from_this<ClientServerImpl> {
 public:
  ClientServerImpl(asio::io_context& io, HostPort listen, ClientServer::CommandHandler handler,
                   ClientServerOptions options)
      : io_(io),
        listen_(std::move(listen)),
        handler_(std::move(handler)),
        options_(options),
        acceptor_(io),
        retry_timer_(io),
        sweep_timer_(io),
        read_buffer_(kClientReadChunkBytes) {}

  Status Start();
  void Stop();
  void Accept();
  void ScheduleSweep();
  // Closes the session holding the most bytes while all of them hold more than the bound.
  void EnforceTotal();
  uint64_t SweepIntervalMs() const;

  asio::io_context& io_;
  HostPort listen_;
  ClientServer::CommandHandler handler_;
  const ClientServerOptions options_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  asio::steady_timer sweep_timer_;
  // Every open session, owned here: a session paused for backpressure has no I/O in flight and
  // would otherwise die with its replies owed and its slot never returned (issue 8 finding 1).
  std::map<uint64_t, std::shared_ptr<Session>> sessions_;
  uint64_t next_session_id_ = 0;
  std::size_t buffered_bytes_ = 0;  // sum of every session's bytes_
  // One read buffer for every connection: reads wait for readiness first, so an idle connection
  // holds no buffer, and only one read callback runs at a time.
  std::vector<char> read_buffer_;
  ClientServerStats stats_;
  bool stopped_ = false;
};

class Session final : public ClientSession, public std::enable_shared_from_this<Session> {
 public:
  Session(ClientServerImpl* server, uint64_t id, tcp::socket socket)
      : server_(server),
        id_(id),
        socket_(std::move(socket)),
        linger_timer_(socket_.get_executor()),
        last_read_ms_(SteadyMs()),
        last_progress_ms_(last_read_ms_) {}

  void Begin() {
    error_code ignored;
    socket_.non_blocking(true, ignored);
    Pump();
  }

  void Complete(uint64_t seq, std::string reply) override {
    if (closed_) return;
    if (seq < first_seq_ || seq - first_seq_ >= pending_.size()) return;  // not ours / twice
    auto& slot = pending_[seq - first_seq_];
    if (slot.has_value()) return;
    owed_bytes_ += reply.size();
    slot = std::move(reply);
    while (!pending_.empty() && pending_.front().has_value()) {
      owed_bytes_ -= pending_.front()->size();
      out_.append(*pending_.front());
      pending_.pop_front();
      ++first_seq_;
    }
    last_progress_ms_ = SteadyMs();
    Flush();
    Pump();
  }

  void CompleteAndClose(uint64_t seq, std::string reply) override {
    if (closed_) return;
    close_after_flush_ = true;  // Pump takes no further request
    parser_ = RequestParser();  // what was pipelined behind it is dropped
    Complete(seq, std::move(reply));
  }

  bool closed() const override { return closed_; }
  std::size_t bytes() const { return bytes_; }

  // The one way a session ends: the slot and the buffered bytes go back to the server here.
  void Close() {
    if (closed_) return;
    auto self = shared_from_this();  // the erase below may drop the last owner
    closed_ = true;
    error_code ignored;
    socket_.close(ignored);
    linger_timer_.cancel();
    server_->buffered_bytes_ -= bytes_;
    bytes_ = 0;
    server_->sessions_.erase(id_);
  }

  // Sends `text` as an error reply after what is already written, then closes (lingering).
  void CloseWithError(std::string_view text) {
    if (closed_ || close_after_flush_) return;
    close_after_flush_ = true;
    parser_ = RequestParser();  // its partial request is dropped: free the memory now
    pending_.clear();
    owed_bytes_ = 0;
    AppendError(&out_, text);
    Flush();
    Pump();
  }

  void CheckTimeouts(uint64_t now_ms) {
    if (closed_ || close_after_flush_) return;
    // Time spent waiting for the core or for the client to read replies is not the client's.
    if (!pending_.empty() || !out_.empty() || writing_) return;
    const ClientServerOptions& o = server_->options_;
    if (parser_.buffered_bytes() > 0) {
      if (o.request_timeout_ms > 0 && now_ms - last_progress_ms_ >= o.request_timeout_ms) {
        server_->stats_.closed_slow_request++;
        CloseWithError(fmt::format("ERR request not completed within {} ms", o.request_timeout_ms));
      }
    } else if (o.idle_timeout_ms > 0 &&
               now_ms - std::max(last_read_ms_, last_progress_ms_) >= o.idle_timeout_ms) {
      server_->stats_.closed_idle++;
      Close();
    }
  }

 private:
  bool CanTakeRequests() const {
    const ClientServerOptions& o = server_->options_;
    return pending_.size() < o.pipeline_max && out_.size() + writing_bytes_ < o.output_bytes_pause;
  }

  // Executes every buffered request the bounds allow, then reads more if they still allow it.
  // Re-entrant calls (a handler completing synchronously) return at once; the outer call
  // continues.
  void Pump() {
    if (closed_ || processing_) return;
    processing_ = true;
    std::vector<std::string> args;
    while (!closed_ && !close_after_flush_ && CanTakeRequests()) {
      auto r = parser_.Next(&args);
      if (r == RequestParser::Result::kNeedMore) break;
      const uint64_t seq = first_seq_ + pending_.size();
      pending_.emplace_back();
      last_progress_ms_ = SteadyMs();
      if (r == RequestParser::Result::kError) {
        server_->stats_.protocol_errors++;
        std::string reply;
        AppendError(&reply, "ERR " + parser_.error());
        close_after_flush_ = true;
        parser_ = RequestParser();
        processing_ = false;
        Complete(seq, std::move(reply));
        return;
      }
      server_->handler_(shared_from_this(), seq, std::move(args));
    }
    processing_ = false;
    if (closed_) return;
    parser_.ReleaseIfEmpty();
    if (!Account()) return;
    if (!writing_ && out_.empty() && pending_.empty()) {
      if (close_after_flush_) return LingeringClose();
      if (eof_) return Close();  // the client half-closed and has every reply
    }
    if (close_after_flush_ || eof_ || reading_) return;
    if (CanTakeRequests()) {
      Read();
    } else if (!paused_) {
      paused_ = true;
      server_->stats_.pauses++;
    }
  }

  // Waits until the socket is readable, then reads one chunk into the shared buffer and calls
  // on_chunk(bytes, eof); an error ends the session. `bytes` may be empty (spurious wakeup).
  template <class OnChunk>
  void ReadChunk(OnChunk on_chunk) {
    reading_ = true;
    auto self = shared_from_this();
    socket_.async_wait(tcp::socket::wait_read, [this, self, on_chunk](error_code ec) {
      reading_ = false;
      if (closed_) return;
      if (ec) return Close();
      std::vector<char>& buf = server_->read_buffer_;
      error_code rec;
      const std::size_t n = socket_.read_some(asio::buffer(buf), rec);
      if (rec == asio::error::would_block || rec == asio::error::try_again) {
        return on_chunk(std::string_view(), false);
      }
      if (rec == asio::error::eof) return on_chunk(std::string_view(), true);
      if (rec) return Close();  // reset: replies in flight are completed into the void
      on_chunk(std::string_view(buf.data(), n), false);
    });
  }

  void Read() {
    paused_ = false;
    ReadChunk([this](std::string_view bytes, bool eof) {
      if (lingering_) return Drain();
      // Half-close: the requests already received still get their replies.
      if (eof) eof_ = true;
      if (!bytes.empty()) {
        last_read_ms_ = SteadyMs();
        parser_.Append(bytes);
      }
      Pump();
    });
  }

  void Flush() {
    if (closed_ || writing_ || out_.empty()) return;
    writing_ = true;
    write_buf_.swap(out_);
    out_.clear();
    writing_bytes_ = write_buf_.size();
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(write_buf_), [this, self](error_code ec, std::size_t) {
      writing_ = false;
      writing_bytes_ = 0;
      if (closed_) return;
      if (ec) return Close();
      Release(&write_buf_);
      Flush();
      Pump();
    });
  }

  // Recomputes this session's bytes and applies the output and total bounds. False: closed.
  bool Account() {
    const std::size_t output = out_.size() + writing_bytes_ + owed_bytes_;
    const std::size_t now_bytes = parser_.held_bytes() + output;
    server_->buffered_bytes_ = server_->buffered_bytes_ - bytes_ + now_bytes;
    bytes_ = now_bytes;
    if (output > server_->options_.output_bytes_max) {
      spdlog::warn(
          "client connection closed: {} reply bytes owed to a client that does not read "
          "them (bound {})",
          output, server_->options_.output_bytes_max);
      server_->stats_.closed_output_bound++;
      Close();
      return false;
    }
    if (server_->buffered_bytes_ > server_->options_.total_bytes_max) {
      auto self = shared_from_this();
      server_->EnforceTotal();
      return !closed_;
    }
    return true;
  }

  // After a protocol error, once the -ERR is written: send FIN, then discard whatever the
  // client still sends for a bounded time before closing. Closing with unread input would make
  // the kernel send a reset that can destroy the -ERR before the client reads it.
  void LingeringClose() {
    if (closed_ || lingering_) return;
    lingering_ = true;
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    auto self = shared_from_this();
    linger_timer_.expires_after(std::chrono::milliseconds(kClientLingerMs));
    linger_timer_.async_wait([this, self](error_code ec) {
      if (!ec) Close();
    });
    if (!reading_) Drain();
  }

  void Drain() {
    if (closed_) return;
    ReadChunk([this](std::string_view, bool eof) {
      if (eof) return Close();  // the client closed too
      Drain();
    });
  }

  ClientServerImpl* server_;  // outlives every open session (Stop closes them all)
  const uint64_t id_;
  tcp::socket socket_;
  asio::steady_timer linger_timer_;
  RequestParser parser_;
  std::deque<std::optional<std::string>> pending_;  // replies owed, in request order
  uint64_t first_seq_ = 0;                          // seq of pending_.front()
  std::size_t owed_bytes_ = 0;     // replies completed out of order, waiting in pending_
  std::string out_;                // encoded replies not yet handed to write
  std::string write_buf_;          // the bytes of the write in progress
  std::size_t writing_bytes_ = 0;  // write_buf_.size() while writing
  std::size_t bytes_ = 0;          // what this session adds to server_->buffered_bytes_
  uint64_t last_read_ms_;          // last bytes received
  uint64_t last_progress_ms_;      // last request parsed or completed (or the connect)
  bool reading_ = false, writing_ = false, processing_ = false, paused_ = false;
  bool close_after_flush_ = false, lingering_ = false, eof_ = false, closed_ = false;
};

Status ClientServerImpl::Start() {
  error_code ec;
  tcp::endpoint ep(asio::ip::make_address(listen_.host), listen_.port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IoError(fmt::format("client address {}: {}", listen_.ToString(), ec.message()));
  }
  Accept();
  ScheduleSweep();
  return Status::Ok();
}

void ClientServerImpl::Accept() {
  auto self = shared_from_this();
  acceptor_.async_accept([this, self](error_code ec, tcp::socket socket) {
    if (stopped_ || ec == asio::error::operation_aborted) return;
    if (ec) {
      // EMFILE and friends: retry shortly instead of spinning on the error.
      spdlog::warn("client accept failed: {}; retrying", ec.message());
      retry_timer_.expires_after(std::chrono::milliseconds(100));
      retry_timer_.async_wait([this, self](error_code tec) {
        if (!tec && !stopped_) Accept();
      });
      return;
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (sessions_.size() >= options_.connections_max) {
      // A short synchronous write to a fresh socket, then close: the client learns why.
      stats_.refused_max_clients++;
      asio::write(socket, asio::buffer(std::string("-ERR max number of clients reached\r\n")),
                  ignored);
      socket.close(ignored);
    } else {
      stats_.accepted++;
      const uint64_t id = ++next_session_id_;
      auto session = std::make_shared<Session>(this, id, std::move(socket));
      sessions_.emplace(id, session);
      session->Begin();
    }
    Accept();
  });
}

uint64_t ClientServerImpl::SweepIntervalMs() const {
  uint64_t shortest = UINT64_MAX;
  for (uint64_t t : {options_.idle_timeout_ms, options_.request_timeout_ms}) {
    if (t > 0) shortest = std::min(shortest, t);
  }
  if (shortest == UINT64_MAX) return 0;
  return std::clamp<uint64_t>(shortest / 4, 1, kClientSweepIntervalMs);
}

void ClientServerImpl::ScheduleSweep() {
  const uint64_t interval = SweepIntervalMs();
  if (interval == 0) return;
  auto self = shared_from_this();
  sweep_timer_.expires_after(std::chrono::milliseconds(interval));
  sweep_timer_.async_wait([this, self](error_code ec) {
    if (ec || stopped_) return;
    const uint64_t now = SteadyMs();
    std::vector<std::shared_ptr<Session>> all;
    all.reserve(sessions_.size());
    for (const auto& [id, s] : sessions_) all.push_back(s);
    for (const auto& s : all) s->CheckTimeouts(now);
    ScheduleSweep();
  });
}

void ClientServerImpl::EnforceTotal() {
  while (buffered_bytes_ > options_.total_bytes_max && !sessions_.empty()) {
    auto largest = std::max_element(sessions_.begin(), sessions_.end(), [](auto& a, auto& b) {
      return a.second->bytes() < b.second->bytes();
    });
    std::shared_ptr<Session> s = largest->second;
    spdlog::warn("client buffers hold {} bytes (bound {}): closing the connection holding {}",
                 buffered_bytes_, options_.total_bytes_max, s->bytes());
    stats_.closed_total_bound++;
    s->Close();
  }
}

void ClientServerImpl::Stop() {
  if (stopped_) return;
  stopped_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  retry_timer_.cancel();
  sweep_timer_.cancel();
  auto all = sessions_;
  for (auto& [id, s] : all) s->Close();
}

ClientServer::ClientServer(asio::io_context& io, HostPort listen, CommandHandler handler,
                           ClientServerOptions options)
    : impl_(
          std::make_shared<ClientServerImpl>(io, std::move(listen), std::move(handler), options)) {}
ClientServer::~ClientServer() { impl_->Stop(); }
Status ClientServer::Start() { return impl_->Start(); }
void ClientServer::Stop() { impl_->Stop(); }
std::size_t ClientServer::connections() const { return impl_->sessions_.size(); }
std::size_t ClientServer::buffered_bytes() const { return impl_->buffered_bytes_; }
const ClientServerStats& ClientServer::stats() const { return impl_->stats_; }

}  // namespace zabd
