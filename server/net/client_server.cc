#include "server/net/client_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <chrono>
#include <deque>

#include "server/net/limits.h"
#include "server/net/resp.h"

namespace zabd {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using faultline::Status;

class Session;

class ClientServerImpl : public std::enable_shared_from_this<ClientServerImpl> {
 public:
  ClientServerImpl(asio::io_context& io, HostPort listen, ClientServer::CommandHandler handler)
      : io_(io), listen_(std::move(listen)), handler_(std::move(handler)), acceptor_(io) {}

  Status Start();
  void Stop();
  void Accept();

  asio::io_context& io_;
  HostPort listen_;
  ClientServer::CommandHandler handler_;
  tcp::acceptor acceptor_;
  std::size_t connections_ = 0;
  bool stopped_ = false;
  std::vector<std::weak_ptr<Session>> sessions_;  // for Stop(); pruned on accept
};

class Session : public ClientSession, public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<ClientServerImpl> server, tcp::socket socket)
      : server_(std::move(server)),
        socket_(std::move(socket)),
        linger_timer_(socket_.get_executor()),
        read_buffer_(kClientReadChunkBytes) {}

  void Begin() {
    ++server_->connections_;
    Read();
  }

  void Complete(uint64_t seq, std::string reply) override {
    if (closed_) return;
    if (seq < first_seq_ || seq - first_seq_ >= pending_.size()) return;  // not ours / twice
    auto& slot = pending_[seq - first_seq_];
    if (slot.has_value()) return;
    slot = std::move(reply);
    while (!pending_.empty() && pending_.front().has_value()) {
      out_.append(*pending_.front());
      pending_.pop_front();
      ++first_seq_;
    }
    Flush();
    if (paused_ && pending_.size() <= kClientPipelineMax / 2) {
      paused_ = false;
      if (ProcessBuffered()) Read();
    }
  }

  bool closed() const override { return closed_; }

  void Close() {
    if (closed_) return;
    closed_ = true;
    error_code ignored;
    socket_.close(ignored);
    linger_timer_.cancel();
    --server_->connections_;
  }

 private:
  void Read() {
    if (closed_ || reading_) return;
    reading_ = true;
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(read_buffer_), [this, self](error_code ec, std::size_t n) {
      reading_ = false;
      if (closed_) return;
      if (ec) return Close();  // EOF or reset: requests in flight are completed into the void
      if (lingering_) return Drain();
      parser_.Append(std::string_view(read_buffer_.data(), n));
      if (ProcessBuffered()) Read();
    });
  }

  // Executes every complete buffered request. Returns true if reading should continue.
  bool ProcessBuffered() {
    std::vector<std::string> args;
    while (!closed_) {
      if (pending_.size() >= kClientPipelineMax) {
        paused_ = true;
        return false;
      }
      auto r = parser_.Next(&args);
      if (r == RequestParser::Result::kNeedMore) return true;
      const uint64_t seq = first_seq_ + pending_.size();
      pending_.emplace_back();
      if (r == RequestParser::Result::kError) {
        std::string reply;
        AppendError(&reply, "ERR " + parser_.error());
        close_after_flush_ = true;
        Complete(seq, std::move(reply));
        return false;
      }
      server_->handler_(shared_from_this(), seq, std::move(args));
    }
    return false;
  }

  void Flush() {
    if (closed_ || writing_) return;
    if (out_.empty()) {
      if (close_after_flush_ && pending_.empty()) LingeringClose();
      return;
    }
    writing_ = true;
    auto buf = std::make_shared<std::string>(std::move(out_));
    out_.clear();
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(*buf), [this, self, buf](error_code ec, std::size_t) {
      writing_ = false;
      if (closed_) return;
      if (ec) return Close();
      Flush();
    });
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
    reading_ = true;
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(read_buffer_), [this, self](error_code ec, std::size_t) {
      reading_ = false;
      if (closed_) return;
      if (ec) return Close();  // the client closed too
      Drain();
    });
  }

  std::shared_ptr<ClientServerImpl> server_;
  tcp::socket socket_;
  asio::steady_timer linger_timer_;
  std::vector<char> read_buffer_;
  RequestParser parser_;
  std::deque<std::optional<std::string>> pending_;  // replies owed, in request order
  uint64_t first_seq_ = 0;                          // seq of pending_.front()
  std::string out_;                                 // encoded replies not yet handed to write
  bool reading_ = false, writing_ = false, paused_ = false, close_after_flush_ = false;
  bool lingering_ = false;
  bool closed_ = false;
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
  return Status::Ok();
}

void ClientServerImpl::Accept() {
  auto self = shared_from_this();
  acceptor_.async_accept([this, self](error_code ec, tcp::socket socket) {
    if (stopped_ || ec == asio::error::operation_aborted) return;
    if (!ec) {
      error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      if (connections_ >= kClientConnectionsMax) {
        // A short synchronous write to a fresh socket, then close: the client learns why.
        asio::write(socket, asio::buffer(std::string("-ERR max number of clients reached\r\n")),
                    ignored);
        socket.close(ignored);
      } else {
        std::erase_if(sessions_, [](const auto& w) { return w.expired(); });
        auto session = std::make_shared<Session>(self, std::move(socket));
        sessions_.push_back(session);
        session->Begin();
      }
    }
    Accept();
  });
}

void ClientServerImpl::Stop() {
  if (stopped_) return;
  stopped_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  for (auto& w : sessions_) {
    if (auto s = w.lock()) s->Close();
  }
  sessions_.clear();
}

ClientServer::ClientServer(asio::io_context& io, HostPort listen, CommandHandler handler)
    : impl_(std::make_shared<ClientServerImpl>(io, std::move(listen), std::move(handler))) {}
ClientServer::~ClientServer() { impl_->Stop(); }
Status ClientServer::Start() { return impl_->Start(); }
void ClientServer::Stop() { impl_->Stop(); }
std::size_t ClientServer::connections() const { return impl_->connections_; }

}  // namespace zabd
