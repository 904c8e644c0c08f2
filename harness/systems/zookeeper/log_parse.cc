// One line of a ZooKeeper server log -> LogRecord (log_import.h), and the small text helpers the
// importer matches messages with.
#include <ctime>

#include "harness/systems/zookeeper/log_import.h"
#include "harness/systems/zookeeper/log_text.h"

namespace faultline::harness::zookeeper {
namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// "2026-12-01T21:15:39.692+0000" (28 characters) -> Unix ms.
std::optional<int64_t> ParseTimestamp(std::string_view s) {
  int year, mon, day, hour, min, sec, ms, off_h, off_m;
  if (s.size() < 28 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
      s[19] != '.' || (s[23] != '+' && s[23] != '-')) {
    return std::nullopt;
  }
  if (!Digits(s, 0, 4, &year) || !Digits(s, 5, 2, &mon) || !Digits(s, 8, 2, &day) ||
      !Digits(s, 11, 2, &hour) || !Digits(s, 14, 2, &min) || !Digits(s, 17, 2, &sec) ||
      !Digits(s, 20, 3, &ms) || !Digits(s, 24, 2, &off_h) || !Digits(s, 26, 2, &off_m)) {
    return std::nullopt;
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  const int64_t offset_s = (s[23] == '+' ? 1 : -1) * (off_h * 3600 + off_m * 60);
  return (static_cast<int64_t>(timegm(&tm)) - offset_s) * 1000 + ms;
}

}  // namespace

bool StartsWithTimestamp(std::string_view line) {
  int year;
  return line.size() >= 10 && Digits(line, 0, 4, &year) && line[4] == '-';
}

std::optional<LogRecord> ParseLogLine(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  auto ts = ParseTimestamp(line);
  if (!ts) return std::nullopt;
  LogRecord r;
  r.ts_ms = *ts;
  size_t pos = line.find_first_not_of(' ', 28);
  if (pos == std::string_view::npos) return std::nullopt;
  size_t level_end = line.find(' ', pos);
  if (level_end == std::string_view::npos) return std::nullopt;
  r.level = std::string(line.substr(pos, level_end - pos));
  size_t open = line.find('[', level_end);
  // The thread name may itself hold brackets and colons ("QuorumPeer[myid=2](plain=...:2181)"),
  // so the bracket ends at the first "] - " (no thread name holds one) and the source is what
  // follows its last ':'.
  size_t close = line.find("] - ", open == std::string_view::npos ? 0 : open);
  if (open == std::string_view::npos || close == std::string_view::npos) return std::nullopt;
  std::string_view inside = line.substr(open + 1, close - open - 1);
  size_t colon = inside.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  r.thread = std::string(inside.substr(0, colon));
  r.source = std::string(inside.substr(colon + 1));
  r.message = std::string(line.substr(close + 4));
  return r;
}

std::optional<int64_t> HexAfter(std::string_view text, std::string_view key) {
  size_t pos = text.find(key);
  if (pos == std::string_view::npos) return std::nullopt;
  pos += key.size();
  if (text.substr(pos, 2) == "0x") pos += 2;
  uint64_t v = 0;
  size_t digits = 0;
  for (; pos < text.size() && digits < 16; ++pos, ++digits) {
    char c = text[pos];
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0) break;
    v = v * 16 + static_cast<uint64_t>(d);
  }
  if (digits == 0) return std::nullopt;
  return static_cast<int64_t>(v);
}

std::optional<int64_t> IntAfter(std::string_view text, std::string_view key) {
  size_t pos = text.find(key);
  if (pos == std::string_view::npos) return std::nullopt;
  pos += key.size();
  bool negative = pos < text.size() && text[pos] == '-';
  if (negative) ++pos;
  int64_t v = 0;
  size_t digits = 0;
  for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && digits < 18;
       ++pos, ++digits) {
    v = v * 10 + (text[pos] - '0');
  }
  if (digits == 0) return std::nullopt;
  return negative ? -v : v;
}

}  // namespace faultline::harness::zookeeper
