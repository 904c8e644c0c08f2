// Every bound of zabd's network layer and driver, in one place (STYLE.md, TigerBeetle): frame
// sizes, queue depths, connection counts, retry and timeout windows. Tied together by
// static_asserts so a change to one cannot silently break another.
#pragma once

#include <cstddef>
#include <cstdint>

#include "server/kv/op.h"

namespace zabd {

// ---- Client protocol (RESP2) --------------------------------------------------------------
inline constexpr std::size_t kRespArgsMax = 8;                 // CAS key expected new = 4 args
inline constexpr std::size_t kRespInlineBytesMax = 64 * 1024;  // one inline command line
// One request: the largest command (CAS) carries two values plus a key plus framing.
inline constexpr std::size_t kRespFrameBytesMax = 2 * kv::kValueBytesMax + kv::kKeyBytesMax + 4096;
inline constexpr std::size_t kRespBulkBytesMax = kv::kValueBytesMax;  // any single argument
inline constexpr std::size_t kClientConnectionsMax = 1024;
// Requests of one connection waiting for the core (pipelining depth); reading pauses beyond.
inline constexpr std::size_t kClientPipelineMax = 256;
// Reply bytes of one connection not yet written: reading pauses at the first bound (backpressure);
// a client that still does not read its replies is closed at the second (requests already in
// flight keep adding replies while reading is paused).
inline constexpr std::size_t kClientOutputBytesPause = 1u << 20;
inline constexpr std::size_t kClientOutputBytesMax = 64u << 20;
// Bytes all connections together may hold (partial requests + owed replies); past it the
// connection holding the most is closed. 330 MB of half-sent frames was issue 8 finding 5.
inline constexpr std::size_t kClientBufferedBytesTotalMax = 64u << 20;
// A connection with nothing in flight that sends nothing for this long is closed.
inline constexpr uint64_t kClientIdleTimeoutMs = 300'000;
// A request whose bytes have been arriving this long without completing: -ERR and close.
inline constexpr uint64_t kClientRequestBytesTimeoutMs = 15'000;
// How often the client port checks the two timeouts above (or a quarter of the shorter one).
inline constexpr uint64_t kClientSweepIntervalMs = 250;
// A request the core has not answered after this long gets -UNKNOWN (writes) / -UNKNOWN (reads).
inline constexpr uint64_t kClientRequestTimeoutMs = 3000;
inline constexpr std::size_t kClientReadChunkBytes = 64 * 1024;
// After a protocol error: how long zabd keeps discarding a client's input before closing.
inline constexpr uint64_t kClientLingerMs = 1000;

// ---- Peer transport -----------------------------------------------------------------------
inline constexpr uint32_t kPeerMagic = 0x5a414244;  // "ZABD"
inline constexpr uint16_t kPeerProtocolVersion = 1;
inline constexpr std::size_t kPeerNonceBytes = 16;
// A SNAP sync carries the whole kv state in one message, so a frame may be large.
inline constexpr std::size_t kPeerFrameBytesMax = 256u << 20;
inline constexpr std::size_t kPeerSendQueueFramesMax = 16384;  // per directed link
inline constexpr std::size_t kPeerSendQueueBytesMax = 512u << 20;
inline constexpr uint64_t kPeerReconnectBackoffMsMin = 20;
inline constexpr uint64_t kPeerReconnectBackoffMsMax = 500;
inline constexpr uint64_t kPeerHandshakeTimeoutMs = 2000;  // dialer: connect + handshake
// Inbound peer connections (issue 8 finding 2: 64 half-open connections from a stranger filled
// the one shared pool of 64 and kept a restarted follower out):
//  * an authenticated connection never takes a pool slot: each configured peer id has its own
//    (at most one connection per id, the newest wins), so a real peer is never refused for room;
//  * connections still handshaking share kPeerUnauthenticatedMax slots. When the pool is full a
//    new connection is still accepted: the oldest handshaking connection of the source address
//    holding the most of them is closed instead, so a flood from one address evicts only itself
//    and a stranger that merely holds sockets open cannot keep anyone out;
//  * an unauthenticated socket gets kPeerInboundHandshakeTimeoutMs to prove the secret (a real
//    peer answers the hello at once).
inline constexpr std::size_t kPeerUnauthenticatedMax = 64;
inline constexpr uint64_t kPeerInboundHandshakeTimeoutMs = 1000;

// ---- Driver -------------------------------------------------------------------------------
inline constexpr uint64_t kTickIntervalMs = 10;

static_assert(kRespBulkBytesMax >= kv::kKeyBytesMax);
// One connection's input is one partial frame plus one read chunk; many must fit the total.
static_assert(kClientBufferedBytesTotalMax >= 16 * (kRespFrameBytesMax + kClientReadChunkBytes));
static_assert(kClientOutputBytesPause >= kRespBulkBytesMax, "one largest reply never pauses");
static_assert(kClientOutputBytesMax >= kClientOutputBytesPause + kRespBulkBytesMax);
static_assert(kClientOutputBytesMax <= kClientBufferedBytesTotalMax);
static_assert(kClientRequestBytesTimeoutMs > kClientRequestTimeoutMs);
static_assert(kClientIdleTimeoutMs > kClientRequestBytesTimeoutMs);
static_assert(kClientSweepIntervalMs * 4 <= kClientRequestBytesTimeoutMs);
static_assert(kRespFrameBytesMax > 2 * kRespBulkBytesMax);
static_assert(kPeerFrameBytesMax > kRespFrameBytesMax, "a forwarded write must fit in a frame");
static_assert(kPeerSendQueueBytesMax >= kPeerFrameBytesMax);
static_assert(kPeerReconnectBackoffMsMin <= kPeerReconnectBackoffMsMax);
static_assert(kPeerInboundHandshakeTimeoutMs <= kPeerHandshakeTimeoutMs,
              "a stranger's socket must not outlive a real dialer's patience");
static_assert(kPeerUnauthenticatedMax >= 2, "eviction needs room for the newcomer");
static_assert(kTickIntervalMs < kClientRequestTimeoutMs);

}  // namespace zabd
