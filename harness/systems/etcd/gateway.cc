#include "harness/systems/etcd/gateway.h"

#include <fmt/format.h>

#include <boost/beast/core/detail/base64.hpp>
#include <charconv>
#include <nlohmann/json.hpp>

namespace faultline::harness::etcd {
namespace {

namespace b64 = boost::beast::detail::base64;
using nlohmann::json;

// The gateway writes 64-bit integers as strings; tolerate plain numbers too.
template <typename Int>
Result<Int> IntField(const json& object, const char* name, std::string_view where) {
  auto it = object.find(name);
  if (it == object.end()) return Int{0};  // proto3: a default value is omitted
  if (it->is_number_integer()) return it->get<Int>();
  if (it->is_string()) {
    const std::string& s = it->get_ref<const std::string&>();
    Int v{};
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && end == s.data() + s.size() && !s.empty()) return v;
  }
  return Status::Corruption(
      fmt::format("etcd {}: field '{}' is not an integer: {}", where, name, it->dump()));
}

Result<json> ParseObject(std::string_view body, std::string_view where) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Corruption(
        fmt::format("etcd {}: response is not a JSON object: {:.200}", where, body));
  }
  return j;
}

Result<ResponseHeader> HeaderOf(const json& j, std::string_view where) {
  auto it = j.find("header");
  if (it == j.end() || !it->is_object()) {
    return Status::Corruption(fmt::format("etcd {}: response has no header", where));
  }
  ResponseHeader h;
  auto member = IntField<uint64_t>(*it, "member_id", where);
  auto revision = IntField<int64_t>(*it, "revision", where);
  auto term = IntField<int64_t>(*it, "raft_term", where);
  for (const Status* s : {&member.status(), &revision.status(), &term.status()}) {
    if (!s->ok()) return *s;
  }
  h.member_id = member.value();
  h.revision = revision.value();
  h.raft_term = term.value();
  return h;
}

json KeyJson(std::string_view key) { return {{"key", Base64Encode(key)}}; }

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out(b64::encoded_size(bytes.size()), '\0');
  out.resize(b64::encode(out.data(), bytes.data(), bytes.size()));
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return Status::Corruption(fmt::format("bad base64 (length {}): {:.80}", text.size(), text));
  }
  std::string out(b64::decoded_size(text.size()), '\0');
  auto [written, read] = b64::decode(out.data(), text.data(), text.size());
  // decode stops at the first byte outside the alphabet; only '=' padding may remain.
  for (size_t i = read; i < text.size(); ++i) {
    if (text[i] != '=' || text.size() - i > 2) {
      return Status::Corruption(fmt::format("bad base64 at byte {}: {:.80}", i, text));
    }
  }
  out.resize(written);
  return out;
}

std::string RangeRequest(std::string_view key, bool serializable) {
  json j = KeyJson(key);
  if (serializable) j["serializable"] = true;
  return j.dump();
}

std::string PrefixRangeRequest(std::string_view prefix, bool serializable) {
  json j = KeyJson(prefix);
  std::string end(prefix);
  // The smallest key greater than every key with this prefix. (An all-0xff prefix would need
  // "\0" = everything; harness keys are printable, so the last byte can always be incremented.)
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (end.empty()) {
    end = std::string(1, '\0');
  } else {
    end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  }
  j["range_end"] = Base64Encode(end);
  if (serializable) j["serializable"] = true;
  return j.dump();
}

std::string PutRequest(std::string_view key, std::string_view value) {
  json j = KeyJson(key);
  j["value"] = Base64Encode(value);
  return j.dump();
}

std::string DeleteRequest(std::string_view key) { return KeyJson(key).dump(); }

std::string CasRequest(std::string_view key, std::string_view expected, std::string_view value) {
  json compare = {{"key", Base64Encode(key)},
                  {"target", "VALUE"},
                  {"result", "EQUAL"},
                  {"value", Base64Encode(expected)}};
  json put = {{"requestPut", {{"key", Base64Encode(key)}, {"value", Base64Encode(value)}}}};
  return json{{"compare", json::array({compare})}, {"success", json::array({put})}}.dump();
}

Result<ResponseHeader> ParseHeader(std::string_view body) {
  auto j = ParseObject(body, "response");
  if (!j.ok()) return j.status();
  return HeaderOf(j.value(), "response");
}

Result<RangeResponse> ParseRange(std::string_view body) {
  auto j = ParseObject(body, "range");
  if (!j.ok()) return j.status();
  RangeResponse r;
  auto h = HeaderOf(j.value(), "range");
  if (!h.ok()) return h.status();
  r.header = h.value();
  auto kvs = j.value().find("kvs");
  if (kvs == j.value().end()) return r;  // nothing found
  if (!kvs->is_array()) return Status::Corruption("etcd range: 'kvs' is not an array");
  for (const json& kv : *kvs) {
    if (!kv.is_object() || !kv.contains("key") || !kv["key"].is_string()) {
      return Status::Corruption("etcd range: a kvs entry has no key: " + kv.dump());
    }
    KeyValue out;
    auto key = Base64Decode(kv["key"].get<std::string>());
    if (!key.ok()) return Status::Corruption("etcd range key: " + key.status().message());
    out.key = std::move(key.value());
    // An empty value is omitted (proto3 default).
    if (kv.contains("value")) {
      if (!kv["value"].is_string()) return Status::Corruption("etcd range: value not a string");
      auto value = Base64Decode(kv["value"].get<std::string>());
      if (!value.ok()) return Status::Corruption("etcd range value: " + value.status().message());
      out.value = std::move(value.value());
    }
    auto mod = IntField<int64_t>(kv, "mod_revision", "range");
    if (!mod.ok()) return mod.status();
    out.mod_revision = mod.value();
    r.kvs.push_back(std::move(out));
  }
  return r;
}

Result<TxnResponse> ParseTxn(std::string_view body) {
  auto j = ParseObject(body, "txn");
  if (!j.ok()) return j.status();
  TxnResponse t;
  auto h = HeaderOf(j.value(), "txn");
  if (!h.ok()) return h.status();
  t.header = h.value();
  auto it = j.value().find("succeeded");
  if (it != j.value().end()) {
    if (!it->is_boolean()) return Status::Corruption("etcd txn: 'succeeded' is not a boolean");
    t.succeeded = it->get<bool>();
  }
  return t;
}

Result<StatusResponse> ParseStatus(std::string_view body) {
  auto j = ParseObject(body, "status");
  if (!j.ok()) return j.status();
  StatusResponse s;
  auto h = HeaderOf(j.value(), "status");
  if (!h.ok()) return h.status();
  s.header = h.value();
  auto leader = IntField<uint64_t>(j.value(), "leader", "status");
  auto term = IntField<int64_t>(j.value(), "raftTerm", "status");
  auto index = IntField<int64_t>(j.value(), "raftIndex", "status");
  for (const Status* st : {&leader.status(), &term.status(), &index.status()}) {
    if (!st->ok()) return *st;
  }
  s.leader_id = leader.value();
  s.raft_term = term.value();
  s.raft_index = index.value();
  return s;
}

GatewayError ParseError(int http_status, std::string_view body) {
  GatewayError e;
  e.http_status = http_status;
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_discarded() && j.is_object()) {
    if (j.contains("code") && j["code"].is_number_integer()) e.grpc_code = j["code"].get<int>();
    for (const char* name : {"error", "message"}) {
      if (j.contains(name) && j[name].is_string()) {
        e.message = j[name].get<std::string>();
        break;
      }
    }
  }
  if (e.message.empty()) e.message = std::string(body.substr(0, 200));
  return e;
}

std::string GatewayError::ToString() const {
  if (grpc_code < 0) return fmt::format("HTTP {}: {}", http_status, message);
  return fmt::format("HTTP {} (gRPC {}): {}", http_status, grpc_code, message);
}

bool RejectedBeforeProposal(const GatewayError& error) {
  if (error.http_status == 404 || error.http_status == 405) return true;  // no such route
  return error.grpc_code == kGrpcInvalidArgument || error.grpc_code == kGrpcResourceExhausted;
}

}  // namespace faultline::harness::etcd
