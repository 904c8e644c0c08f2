// RESP2 (the Redis protocol) for zabd's client port: an incremental request parser and reply
// encoders (docs/contracts.md section 1), plus a reply decoder used by tests and the benchmark.
//
// Requests are either arrays of bulk strings (what redis-cli and client libraries send) or inline
// commands (a line of space-separated words, so `printf 'PING\r\n' | nc` works; quotes and
// escapes as Redis reads them, SplitInlineArgs).
//
// Contract of RequestParser:
//  * Feed it any bytes in any chunking; it never crashes and never reads past its buffer.
//  * Next() returns kCommand (one complete request in *args), kNeedMore, or kError. After kError
//    the stream is unusable: the server replies `-ERR <message>` and closes the connection.
//  * Bounds (limits.h): arguments per request, bytes per bulk argument, bytes per inline line and
//    bytes buffered for one incomplete request. Exceeding one is kError, checked as soon as the
//    header that announces the size is seen (a client cannot make zabd buffer an oversize frame).
//  * Key and value sizes of kv/op.h are checked by the command layer (an -ERR reply that keeps the
//    connection open), not here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zabd {

// Splits one inline line (without its line end) into words as Redis does: see resp.cc. False,
// with *why, on unbalanced quotes or more than kRespArgsMax words.
bool SplitInlineArgs(std::string_view line, std::vector<std::string>* args, std::string* why);

class RequestParser {
 public:
  enum class Result { kCommand, kNeedMore, kError };

  void Append(std::string_view bytes);
  Result Next(std::vector<std::string>* args);
  const std::string& error() const { return error_; }
  std::size_t buffered_bytes() const { return buffer_.size() - offset_; }
  // Memory the parser holds for unparsed bytes (its buffer's capacity), for the client port's
  // byte bounds; 0 once everything is parsed (ReleaseIfEmpty frees it).
  std::size_t held_bytes() const { return buffered_bytes() == 0 ? 0 : buffer_.capacity(); }
  // Gives the buffer's memory back when every buffered byte is parsed (an idle connection
  // holds nothing).
  void ReleaseIfEmpty();

 private:
  Result ParseArray(std::vector<std::string>* args);
  Result ParseInline(std::vector<std::string>* args);
  Result Fail(std::string message);
  void Compact();

  std::string buffer_;
  std::size_t offset_ = 0;  // start of the first unparsed request
  std::string error_;
  bool failed_ = false;
};

// Reply encoders: each appends one RESP2 value to *out.
void AppendSimple(std::string* out, std::string_view s);  // +s (no CR/LF inside)
void AppendError(std::string* out, std::string_view s);   // -s (CR/LF replaced by spaces)
void AppendInteger(std::string* out, int64_t v);
void AppendBulk(std::string* out, std::string_view s);
void AppendNil(std::string* out);  // $-1
void AppendArrayHeader(std::string* out, std::size_t count);
// Encodes a request as an array of bulk strings (for clients).
std::string EncodeCommand(const std::vector<std::string>& args);

// A decoded reply (tests, benchmark, harness clients).
struct RespValue {
  enum class Kind { kSimple, kError, kInteger, kBulk, kNil, kArray };
  Kind kind = Kind::kNil;
  std::string str;  // kSimple, kError, kBulk
  int64_t integer = 0;
  std::vector<RespValue> elements;  // kArray
  std::string ToString() const;     // redis-cli-like rendering, for messages
};

// Decodes one reply from the front of `bytes`. Returns the bytes consumed, 0 if incomplete, or
// nullopt if the bytes are not RESP2.
std::optional<std::size_t> DecodeReply(std::string_view bytes, RespValue* out);

}  // namespace zabd
