// The etcd v3 JSON gateway as pure functions: request bodies for range / put / txn / deleterange /
// maintenance status, and parsers for their responses. No I/O (EtcdClient does the HTTP).
//
// What etcd 3.4's gateway sends (captured from etcd 3.4.23, see gateway_test.cc): keys and
// values are base64; 64-bit integers are JSON strings ("revision":"2"); proto3 fields equal to
// their default are omitted, so a txn whose compare failed has no "succeeded" at all and a range
// that found nothing has no "kvs". Errors come as a non-200 status with
// {"error": text, "message": text, "code": <gRPC code>}.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace faultline::harness::etcd {

// Base64 as the gateway wants it (standard alphabet, padded). Decode fails on anything else.
std::string Base64Encode(std::string_view bytes);
Result<std::string> Base64Decode(std::string_view text);

// ---- Requests (JSON bodies) ----------------------------------------------------------------
// Range over one key. `serializable` = served from the node's local state without a quorum
// round (etcd's "serializable" read; faultline's `local` read mode).
std::string RangeRequest(std::string_view key, bool serializable);
// Range over every key that starts with `prefix` (range_end = prefix with its last byte + 1).
std::string PrefixRangeRequest(std::string_view prefix, bool serializable);
std::string PutRequest(std::string_view key, std::string_view value);
std::string DeleteRequest(std::string_view key);
// Compare-and-set: if key's value == expected then put value. A missing key never compares
// equal (etcd: comparing a value of a missing key is always false).
std::string CasRequest(std::string_view key, std::string_view expected, std::string_view value);
inline constexpr std::string_view kRangePath = "/v3/kv/range";
inline constexpr std::string_view kPutPath = "/v3/kv/put";
inline constexpr std::string_view kDeletePath = "/v3/kv/deleterange";
inline constexpr std::string_view kTxnPath = "/v3/kv/txn";
inline constexpr std::string_view kStatusPath = "/v3/maintenance/status";

// ---- Responses -----------------------------------------------------------------------------
struct ResponseHeader {
  uint64_t member_id = 0;  // the node that answered
  int64_t revision = 0;    // the store revision the answer reflects (a write: its own revision)
  int64_t raft_term = 0;
};

struct KeyValue {
  std::string key;
  std::string value;
  int64_t mod_revision = 0;
};

struct RangeResponse {
  ResponseHeader header;
  std::vector<KeyValue> kvs;
};

struct TxnResponse {
  ResponseHeader header;
  bool succeeded = false;
};

struct StatusResponse {
  ResponseHeader header;   // header.member_id: the node itself
  uint64_t leader_id = 0;  // 0 when the node knows no leader
  int64_t raft_term = 0;
  int64_t raft_index = 0;
};

// A non-200 answer: the gateway's error body (or the raw text when it is not one).
struct GatewayError {
  int http_status = 0;
  int grpc_code = -1;  // -1 when the body named none
  std::string message;
  std::string ToString() const;  // "HTTP 503 (gRPC 14): etcdserver: request timed out"
};

// Each parser: Corruption naming the field when the body is not what etcd sends.
Result<ResponseHeader> ParseHeader(std::string_view body);  // put / deleterange
Result<RangeResponse> ParseRange(std::string_view body);
Result<TxnResponse> ParseTxn(std::string_view body);
Result<StatusResponse> ParseStatus(std::string_view body);
GatewayError ParseError(int http_status, std::string_view body);

// gRPC codes the gateway maps etcd's errors to (google.golang.org/grpc/codes).
inline constexpr int kGrpcInvalidArgument = 3;
inline constexpr int kGrpcResourceExhausted = 8;  // "etcdserver: too many requests"
inline constexpr int kGrpcUnavailable = 14;

// True when the error proves the request was rejected before it was proposed to Raft, so a write
// certainly did not happen. Only rejections that happen before the proposal qualify (a malformed
// request, a route that does not exist, etcd's admission limit); a timeout, a leader change and
// anything unrecognised may have been applied.
bool RejectedBeforeProposal(const GatewayError& error);

}  // namespace faultline::harness::etcd
