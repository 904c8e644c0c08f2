// RESP2 values, encoding of commands and incremental parsing of replies (docs/contracts.md
// section 1). Pure: no sockets. Used by RespConnection and by the fake server in tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::harness {

struct RespValue {
  enum class Type { kSimple, kError, kInteger, kBulk, kNil, kArray };
  Type type = Type::kNil;
  std::string str;  // kSimple, kError (without the leading '-'), kBulk
  int64_t integer = 0;
  std::vector<RespValue> elements;  // kArray

  static RespValue Simple(std::string s) { return {Type::kSimple, std::move(s), 0, {}}; }
  static RespValue Error(std::string s) { return {Type::kError, std::move(s), 0, {}}; }
  static RespValue Integer(int64_t v) { return {Type::kInteger, {}, v, {}}; }
  static RespValue Bulk(std::string s) { return {Type::kBulk, std::move(s), 0, {}}; }
  static RespValue Nil() { return {}; }
  static RespValue Array(std::vector<RespValue> e) { return {Type::kArray, {}, 0, std::move(e)}; }

  bool is_error() const { return type == Type::kError; }
  // First word of an error ("NOTAPPLIED", "UNKNOWN", "ERR", ...).
  std::string ErrorClass() const;
  std::string ToString() const;  // for messages and tests
};

// A command as a RESP array of bulk strings.
std::string EncodeCommand(const std::vector<std::string>& args);
// A reply value in wire form (for fake servers).
std::string EncodeValue(const RespValue& value);

// Incremental parser: feed bytes as they arrive, take complete values out.
class RespParser {
 public:
  enum class State { kNeedMore, kValue, kProtocolError };
  void Feed(std::string_view bytes) { buffer_.append(bytes); }
  // kValue: *out holds the next complete value (consumed). kNeedMore: nothing complete yet.
  // kProtocolError: the stream is garbage; `error()` says why.
  State Next(RespValue* out);
  const std::string& error() const { return error_; }
  // Also accepts inline commands ("PING\r\n") when parsing requests in a fake server.
  bool empty() const { return pos_ >= buffer_.size(); }

 private:
  // Parses one value at *pos; returns false when incomplete. Sets error_ on garbage.
  bool ParseAt(size_t* pos, RespValue* out, int depth);
  std::string buffer_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace faultline::harness
