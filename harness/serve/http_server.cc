#include "harness/serve/http_server.h"

#include <fmt/format.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <thread>

namespace faultline::harness::serve {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr char kBusyReply[] =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 31\r\n"
    "Connection: close\r\n\r\ntoo many connections; try again";

HttpResponse ErrorReply(int status, const std::string& what) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = fmt::format("{} {}\n", status, what);
  return r;
}

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  HttpHandler handler;
  std::atomic<size_t> active{0};  // before ioc: sessions destroyed with it count down here
  std::atomic<bool> stopped{false};
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  asio::steady_timer retry{ioc};
  std::vector<std::thread> threads;

  void Accept();
  void Stop() {
    if (stopped.exchange(true)) return;
    ioc.stop();  // pending sessions are destroyed with the io_context (their sockets close)
    for (auto& t : threads) {
      if (t.joinable()) t.join();
    }
    beast::error_code ec;
    acceptor.close(ec);
  }
};

namespace {

// One connection: read a request (bounded in time and size), answer it, repeat while the client
// keeps the connection alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer::Impl* server)
      : stream_(std::move(socket)), server_(server) {
    ++server_->active;
  }
  ~Session() { --server_->active; }

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_->options.header_limit));
    parser_->body_limit(server_->options.body_limit);
    stream_.expires_after(server_->options.request_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::eof ||
        ec == asio::error::connection_reset) {
      Close();  // the client left, or sent half a request and stalled: nothing to answer
      return;
    }
    if (ec) {
      int status = ec == http::error::header_limit ? 431
                   : ec == http::error::body_limit ? 413
                                                   : 400;
      Reply(ErrorReply(status, "bad request: " + ec.message()), 11, false, true);
      return;
    }
    const auto& req = parser_->get();
    bool head = req.method() == http::verb::head;
    if (req.method() != http::verb::get && !head) {
      HttpResponse r = ErrorReply(405, "method not allowed (GET and HEAD only)");
      r.headers.emplace_back("Allow", "GET, HEAD");
      Reply(std::move(r), req.version(), false, true);
      return;
    }
    HttpResponse r;
    try {
      r = server_->handler(
          HttpRequest{std::string(req.method_string()), std::string(req.target())});
    } catch (const std::exception& e) {
      r = ErrorReply(500, std::string("internal error: ") + e.what());
    } catch (...) {
      r = ErrorReply(500, "internal error");
    }
    Reply(std::move(r), req.version(), head, !req.keep_alive());
  }

  void Reply(HttpResponse r, unsigned version, bool head, bool close) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), version);
    res->set(http::field::server, "faultline");
    res->set(http::field::content_type, r.content_type);
    res->set(http::field::cache_control, "no-store");
    res->set("X-Content-Type-Options", "nosniff");
    for (auto& [name, value] : r.headers) res->set(name, value);
    res->body() = std::move(r.body);
    res->keep_alive(!close);
    res->prepare_payload();
    if (head) {
      size_t length = res->body().size();
      res->body().clear();
      res->content_length(length);
    }
    res_ = res;
    stream_.expires_after(server_->options.request_timeout);
    http::async_write(stream_, *res_,
                      [self = shared_from_this(), close](beast::error_code ec, size_t) {
                        if (ec || close) {
                          self->Close();
                        } else {
                          self->Read();
                        }
                      });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  HttpServer::Impl* server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<http::response<http::string_body>> res_;
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (stopped) return;
    if (ec) {  // e.g. out of file descriptors: wait a little instead of spinning
      retry.expires_after(std::chrono::milliseconds(50));
      retry.async_wait([this](beast::error_code) {
        if (!stopped) Accept();
      });
      return;
    }
    if (active.load() >= options.max_connections) {
      beast::error_code ignored;
      socket.non_blocking(true, ignored);
      socket.write_some(asio::buffer(kBusyReply, sizeof(kBusyReply) - 1), ignored);
      socket.shutdown(tcp::socket::shutdown_both, ignored);
      socket.close(ignored);
    } else {
      std::make_shared<Session>(std::move(socket), this)->Start();
    }
    Accept();
  });
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() { Stop(); }
void HttpServer::Stop() { impl_->Stop(); }
uint16_t HttpServer::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                      HttpHandler handler) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  beast::error_code ec;
  asio::ip::address address = asio::ip::make_address(options.bind, ec);
  if (ec) {
    return Status::InvalidArgument(
        fmt::format("--bind '{}' is not an IP address: {}", options.bind, ec.message()));
  }
  tcp::endpoint endpoint(address, options.port);
  std::string where = fmt::format("{}:{}", options.bind, options.port);
  if (impl->acceptor.open(endpoint.protocol(), ec); ec) {
    return Status::IoError(fmt::format("cannot open a socket for {}: {}", where, ec.message()));
  }
  impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (impl->acceptor.bind(endpoint, ec); ec) {
    return Status::Unavailable(fmt::format("cannot bind {}: {}", where, ec.message()));
  }
  if (impl->acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return Status::IoError(fmt::format("cannot listen on {}: {}", where, ec.message()));
  }
  impl->Accept();
  int n = std::max(1, options.threads);
  for (int i = 0; i < n; ++i) impl->threads.emplace_back([io = &impl->ioc] { io->run(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

}  // namespace faultline::harness::serve
