// LoopbackBlock: one 127.A.B.0/24 block of the host's loopback, claimed by one Cluster for its
// life (AddressMode::kLoopback). Why: ports picked free on 127.0.0.1 and bound later by the
// servers race with everything else on the machine (other runs, other tests, the kernel's
// ephemeral source ports of any outgoing connection), which now and then ended a run with
// "address in use". In a claimed block the nodes bind 127.A.B.(10+i) on the fixed port plan of
// cluster.h (7000+, below the kernel's ephemeral range), so nothing else picks those addresses:
//   - the claim is a listening socket on 127.A.B.1:kLoopbackClaimPort held open (close-on-exec) for
//     the block's life; another faultline process drawing the same block cannot bind it and draws
//     again. It dies with the process, so a crashed controller leaves no stale claim.
//   - connections to 127.x.y.z leave from 127.0.0.1 (the kernel's source for 127.0.0.0/8), so the
//     block's ports are never anybody's source port.
// Linux routes all of 127.0.0.0/8 to lo; nothing is configured.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace faultline::harness {

inline constexpr uint16_t kLoopbackClaimPort = 6999;

class LoopbackBlock {
 public:
  // Draws blocks 127.A.B (A in 1..254, B in 0..255) from `seed` until one can be claimed
  // (at most 64 draws). IoError naming the last failure when none can.
  static Result<LoopbackBlock> Claim(uint64_t seed);

  LoopbackBlock(LoopbackBlock&& other) noexcept;
  LoopbackBlock& operator=(LoopbackBlock&& other) noexcept;
  LoopbackBlock(const LoopbackBlock&) = delete;
  LoopbackBlock& operator=(const LoopbackBlock&) = delete;
  ~LoopbackBlock();  // releases the claim

  // "127.A.B.<last_octet>".
  std::string Host(int last_octet) const;
  // "127.A.B".
  const std::string& prefix() const { return prefix_; }

 private:
  LoopbackBlock(std::string prefix, int fd) : prefix_(std::move(prefix)), fd_(fd) {}
  std::string prefix_;
  int fd_ = -1;
};

// Binds and listens on `host`:`port` and closes it again: OK when a server could listen there now.
Status ProbeListen(const std::string& host, uint16_t port);

}  // namespace faultline::harness
