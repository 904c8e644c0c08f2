// Test support for the loopback port race regression tests (cluster_test and the e2e test
// clusters of tests/e2e/zabd and tests/e2e/zookeeper). The race: ports picked free on 127.0.0.1
// and bound by the servers only later can be taken in between by another test or helper, or
// handed out by the kernel as an outgoing connection's source port.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "harness/cluster/loopback_block.h"
#include "harness/cluster/node.h"

namespace faultline::harness {

// Takes every endpoint's port number on 127.0.0.1 (as a racing program could after the layout
// was chosen), then lists each endpoint a server could not listen on now, or whose port lies in
// the kernel's ephemeral range. Empty when the layout is safe from the race.
inline std::vector<std::string> PortRaceProblems(const std::vector<Endpoint>& endpoints) {
  int low = 32768, high = 60999;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low >> high;
  std::vector<std::string> problems;
  std::vector<int> squatters;
  for (const Endpoint& e : endpoints) {
    if (e.port >= low && e.port <= high) problems.push_back(e.ToString() + " is an ephemeral port");
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(e.port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) (void)::listen(fd, 1);
    squatters.push_back(fd);  // bound, or already taken by someone else: either way not ours
  }
  for (const Endpoint& e : endpoints) {
    if (Status s = ProbeListen(e.host, e.port); !s.ok()) problems.push_back(s.ToString());
  }
  for (int fd : squatters) ::close(fd);
  return problems;
}

}  // namespace faultline::harness
