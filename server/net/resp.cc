#include "server/net/resp.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>

#include "server/net/limits.h"

namespace zabd {

namespace {

// Parses a signed decimal integer that must fill `text` exactly.
std::optional<int64_t> ParseInt(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// Finds "\r\n" at or after `from`; npos if absent.
std::size_t FindCrlf(std::string_view s, std::size_t from) {
  while (true) {
    auto cr = s.find('\r', from);
    if (cr == std::string_view::npos || cr + 1 >= s.size()) return std::string_view::npos;
    if (s[cr + 1] == '\n') return cr;
    from = cr + 1;
  }
}

}  // namespace

void RequestParser::Append(std::string_view bytes) {
  if (failed_) return;
  Compact();
  buffer_.append(bytes);
}

void RequestParser::Compact() {
  // Keep the buffer from growing without bound under pipelining: drop parsed bytes once they
  // dominate.
  if (offset_ > 0 && offset_ * 2 >= buffer_.size()) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
}

void RequestParser::ReleaseIfEmpty() {
  if (offset_ < buffer_.size()) return;
  std::string().swap(buffer_);
  offset_ = 0;
}

RequestParser::Result RequestParser::Fail(std::string message) {
  failed_ = true;
  error_ = std::move(message);
  return Result::kError;
}

RequestParser::Result RequestParser::Next(std::vector<std::string>* args) {
  if (failed_) return Result::kError;
  args->clear();
  while (offset_ < buffer_.size()) {
    Result r = buffer_[offset_] == '*' ? ParseArray(args) : ParseInline(args);
    if (r != Result::kCommand) return r;
    if (!args->empty()) return r;
    // An empty inline line or an empty array: nothing to execute, keep going.
  }
  return Result::kNeedMore;
}

namespace {

bool IsInlineSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

// Reads the quoted part that starts at line[*i] (its opening quote) into *word and moves *i past
// the closing quote. False if the quote is not closed, or its closing quote does not end the word.
bool ReadQuoted(std::string_view line, std::size_t* i, std::string* word) {
  const char quote = line[(*i)++];
  while (*i < line.size()) {
    const char c = line[(*i)++];
    if (c == quote) return *i == line.size() || IsInlineSpace(line[*i]);
    if (c != '\\' || *i == line.size()) {
      *word += c;
      continue;
    }
    const char e = line[*i];
    if (quote == '\'') {  // single quotes know one escape, \'; any other backslash is itself
      if (e == '\'') ++*i;
      *word += e == '\'' ? '\'' : '\\';
      continue;
    }
    ++*i;
    unsigned byte = 0;
    if (e == 'x' && *i + 2 <= line.size() &&
        std::from_chars(line.data() + *i, line.data() + *i + 2, byte, 16).ptr ==
            line.data() + *i + 2) {
      *word += static_cast<char>(byte);
      *i += 2;
      continue;
    }
    static constexpr std::string_view kFrom = "nrtba", kTo = "\n\r\t\b\a";
    const std::size_t k = kFrom.find(e);
    *word += k == std::string_view::npos ? e : kTo[k];
  }
  return false;
}

}  // namespace

// Inline words as Redis splits them (so `redis-cli --pipe` input and a telnet session mean what
// they mean to Redis): whitespace separates words; "double quotes" hold spaces and the escapes
// \n \r \t \b \a \xHH and \<any> (that character); 'single quotes' hold spaces and only \'.
// A quoted part may follow unquoted bytes of the same word, and its closing quote must end the
// word. An unclosed quote, or a closing quote followed by more of the word, is an error.
bool SplitInlineArgs(std::string_view line, std::vector<std::string>* args, std::string* why) {
  std::size_t i = 0;
  while (true) {
    while (i < line.size() && IsInlineSpace(line[i])) ++i;
    if (i == line.size()) return true;
    if (args->size() >= kRespArgsMax) {
      *why = fmt::format("too many arguments (max {})", kRespArgsMax);
      return false;
    }
    std::string word;
    while (i < line.size() && !IsInlineSpace(line[i])) {
      if (line[i] != '"' && line[i] != '\'') {
        word += line[i++];
      } else if (!ReadQuoted(line, &i, &word)) {
        *why = "unbalanced quotes in request";
        return false;
      }
    }
    args->push_back(std::move(word));
  }
}

RequestParser::Result RequestParser::ParseInline(std::vector<std::string>* args) {
  std::string_view rest(buffer_);
  rest.remove_prefix(offset_);
  auto nl = rest.find('\n');
  if (nl == std::string_view::npos) {
    if (rest.size() > kRespInlineBytesMax) {
      return Fail(fmt::format("Protocol error: too big inline request (max {} bytes)",
                              kRespInlineBytesMax));
    }
    return Result::kNeedMore;
  }
  if (nl > kRespInlineBytesMax) return Fail("Protocol error: too big inline request");
  std::string_view line = rest.substr(0, nl);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  offset_ += nl + 1;
  std::string why;
  if (!SplitInlineArgs(line, args, &why)) return Fail("Protocol error: " + why);
  return Result::kCommand;
}

RequestParser::Result RequestParser::ParseArray(std::vector<std::string>* args) {
  std::string_view rest(buffer_);
  rest.remove_prefix(offset_);
  // The bound is on this request's bytes, not on what is buffered behind it (a pipelined burst
  // of small requests is fine): checked as each size is announced, and while it is incomplete.
  auto too_big = [&] {
    return Fail(fmt::format("Protocol error: request larger than {} bytes", kRespFrameBytesMax));
  };
  auto need_more = [&] { return rest.size() > kRespFrameBytesMax ? too_big() : Result::kNeedMore; };
  auto eol = FindCrlf(rest, 0);
  if (eol == std::string_view::npos) {
    if (rest.size() > 32) return Fail("Protocol error: invalid multibulk length");
    return Result::kNeedMore;
  }
  auto count = ParseInt(rest.substr(1, eol - 1));
  if (!count) return Fail("Protocol error: invalid multibulk length");
  if (*count > static_cast<int64_t>(kRespArgsMax)) {
    return Fail(fmt::format("Protocol error: too many arguments (max {})", kRespArgsMax));
  }
  std::size_t pos = eol + 2;
  std::vector<std::string> parsed;
  for (int64_t i = 0; i < *count; ++i) {
    if (pos >= rest.size()) return need_more();
    if (rest[pos] != '$') {
      return Fail(
          fmt::format("Protocol error: expected '$', got '{}'",
                      std::isprint(static_cast<unsigned char>(rest[pos])) ? rest[pos] : '?'));
    }
    auto heol = FindCrlf(rest, pos);
    if (heol == std::string_view::npos) {
      if (rest.size() - pos > 32) return Fail("Protocol error: invalid bulk length");
      return Result::kNeedMore;
    }
    auto len = ParseInt(rest.substr(pos + 1, heol - pos - 1));
    if (!len || *len < 0) return Fail("Protocol error: invalid bulk length");
    if (*len > static_cast<int64_t>(kRespBulkBytesMax)) {
      return Fail(
          fmt::format("Protocol error: bulk argument larger than {} bytes", kRespBulkBytesMax));
    }
    std::size_t body = heol + 2;
    std::size_t n = static_cast<std::size_t>(*len);
    if (body + n + 2 > kRespFrameBytesMax) return too_big();
    if (rest.size() < body + n + 2) return need_more();
    if (rest[body + n] != '\r' || rest[body + n + 1] != '\n') {
      return Fail("Protocol error: bulk argument not terminated by CRLF");
    }
    parsed.emplace_back(rest.substr(body, n));
    pos = body + n + 2;
  }
  offset_ += pos;
  *args = std::move(parsed);  // *0 / *-1 (count <= 0) yields no args: skipped by Next()
  return Result::kCommand;
}

namespace {
std::string Sanitize(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return out;
}
}  // namespace

void AppendSimple(std::string* out, std::string_view s) {
  out->push_back('+');
  out->append(Sanitize(s));
  out->append("\r\n");
}

void AppendError(std::string* out, std::string_view s) {
  out->push_back('-');
  out->append(Sanitize(s));
  out->append("\r\n");
}

void AppendInteger(std::string* out, int64_t v) {
  fmt::format_to(std::back_inserter(*out), ":{}\r\n", v);
}

void AppendBulk(std::string* out, std::string_view s) {
  fmt::format_to(std::back_inserter(*out), "${}\r\n", s.size());
  out->append(s);
  out->append("\r\n");
}

void AppendNil(std::string* out) { out->append("$-1\r\n"); }

void AppendArrayHeader(std::string* out, std::size_t count) {
  fmt::format_to(std::back_inserter(*out), "*{}\r\n", count);
}

std::string EncodeCommand(const std::vector<std::string>& args) {
  std::string out;
  AppendArrayHeader(&out, args.size());
  for (const auto& a : args) AppendBulk(&out, a);
  return out;
}

std::string RespValue::ToString() const {
  switch (kind) {
    case Kind::kSimple:
      return str;
    case Kind::kError:
      return "(error) " + str;
    case Kind::kInteger:
      return fmt::format("(integer) {}", integer);
    case Kind::kBulk:
      return fmt::format("\"{}\"", str);
    case Kind::kNil:
      return "(nil)";
    case Kind::kArray: {
      std::string s = "[";
      for (std::size_t i = 0; i < elements.size(); ++i) {
        if (i) s += ", ";
        s += elements[i].ToString();
      }
      return s + "]";
    }
  }
  return "?";
}

namespace {
constexpr int kReplyDepthMax = 8;

std::optional<std::size_t> Decode(std::string_view b, RespValue* out, int depth) {
  if (b.empty()) return 0;
  if (depth > kReplyDepthMax) return std::nullopt;
  auto eol = FindCrlf(b, 0);
  if (eol == std::string_view::npos) return 0;
  std::string_view line = b.substr(1, eol - 1);
  std::size_t used = eol + 2;
  switch (b[0]) {
    case '+':
      out->kind = RespValue::Kind::kSimple;
      out->str = std::string(line);
      return used;
    case '-':
      out->kind = RespValue::Kind::kError;
      out->str = std::string(line);
      return used;
    case ':': {
      auto v = ParseInt(line);
      if (!v) return std::nullopt;
      out->kind = RespValue::Kind::kInteger;
      out->integer = *v;
      return used;
    }
    case '$': {
      auto len = ParseInt(line);
      if (!len || *len < -1) return std::nullopt;
      if (*len == -1) {
        out->kind = RespValue::Kind::kNil;
        return used;
      }
      std::size_t n = static_cast<std::size_t>(*len);
      if (b.size() < used + n + 2) return 0;
      out->kind = RespValue::Kind::kBulk;
      out->str = std::string(b.substr(used, n));
      return used + n + 2;
    }
    case '*': {
      auto count = ParseInt(line);
      if (!count || *count < -1) return std::nullopt;
      if (*count == -1) {
        out->kind = RespValue::Kind::kNil;
        return used;
      }
      out->kind = RespValue::Kind::kArray;
      out->elements.clear();
      for (int64_t i = 0; i < *count; ++i) {
        RespValue e;
        auto n = Decode(b.substr(used), &e, depth + 1);
        if (!n) return std::nullopt;
        if (*n == 0) return 0;
        used += *n;
        out->elements.push_back(std::move(e));
      }
      return used;
    }
    default:
      return std::nullopt;
  }
}
}  // namespace

std::optional<std::size_t> DecodeReply(std::string_view bytes, RespValue* out) {
  return Decode(bytes, out, 0);
}

}  // namespace zabd
