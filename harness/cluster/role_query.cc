#include "harness/cluster/role_query.h"

#include <fmt/format.h>

#include <boost/asio.hpp>
#include <charconv>
#include <optional>
#include <variant>
#include <vector>

namespace faultline::harness {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// Just enough RESP2 for ROLE and PING replies.
struct Reply {
  enum class Type { kSimple, kError, kInteger, kBulk, kNil, kArray } type = Type::kNil;
  std::string text;
  int64_t integer = 0;
  std::vector<Reply> elements;
};

// Parses one reply starting at `pos`; nullopt while incomplete; Corruption when malformed.
Result<std::optional<Reply>> Parse(std::string_view buf, size_t& pos) {
  const size_t eol = buf.find("\r\n", pos);
  if (eol == std::string_view::npos) return std::optional<Reply>();
  if (eol == pos) return Status::Corruption("empty RESP line");
  const char tag = buf[pos];
  const std::string_view line = buf.substr(pos + 1, eol - pos - 1);
  auto integer = [&]() -> std::optional<int64_t> {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), v);
    if (ec != std::errc() || p != line.data() + line.size()) return std::nullopt;
    return v;
  };
  Reply reply;
  size_t next = eol + 2;
  switch (tag) {
    case '+':
    case '-':
      reply.type = tag == '+' ? Reply::Type::kSimple : Reply::Type::kError;
      reply.text = std::string(line);
      break;
    case ':': {
      auto v = integer();
      if (!v) return Status::Corruption(fmt::format("bad RESP integer '{}'", line));
      reply.type = Reply::Type::kInteger;
      reply.integer = *v;
      break;
    }
    case '$': {
      auto len = integer();
      if (!len) return Status::Corruption(fmt::format("bad RESP bulk length '{}'", line));
      if (*len < 0) {
        reply.type = Reply::Type::kNil;
        break;
      }
      if (buf.size() < next + *len + 2) return std::optional<Reply>();
      reply.type = Reply::Type::kBulk;
      reply.text = std::string(buf.substr(next, *len));
      next += *len + 2;
      break;
    }
    case '*': {
      auto count = integer();
      if (!count) return Status::Corruption(fmt::format("bad RESP array length '{}'", line));
      reply.type = *count < 0 ? Reply::Type::kNil : Reply::Type::kArray;
      for (int64_t i = 0; i < *count; ++i) {
        auto element = Parse(buf, next);
        if (!element.ok()) return element.status();
        if (!element->has_value()) return std::optional<Reply>();
        reply.elements.push_back(std::move(**element));
      }
      break;
    }
    default:
      return Status::Corruption(fmt::format("bad RESP type byte '{}'", tag));
  }
  pos = next;
  return std::optional<Reply>(std::move(reply));
}

// One request, one reply, everything within `timeout`.
Result<Reply> Call(const Endpoint& endpoint, const std::string& request,
                   std::chrono::milliseconds timeout) {
  asio::io_context io;
  tcp::socket socket(io);
  boost::system::error_code addr_ec;
  const auto address = asio::ip::make_address(endpoint.host, addr_ec);
  if (addr_ec) return Status::InvalidArgument(fmt::format("bad host '{}'", endpoint.host));
  std::string buffer;
  std::optional<Result<Reply>> outcome;
  std::array<char, 4096> chunk;

  std::function<void()> read_more = [&] {
    socket.async_read_some(asio::buffer(chunk), [&](boost::system::error_code ec, size_t n) {
      if (ec) {
        outcome = Status::Unavailable(
            fmt::format("{}: connection closed: {}", endpoint.ToString(), ec.message()));
        return;
      }
      buffer.append(chunk.data(), n);
      size_t pos = 0;
      auto parsed = Parse(buffer, pos);
      if (!parsed.ok()) {
        outcome = parsed.status();
      } else if (parsed->has_value()) {
        outcome = std::move(**parsed);
      } else {
        read_more();
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
  auto reply = Call(endpoint, "*1\r\n$4\r\nROLE\r\n", timeout);
  if (!reply.ok()) return reply.status();
  if (reply->type == Reply::Type::kError) {
    return Status::Unavailable(fmt::format("{}: ROLE: {}", endpoint.ToString(), reply->text));
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
  info.role = ParseRole(e[0].text);
  info.epoch = e[1].integer;
  info.last_zxid = e[2].integer;
  info.leader_id = static_cast<NodeId>(e[3].integer);
  info.phase = e[4].text;
  info.last_committed = e[5].integer;
  return info;
}

Status Ping(const Endpoint& endpoint, std::chrono::milliseconds timeout) {
  auto reply = Call(endpoint, "*1\r\n$4\r\nPING\r\n", timeout);
  if (!reply.ok()) return reply.status();
  if (reply->type != Reply::Type::kSimple || reply->text != "PONG") {
    return Status::Unavailable(fmt::format("{}: PING: unexpected reply", endpoint.ToString()));
  }
  return Status::Ok();
}

}  // namespace faultline::harness
