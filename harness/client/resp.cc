#include "harness/client/resp.h"

#include <fmt/format.h>

#include <charconv>

namespace faultline::harness {
namespace {

constexpr int kMaxDepth = 8;                 // zabd never nests deeper than 2
constexpr int64_t kMaxBulkBytes = 64 << 20;  // refuse absurd lengths instead of buffering them

}  // namespace

std::string RespValue::ErrorClass() const {
  size_t space = str.find(' ');
  return space == std::string::npos ? str : str.substr(0, space);
}

std::string RespValue::ToString() const {
  switch (type) {
    case Type::kSimple:
      return "+" + str;
    case Type::kError:
      return "-" + str;
    case Type::kInteger:
      return ":" + std::to_string(integer);
    case Type::kBulk:
      return "\"" + str + "\"";
    case Type::kNil:
      return "nil";
    case Type::kArray: {
      std::string out = "[";
      for (size_t i = 0; i < elements.size(); ++i) {
        out += (i ? ", " : "") + elements[i].ToString();
      }
      return out + "]";
    }
  }
  return "?";
}

std::string EncodeCommand(const std::vector<std::string>& args) {
  std::string out = fmt::format("*{}\r\n", args.size());
  for (const auto& a : args) out += fmt::format("${}\r\n{}\r\n", a.size(), a);
  return out;
}

std::string EncodeValue(const RespValue& v) {
  switch (v.type) {
    case RespValue::Type::kSimple:
      return "+" + v.str + "\r\n";
    case RespValue::Type::kError:
      return "-" + v.str + "\r\n";
    case RespValue::Type::kInteger:
      return fmt::format(":{}\r\n", v.integer);
    case RespValue::Type::kBulk:
      return fmt::format("${}\r\n{}\r\n", v.str.size(), v.str);
    case RespValue::Type::kNil:
      return "$-1\r\n";
    case RespValue::Type::kArray: {
      std::string out = fmt::format("*{}\r\n", v.elements.size());
      for (const auto& e : v.elements) out += EncodeValue(e);
      return out;
    }
  }
  return {};
}

RespParser::State RespParser::Next(RespValue* out) {
  if (!error_.empty()) return State::kProtocolError;
  size_t pos = pos_;
  if (!ParseAt(&pos, out, 0)) return error_.empty() ? State::kNeedMore : State::kProtocolError;
  pos_ = pos;
  if (pos_ > (1 << 16) && pos_ * 2 > buffer_.size()) {  // compact consumed bytes now and then
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  return State::kValue;
}

bool RespParser::ParseAt(size_t* pos, RespValue* out, int depth) {
  if (depth > kMaxDepth) {
    error_ = "nesting too deep";
    return false;
  }
  size_t eol = buffer_.find("\r\n", *pos);
  if (eol == std::string::npos) return false;
  if (eol == *pos) {
    error_ = "empty line";
    return false;
  }
  char tag = buffer_[*pos];
  std::string_view line(buffer_.data() + *pos + 1, eol - *pos - 1);
  size_t after = eol + 2;
  auto parse_int = [&](int64_t* v) {
    auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), *v);
    if (ec != std::errc() || p != line.data() + line.size()) {
      error_ = fmt::format("bad integer '{}'", line);
      return false;
    }
    return true;
  };
  switch (tag) {
    case '+':
      *out = RespValue::Simple(std::string(line));
      *pos = after;
      return true;
    case '-':
      *out = RespValue::Error(std::string(line));
      *pos = after;
      return true;
    case ':': {
      int64_t v = 0;
      if (!parse_int(&v)) return false;
      *out = RespValue::Integer(v);
      *pos = after;
      return true;
    }
    case '$': {
      int64_t len = 0;
      if (!parse_int(&len)) return false;
      if (len == -1) {
        *out = RespValue::Nil();
        *pos = after;
        return true;
      }
      if (len < 0 || len > kMaxBulkBytes) {
        error_ = fmt::format("bad bulk length {}", len);
        return false;
      }
      if (buffer_.size() < after + len + 2) return false;
      if (buffer_.compare(after + len, 2, "\r\n") != 0) {
        error_ = "bulk string not terminated by CRLF";
        return false;
      }
      *out = RespValue::Bulk(buffer_.substr(after, len));
      *pos = after + len + 2;
      return true;
    }
    case '*': {
      int64_t n = 0;
      if (!parse_int(&n)) return false;
      if (n == -1) {
        *out = RespValue::Nil();
        *pos = after;
        return true;
      }
      if (n < 0 || n > (1 << 20)) {
        error_ = fmt::format("bad array length {}", n);
        return false;
      }
      RespValue arr = RespValue::Array({});
      size_t p = after;
      for (int64_t i = 0; i < n; ++i) {
        RespValue e;
        if (!ParseAt(&p, &e, depth + 1)) return false;
        arr.elements.push_back(std::move(e));
      }
      *out = std::move(arr);
      *pos = p;
      return true;
    }
    default: {
      // Inline command (requests only): words separated by spaces.
      RespValue arr = RespValue::Array({});
      size_t start = 0;
      std::string_view all(buffer_.data() + *pos, eol - *pos);
      while (start < all.size()) {
        size_t sp = all.find(' ', start);
        if (sp == std::string_view::npos) sp = all.size();
        if (sp > start)
          arr.elements.push_back(RespValue::Bulk(std::string(all.substr(start, sp - start))));
        start = sp + 1;
      }
      *out = std::move(arr);
      *pos = after;
      return true;
    }
  }
}

}  // namespace faultline::harness
