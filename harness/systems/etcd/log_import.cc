#include "harness/systems/etcd/log_import.h"

#include <charconv>
#include <ctime>
#include <regex>

namespace faultline::harness::etcd {
namespace {

using nlohmann::json;

// Fixed-width decimal field of a timestamp; -1 when not all digits.
int Digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

std::string StringField(const json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Raft's own messages (raft/raft.go, raft/node.go in etcd 3.4), matched whole.
const std::regex& BecameRe() {
  static const std::regex re(
      R"(^([0-9a-f]+) became (follower|candidate|pre-candidate|leader) at term ([0-9]+)$)");
  return re;
}
const std::regex& ElectedRe() {
  static const std::regex re(
      R"(^raft\.node: ([0-9a-f]+) elected leader ([0-9a-f]+) at term ([0-9]+)$)");
  return re;
}
const std::regex& ChangedRe() {
  static const std::regex re(
      R"(^raft\.node: ([0-9a-f]+) changed leader from ([0-9a-f]+) to ([0-9a-f]+) at term ([0-9]+)$)");
  return re;
}
const std::regex& LostRe() {
  static const std::regex re(
      R"(^raft\.node: ([0-9a-f]+) lost leader ([0-9a-f]+) at term ([0-9]+)$)");
  return re;
}

int64_t ToInt(const std::string& s) {
  int64_t v = -1;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

}  // namespace

int64_t ParseLogTimestampMs(std::string_view ts) {
  // YYYY-MM-DDTHH:MM:SS[.fff...](Z|+hh:mm|-hh:mm)
  int year = Digits(ts, 0, 4), month = Digits(ts, 5, 2), day = Digits(ts, 8, 2);
  int hour = Digits(ts, 11, 2), minute = Digits(ts, 14, 2), second = Digits(ts, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 ||
      minute < 0 || minute > 59 || second < 0 || second > 60 || ts.size() < 20 || ts[4] != '-' ||
      ts[7] != '-' || ts[10] != 'T' || ts[13] != ':' || ts[16] != ':') {
    return -1;
  }
  size_t pos = 19;
  int64_t millis = 0;
  if (ts[pos] == '.') {
    ++pos;
    int scale = 100;
    size_t digits = 0;
    while (pos < ts.size() && ts[pos] >= '0' && ts[pos] <= '9') {
      if (scale > 0) millis += (ts[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      ++digits;
    }
    if (digits == 0) return -1;
  }
  int64_t offset_s = 0;
  if (pos < ts.size() && ts[pos] == 'Z' && pos + 1 == ts.size()) {
    offset_s = 0;
  } else if (pos + 6 == ts.size() && (ts[pos] == '+' || ts[pos] == '-') && ts[pos + 3] == ':') {
    int oh = Digits(ts, pos + 1, 2), om = Digits(ts, pos + 4, 2);
    if (oh < 0 || om < 0) return -1;
    offset_s = (oh * 3600 + om * 60) * (ts[pos] == '+' ? 1 : -1);
  } else {
    return -1;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  int64_t seconds = static_cast<int64_t>(timegm(&tm)) - offset_s;
  return seconds * 1000 + millis;
}

EtcdLogImporter::EtcdLogImporter(NodeId node, std::map<std::string, NodeId> peer_urls)
    : node_(node), peer_urls_(std::move(peer_urls)) {}

void EtcdLogImporter::Learn(const std::string& member_hex, const json& urls) {
  if (member_hex.empty() || !urls.is_array()) return;
  for (const json& u : urls) {
    if (!u.is_string()) continue;
    auto it = peer_urls_.find(u.get<std::string>());
    if (it != peer_urls_.end()) members_[member_hex] = it->second;
  }
}

NodeId EtcdLogImporter::NodeOf(const std::string& member_hex) const {
  auto it = members_.find(member_hex);
  return it == members_.end() ? -1 : it->second;
}

checkers::NodeEvent EtcdLogImporter::Event(int64_t ts_ms, std::string type, json fields) const {
  checkers::NodeEvent ev;
  ev.node = node_;
  ev.ts_ms = ts_ms;
  ev.type = type;
  fields["ts_ms"] = ts_ms;
  fields["node"] = node_;
  fields["type"] = std::move(type);
  ev.fields = checkers::FieldList::FromJson(fields);
  return ev;
}

void EtcdLogImporter::Feed(std::string_view line, std::vector<checkers::NodeEvent>* out) {
  ++stats_.lines;
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return;
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    ++stats_.not_json;
    return;
  }
  const size_t before = out->size();
  const std::string msg = StringField(j, "msg");
  const int64_t ts_ms = ParseLogTimestampMs(StringField(j, "ts"));
  if (msg == "starting local member" || msg == "restarting local member") {
    self_hex_ = StringField(j, "local-member-id");
    if (!self_hex_.empty()) members_[self_hex_] = node_;
    leading_ = false;
    out->push_back(Event(ts_ms, "start", {{"member_id", self_hex_}, {"restarted", msg[0] == 'r'}}));
  } else if (msg == "added remote peer") {
    Learn(StringField(j, "remote-peer-id"), j.value("remote-peer-urls", json()));
  } else if (msg == "added member") {
    Learn(StringField(j, "added-peer-id"), j.value("added-peer-peer-urls", json()));
  } else if (msg.find(" at term ") != std::string::npos) {
    std::smatch m;
    if (std::regex_match(msg, m, BecameRe())) {
      const std::string state = m[2];
      const int64_t term = ToInt(m[3]);
      const char* role = state == "leader"     ? "leading"
                         : state == "follower" ? "following"
                                               : "looking";
      if (leading_ && state != "leader") {
        out->push_back(Event(
            ts_ms, "step_down",
            {{"epoch", term}, {"reason", "became " + state + " at term " + std::to_string(term)}}));
      }
      leading_ = state == "leader";
      out->push_back(Event(ts_ms, "role", {{"role", role}, {"epoch", term}}));
      if (leading_) {
        out->push_back(Event(ts_ms, "established", {{"epoch", term}, {"leader", node_}}));
      }
    } else if (std::regex_match(msg, m, ElectedRe())) {
      out->push_back(
          Event(ts_ms, "elected",
                {{"leader", NodeOf(m[2])}, {"leader_member", m[2]}, {"epoch", ToInt(m[3])}}));
    } else if (std::regex_match(msg, m, ChangedRe())) {
      out->push_back(Event(ts_ms, "elected",
                           {{"leader", NodeOf(m[3])},
                            {"leader_member", m[3]},
                            {"previous_leader", NodeOf(m[2])},
                            {"epoch", ToInt(m[4])}}));
    } else if (std::regex_match(msg, m, LostRe())) {
      out->push_back(
          Event(ts_ms, "leader_lost",
                {{"leader", NodeOf(m[2])}, {"leader_member", m[2]}, {"epoch", ToInt(m[3])}}));
    }
  }
  stats_.events += static_cast<int64_t>(out->size() - before);
}

std::vector<checkers::NodeEvent> ImportEtcdLog(std::string_view text, NodeId node,
                                               std::map<std::string, NodeId> peer_urls,
                                               EtcdLogStats* stats) {
  EtcdLogImporter importer(node, std::move(peer_urls));
  std::vector<checkers::NodeEvent> events;
  size_t pos = 0;
  for (;;) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) break;  // no newline yet: etcd may still be writing it
    importer.Feed(text.substr(pos, nl - pos), &events);
    pos = nl + 1;
  }
  if (stats) *stats = importer.stats();
  return events;
}

}  // namespace faultline::harness::etcd
