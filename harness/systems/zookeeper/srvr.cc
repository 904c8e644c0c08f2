#include "harness/systems/zookeeper/srvr.h"

#include <fmt/format.h>

#include <array>
#include <boost/asio.hpp>
#include <optional>

#include "harness/systems/zookeeper/log_text.h"

namespace faultline::harness::zookeeper {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

constexpr size_t kReplyBytesMax = 64 * 1024;  // a srvr reply is ~300 bytes

std::string_view Line(std::string_view text, std::string_view key) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (line.substr(0, key.size()) == key) {
      line.remove_prefix(key.size());
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
      while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      return line;
    }
    pos = end + 1;
  }
  return {};
}

}  // namespace

Result<RoleInfo> ParseSrvr(std::string_view text) {
  RoleInfo info;
  if (text.find("not currently serving requests") != std::string_view::npos) {
    info.role = Role::kLooking;
    info.phase = "election";
    return info;
  }
  std::string_view mode = Line(text, "Mode:");
  auto zxid = HexAfter(Line(text, "Zxid:"), "");
  if (mode.empty() || !zxid) {
    return Status::Corruption(
        fmt::format("not a srvr reply (no Mode: / Zxid: line): {:?}", text.substr(0, 120)));
  }
  info.last_zxid = *zxid;
  info.epoch = *zxid >> 32;
  info.last_committed = *zxid;
  info.phase = "broadcast";
  if (mode == "leader" || mode == "standalone") {
    info.role = Role::kLeading;
  } else if (mode == "follower" || mode == "observer") {
    info.role = Role::kFollowing;
  } else {
    info.role = Role::kUnknown;  // read-only and anything newer
  }
  return info;
}

Result<RoleInfo> QuerySrvr(const Endpoint& client, std::chrono::milliseconds timeout) {
  asio::io_context io;
  tcp::socket socket(io);
  boost::system::error_code addr_ec;
  const auto address = asio::ip::make_address(client.host, addr_ec);
  if (addr_ec) return Status::InvalidArgument(fmt::format("bad host '{}'", client.host));
  std::string reply;
  std::array<char, 1024> chunk;
  std::optional<Status> failed;
  bool done = false;
  static const std::string kRequest = "srvr";
  std::function<void()> read_more = [&] {
    socket.async_read_some(asio::buffer(chunk), [&](boost::system::error_code ec, size_t n) {
      reply.append(chunk.data(), n);
      if (ec == asio::error::eof || reply.size() > kReplyBytesMax) {
        done = true;  // the server closes after answering
      } else if (ec) {
        failed = Status::Unavailable(fmt::format("{}: srvr: {}", client.ToString(), ec.message()));
      } else {
        read_more();
      }
    });
  };
  socket.async_connect(tcp::endpoint(address, client.port), [&](boost::system::error_code ec) {
    if (ec) {
      failed = Status::Unavailable(fmt::format("{}: {}", client.ToString(), ec.message()));
      return;
    }
    asio::async_write(socket, asio::buffer(kRequest), [&](boost::system::error_code ec, size_t) {
      if (ec) {
        failed = Status::Unavailable(fmt::format("{}: srvr: {}", client.ToString(), ec.message()));
        return;
      }
      read_more();
    });
  });
  io.run_for(timeout);
  if (failed) return *failed;
  if (!done) {
    return Status::Timeout(
        fmt::format("{}: no srvr reply within {} ms", client.ToString(), timeout.count()));
  }
  return ParseSrvr(reply);
}

}  // namespace faultline::harness::zookeeper
