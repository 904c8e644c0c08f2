#include "harness/systems/zabd/role_query.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <thread>

namespace faultline::harness {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// Accepts one connection, reads one request, writes `reply` (split in two writes to exercise
// partial reads) unless `silent`, then holds the connection until the client goes away.
class CannedServer {
 public:
  CannedServer(std::string reply, bool silent = false)
      : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this, reply = std::move(reply), silent] {
      boost::system::error_code ec;
      tcp::socket socket(io_);
      acceptor_.accept(socket, ec);
      if (ec) return;
      char buf[256];
      socket.read_some(asio::buffer(buf), ec);
      if (!silent && !ec) {
        const size_t half = reply.size() / 2;
        asio::write(socket, asio::buffer(reply.data(), half), ec);
        asio::write(socket, asio::buffer(reply.data() + half, reply.size() - half), ec);
      }
      socket.read_some(asio::buffer(buf), ec);  // until the client closes
    });
  }
  ~CannedServer() { thread_.join(); }
  Endpoint endpoint() const { return {"127.0.0.1", acceptor_.local_endpoint().port()}; }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

TEST(RoleQueryTest, ParsesALeadersRoleReply) {
  CannedServer server(
      "*6\r\n$7\r\nleading\r\n:3\r\n:12884901893\r\n:2\r\n$9\r\nbroadcast\r\n:12884901890\r\n");
  auto role = QueryRole(server.endpoint(), std::chrono::seconds(10));
  ASSERT_TRUE(role.ok()) << role.status().ToString();
  EXPECT_EQ(role->role, Role::kLeading);
  EXPECT_EQ(role->epoch, 3);
  EXPECT_EQ(role->last_zxid, 12884901893);
  EXPECT_EQ(role->leader_id, 2);
  EXPECT_EQ(role->phase, "broadcast");
  EXPECT_EQ(role->last_committed, 12884901890);
}

TEST(RoleQueryTest, ALookingNodeReportsNoLeader) {
  CannedServer server("*6\r\n+looking\r\n:0\r\n:0\r\n:-1\r\n+election\r\n:0\r\n");
  auto role = QueryRole(server.endpoint(), std::chrono::seconds(10));
  ASSERT_TRUE(role.ok()) << role.status().ToString();
  EXPECT_EQ(role->role, Role::kLooking);
  EXPECT_EQ(role->leader_id, -1);
}

TEST(RoleQueryTest, AnErrorReplyIsUnavailableWithTheServersText) {
  CannedServer server("-ERR unknown command\r\n");
  auto role = QueryRole(server.endpoint(), std::chrono::seconds(10));
  EXPECT_EQ(role.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(role.status().message().find("unknown command"), std::string::npos);
}

TEST(RoleQueryTest, AShortArrayIsCorruption) {
  CannedServer server("*2\r\n$7\r\nleading\r\n:3\r\n");
  EXPECT_EQ(QueryRole(server.endpoint(), std::chrono::seconds(10)).status().code(),
            StatusCode::kCorruption);
}

TEST(RoleQueryTest, ASilentServerTimesOut) {
  CannedServer server("", /*silent=*/true);
  EXPECT_EQ(QueryRole(server.endpoint(), std::chrono::milliseconds(100)).status().code(),
            StatusCode::kTimeout);
}

TEST(RoleQueryTest, ARefusedConnectionIsUnavailable) {
  Endpoint closed;
  {
    CannedServer server("", true);
    closed = server.endpoint();
    // Connect once so the server thread finishes; afterwards the port is closed.
    (void)Ping(closed, std::chrono::milliseconds(50));
  }
  EXPECT_EQ(QueryRole(closed, std::chrono::seconds(10)).status().code(), StatusCode::kUnavailable);
}

TEST(RoleQueryTest, PingAcceptsPong) {
  CannedServer server("+PONG\r\n");
  EXPECT_TRUE(Ping(server.endpoint(), std::chrono::seconds(10)).ok());
}

}  // namespace
}  // namespace faultline::harness
