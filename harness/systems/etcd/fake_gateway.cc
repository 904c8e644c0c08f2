#include "harness/systems/etcd/fake_gateway.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <memory>

namespace faultline::harness::etcd {

namespace http = boost::beast::http;

FakeGateway::FakeGateway(Handler handler)
    : handler_(std::move(handler)), server_([this] { return NewSession(); }) {}

std::vector<std::string> FakeGateway::requests() const {
  std::lock_guard<std::mutex> l(mu_);
  return requests_;
}

FakeTcpServer::Session FakeGateway::NewSession() {
  struct State {
    std::string pending;
    std::unique_ptr<http::request_parser<http::string_body>> parser;
    void Reset() {
      parser = std::make_unique<http::request_parser<http::string_body>>();
      parser->eager(true);
    }
  };
  auto state = std::make_shared<State>();
  state->Reset();
  return [this, state](std::string_view bytes) -> std::optional<std::string> {
    state->pending.append(bytes);
    std::string out;
    while (!state->pending.empty()) {
      boost::system::error_code ec;
      size_t used = state->parser->put(boost::asio::buffer(state->pending), ec);
      state->pending.erase(0, used);
      if (ec == http::error::need_more) break;
      if (ec) return std::nullopt;  // not HTTP: hang up
      if (!state->parser->is_done()) {
        if (used == 0) break;
        continue;
      }
      http::request<http::string_body> req = state->parser->release();
      state->Reset();
      std::string target(req.target());
      {
        std::lock_guard<std::mutex> l(mu_);
        requests_.push_back(target + " " + req.body());
      }
      FakeHttpAction a = handler_(target, req.body());
      if (a.kind == FakeHttpAction::Kind::kClose) return std::nullopt;
      if (a.kind == FakeHttpAction::Kind::kReply) {
        out += "HTTP/1.1 " + std::to_string(a.status) +
               " X\r\nContent-Type: application/json\r\nContent-Length: " +
               std::to_string(a.body.size()) + "\r\n\r\n" + a.body;
      }
    }
    return out;
  };
}

}  // namespace faultline::harness::etcd
