#include "harness/systems/zabd/role_query.h"

#include <fmt/format.h>

#include <boost/asio.hpp>
#include <optional>
#include <vector>

#include "harness/client/resp.h"

namespace faultline::harness {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

using Reply = RespValue;  // the harness client's RESP2 values and parser (harness/client/resp.h)

// One request, one reply, everything within `timeout`.
Result<Reply> Call(const Endpoint& endpoint, const std::string& request,
                   std::chrono::milliseconds timeout) {
  asio::io_context io;
  tcp::socket socket(io);
  boost::system::error_code addr_ec;
  const auto address = asio::ip::make_address(endpoint.host, addr_ec);
  if (addr_ec) return Status::InvalidArgument(fmt::format("bad host '{}'", endpoint.host));
  RespParser parser;
  std::optional<Result<Reply>> outcome;
  std::array<char, 4096> chunk;

  std::function<void()> read_more = [&] {
    socket.async_read_some(asio::buffer(chunk), [&](boost::system::error_code ec, size_t n) {
      if (ec) {
        outcome = Status::Unavailable(
            fmt::format("{}: connection closed: {}", endpoint.ToString(), ec.message()));
        return;
      }
      parser.Feed(std::string_view(chunk.data(), n));
      Reply reply;
      switch (parser.Next(&reply)) {
        case RespParser::State::kValue:
          outcome = std::move(reply);
          break;
        case RespParser::State::kProtocolError:
          outcome = Status::Corruption(
              fmt::format("{}: malformed RESP reply: {}", endpoint.ToString(), parser.error()));
          break;
        case RespParser::State::kNeedMore:
          read_more();
          break;
      }
    });
  };
  socket.async_connect(tcp::endpoint(address, endpoint.port), [&](boost::system::error_code ec) {
    if (ec) {
      outcome = Status::Unavailable(fmt::format("{}: {}", endpoint.ToString(), ec.message()));
      return;
    }
    asio::async_write(socket, asio::buffer(request), [&](boost::system::error_code ec, size_t) {
      if (ec) {
        outcome = Status::Unavailable(fmt::format("{}: {}", endpoint.ToString(), ec.message()));
        return;
      }
      read_more();
    });
  });
  io.run_for(timeout);
  if (!outcome) {
    return Status::Timeout(
        fmt::format("{}: no reply within {} ms", endpoint.ToString(), timeout.count()));
  }
  return std::move(*outcome);
}

}  // namespace

Result<RoleInfo> QueryRole(const Endpoint& endpoint, std::chrono::milliseconds timeout) {
  auto reply = Call(endpoint, EncodeCommand({"ROLE"}), timeout);
  if (!reply.ok()) return reply.status();
  if (reply->type == Reply::Type::kError) {
    return Status::Unavailable(fmt::format("{}: ROLE: {}", endpoint.ToString(), reply->str));
  }
  const auto& e = reply->elements;
  using T = Reply::Type;
  auto is_text = [](const Reply& r) { return r.type == T::kBulk || r.type == T::kSimple; };
  if (reply->type != T::kArray || e.size() < 6 || !is_text(e[0]) || e[1].type != T::kInteger ||
      e[2].type != T::kInteger || e[3].type != T::kInteger || !is_text(e[4]) ||
      e[5].type != T::kInteger) {
    return Status::Corruption(fmt::format("{}: malformed ROLE reply", endpoint.ToString()));
  }
  RoleInfo info;
  info.role = ParseRole(e[0].str);
  info.epoch = e[1].integer;
  info.last_zxid = e[2].integer;
  info.leader_id = static_cast<NodeId>(e[3].integer);
  info.phase = e[4].str;
  info.last_committed = e[5].integer;
  return info;
}

Status Ping(const Endpoint& endpoint, std::chrono::milliseconds timeout) {
  auto reply = Call(endpoint, EncodeCommand({"PING"}), timeout);
  if (!reply.ok()) return reply.status();
  if (reply->type != Reply::Type::kSimple || reply->str != "PONG") {
    return Status::Unavailable(fmt::format("{}: PING: unexpected reply", endpoint.ToString()));
  }
  return Status::Ok();
}

}  // namespace faultline::harness
