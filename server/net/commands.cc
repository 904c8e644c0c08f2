#include "server/net/commands.h"

#include <fmt/format.h>

#include <algorithm>

#include "server/kv/op.h"
#include "server/net/config.h"
#include "server/net/resp.h"

namespace zabd {

namespace {

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

std::string Error(std::string_view text) {
  std::string out;
  AppendError(&out, text);
  return out;
}

std::string Simple(std::string_view text) {
  std::string out;
  AppendSimple(&out, text);
  return out;
}

}  // namespace

CommandTable::CommandTable(zab::ReadMode default_read_mode, Hooks hooks,
                           uint64_t request_timeout_ms)
    : default_read_mode_(default_read_mode),
      hooks_(std::move(hooks)),
      request_timeout_ms_(request_timeout_ms) {}

uint64_t CommandTable::Track(const std::shared_ptr<ClientSession>& s, uint64_t seq,
                             Command command) {
  const uint64_t id = ++next_request_id_;
  pending_[id] = Pending{s, seq, command, s->zxids_on, hooks_.now_ms() + request_timeout_ms_};
  return id;
}

void CommandTable::Dispatch(const std::shared_ptr<ClientSession>& s, uint64_t seq,
                            std::vector<std::string> args) {
  const std::string cmd = Upper(args[0]);
  auto arity = [&](std::size_t n) {
    if (args.size() == n) return true;
    s->Complete(seq, Error(fmt::format("ERR wrong number of arguments for '{}' command",
                                       args[0].substr(0, 64))));
    return false;
  };
  auto key_ok = [&](const std::string& key) {
    if (key.size() <= kv::kKeyBytesMax) return true;
    s->Complete(seq, Error(fmt::format("ERR key larger than {} bytes", kv::kKeyBytesMax)));
    return false;
  };
  auto value_ok = [&](const std::string& v) {
    if (v.size() <= kv::kValueBytesMax) return true;
    s->Complete(seq, Error(fmt::format("ERR value larger than {} bytes", kv::kValueBytesMax)));
    return false;
  };
  std::string out;
  if (cmd == "GET") {
    if (!arity(2) || !key_ok(args[1])) return;
    const uint64_t id = Track(s, seq, Command::kGet);
    return hooks_.submit(zab::ClientRead{id, args[1], s->read_mode.value_or(default_read_mode_)});
  }
  if (cmd == "SET") {
    if (!arity(3) || !key_ok(args[1]) || !value_ok(args[2])) return;
    const uint64_t id = Track(s, seq, Command::kSet);
    return hooks_.submit(
        zab::ClientWrite{id, kv::Op{kv::OpType::kSet, std::move(args[1]), std::move(args[2]), ""}});
  }
  if (cmd == "DEL") {
    if (!arity(2) || !key_ok(args[1])) return;
    const uint64_t id = Track(s, seq, Command::kDel);
    return hooks_.submit(
        zab::ClientWrite{id, kv::Op{kv::OpType::kDel, std::move(args[1]), "", ""}});
  }
  if (cmd == "CAS") {  // CAS key expected new
    if (!arity(4) || !key_ok(args[1]) || !value_ok(args[2]) || !value_ok(args[3])) return;
    const uint64_t id = Track(s, seq, Command::kCas);
    return hooks_.submit(zab::ClientWrite{
        id, kv::Op{kv::OpType::kCas, std::move(args[1]), std::move(args[3]), std::move(args[2])}});
  }
  if (cmd == "PING") {
    if (args.size() > 2) return (void)arity(1);
    if (args.size() == 2) {
      AppendBulk(&out, args[1]);
      return s->Complete(seq, std::move(out));
    }
    return s->Complete(seq, Simple("PONG"));
  }
  if (cmd == "QUIT") return s->CompleteAndClose(seq, Simple("OK"));  // as Redis: any arguments
  if (cmd == "ECHO") {  // redis-cli --pipe ends with an ECHO and waits for its reply
    if (!arity(2)) return;
    AppendBulk(&out, args[1]);
    return s->Complete(seq, std::move(out));
  }
  if (cmd == "ZXIDS") {
    if (!arity(2)) return;
    const std::string v = Upper(args[1]);
    if (v != "ON" && v != "OFF") return s->Complete(seq, Error("ERR ZXIDS takes ON or OFF"));
    s->zxids_on = v == "ON";
    return s->Complete(seq, Simple("OK"));
  }
  if (cmd == "READMODE") {
    if (!arity(2)) return;
    auto mode = ParseReadMode(args[1]);
    if (!mode) return s->Complete(seq, Error("ERR READMODE takes linearizable|sync|local"));
    s->read_mode = *mode;
    return s->Complete(seq, Simple("OK"));
  }
  if (cmd == "ROLE") {
    if (!arity(1)) return;
    const zab::Status st = hooks_.status();
    AppendArrayHeader(&out, 6);
    AppendBulk(&out, zab::ToString(st.role));
    AppendInteger(&out, st.current_epoch.value);
    AppendInteger(&out, static_cast<int64_t>(st.last_logged.value));
    AppendInteger(&out, st.leader ? static_cast<int64_t>(st.leader->value) : -1);
    AppendBulk(&out, zab::ToString(st.phase));
    AppendInteger(&out, static_cast<int64_t>(st.last_committed.value));
    return s->Complete(seq, std::move(out));
  }
  if (cmd == "INFO") {  // any section argument gets the whole text, as small servers do
    AppendBulk(&out, hooks_.info());
    return s->Complete(seq, std::move(out));
  }
  s->Complete(seq, Error(fmt::format("ERR unknown command '{}'", args[0].substr(0, 64))));
}

std::string CommandTable::Render(Command command, bool zxids_on, const zab::ClientReply& r) {
  std::string out;
  if (r.status != zab::ReplyStatus::kOk) {
    const char* cls = r.status == zab::ReplyStatus::kNotApplied ? "NOTAPPLIED" : "UNKNOWN";
    std::string text = r.error.empty() ? "no reason given" : r.error;
    // The core may already lead with the class word; never print it twice.
    if (text.rfind(cls, 0) != 0) text = fmt::format("{} {}", cls, text);
    AppendError(&out, text);
    return out;
  }
  if (zxids_on) AppendArrayHeader(&out, 2);
  switch (command) {
    case Command::kGet:
      if (r.value) {
        AppendBulk(&out, *r.value);
      } else {
        AppendNil(&out);
      }
      break;
    case Command::kSet:
      AppendSimple(&out, "OK");
      break;
    case Command::kDel:
    case Command::kCas:
      AppendInteger(&out, r.applied ? 1 : 0);
      break;
  }
  if (zxids_on) AppendInteger(&out, static_cast<int64_t>(r.zxid.value));
  return out;
}

void CommandTable::Deliver(const zab::ClientReply& r) {
  auto it = pending_.find(r.request_id);
  if (it == pending_.end()) return;  // already timed out
  Pending p = std::move(it->second);
  pending_.erase(it);
  auto s = p.session.lock();
  if (!s || s->closed()) return;
  s->Complete(p.seq, Render(p.command, p.zxids_on, r));
}

void CommandTable::Expire(uint64_t now_ms) {
  // Ids grow with time and the timeout is constant, so expired requests form a prefix.
  while (!pending_.empty() && pending_.begin()->second.deadline_ms <= now_ms) {
    Pending p = std::move(pending_.begin()->second);
    pending_.erase(pending_.begin());
    if (auto s = p.session.lock(); s && !s->closed()) {
      s->Complete(p.seq, Error(fmt::format("UNKNOWN server-side timeout after {} ms",
                                           request_timeout_ms_)));
    }
  }
}

}  // namespace zabd
