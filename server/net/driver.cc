#include "server/net/driver.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "server/core/codec.h"
#include "server/core/messages.h"
#include "server/core/peer.h"
#include "server/net/client_server.h"
#include "server/net/limits.h"
#include "server/net/resp.h"
#include "server/net/transport.h"
#include "server/storage/env.h"
#include "server/storage/power_loss_env.h"
#include "server/storage/storage.h"

namespace zabd {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

uint64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

// What a pending client request needs to render its reply.
enum class Command { kGet, kSet, kDel, kCas };

struct PendingRequest {
  std::weak_ptr<ClientSession> session;
  uint64_t seq = 0;
  Command command = Command::kGet;
  bool zxids_on = false;
  uint64_t deadline_ms = 0;
};

class Driver {
 public:
  Driver(const ServerConfig& config, const ClientServerOptions& client_options,
         std::unique_ptr<storage::Storage> storage, std::FILE* events, zab::Recovered recovered,
         uint64_t now_ms)
      : config_(config),
        client_options_(client_options),
        storage_(std::move(storage)),
        events_(events),
        clock_base_ms_(now_ms),
        steady_start_(std::chrono::steady_clock::now()),
        peer_(ToCoreConfig(config), std::move(recovered), now_ms),
        tick_timer_(io_),
        signals_(io_, SIGTERM, SIGINT) {}

  int Run() {
    std::vector<PeerTransport::Peer> peers;
    for (const auto& n : config_.nodes) {
      if (n.id != config_.self_id) peers.push_back({n.id, n.peer});
    }
    PeerTransport::Callbacks callbacks;
    callbacks.on_message = [this](uint64_t from, std::string payload) {
      OnPeerMessage(from, payload);
    };
    callbacks.on_disconnected = [this](uint64_t peer) {
      Step(zab::PeerDisconnected{zab::PeerId{peer}});
    };
    transport_ =
        std::make_unique<PeerTransport>(io_, config_.self_id, config_.self().peer, std::move(peers),
                                        config_.secret, std::move(callbacks));
    clients_ = std::make_unique<ClientServer>(
        io_, config_.self().client,
        [this](const std::shared_ptr<ClientSession>& s, uint64_t seq,
               std::vector<std::string> args) { OnCommand(s, seq, std::move(args)); },
        client_options_);
    if (auto s = transport_->Start(); !s.ok()) {
      fmt::print(stderr, "zabd: {}\n", s.ToString());
      return kExitStartFailure;
    }
    if (auto s = clients_->Start(); !s.ok()) {
      fmt::print(stderr, "zabd: {}\n", s.ToString());
      return kExitStartFailure;
    }
    signals_.async_wait([this](error_code ec, int signo) {
      if (ec) return;
      spdlog::info("signal {}: shutting down", signo);
      Shutdown();
    });
    spdlog::info("node {} serving clients on {}, peers on {}", config_.self_id,
                 config_.self().client.ToString(), config_.self().peer.ToString());
    next_tick_ = std::chrono::steady_clock::now();
    ScheduleTick();
    io_.run();
    return kExitOk;
  }

 private:
  uint64_t NowMs() const {
    return clock_base_ms_ + std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - steady_start_)
                                .count();
  }

  void Shutdown() {
    stopping_ = true;
    transport_->Stop();
    clients_->Stop();
    tick_timer_.cancel();
    io_.stop();
    // A batch not yet flushed is dropped, exactly as a crash before its fsync would drop it:
    // nothing of it was acknowledged.
  }

  void ScheduleTick() {
    next_tick_ += std::chrono::milliseconds(kTickIntervalMs);
    const auto now = std::chrono::steady_clock::now();
    if (next_tick_ < now) next_tick_ = now;  // fell behind (e.g. SIGSTOP): do not burst
    tick_timer_.expires_at(next_tick_);
    tick_timer_.async_wait([this](error_code ec) {
      if (ec || stopping_) return;
      const uint64_t now_ms = NowMs();
      Step(zab::Tick{now_ms});
      ExpireRequests(now_ms);
      ScheduleTick();
    });
  }

  void OnPeerMessage(uint64_t from, const std::string& payload) {
    auto m = zab::DecodeMessage(payload);
    if (!m.ok()) {
      // The frame passed its checksum, so this is a peer speaking another format: drop it.
      spdlog::warn("peer {}: undecodable message: {}", from, m.status().ToString());
      return;
    }
    Step(zab::Receive{zab::PeerId{from}, std::move(*m)});
  }

  // ---- Core and the flush ------------------------------------------------------------------
  void Step(const zab::Input& input) {
    if (stopping_) return;
    zab::Output out = peer_.Step(input);
    if (out.empty()) return;
    auto move_all = [](auto& to, auto& from) {
      to.insert(to.end(), std::make_move_iterator(from.begin()),
                std::make_move_iterator(from.end()));
    };
    move_all(batch_.storage, out.storage);
    move_all(batch_.messages, out.messages);
    move_all(batch_.replies, out.replies);
    move_all(batch_.events, out.events);
    if (!flush_posted_) {
      flush_posted_ = true;
      asio::post(io_, [this] { Flush(); });
    }
  }

  [[noreturn]] void StorageFailed(const faultline::Status& s, const char* what) {
    spdlog::critical("storage failure during {}: {}; exiting (code {})", what, s.ToString(),
                     kExitStorageFailure);
    WriteEvent("storage_error", {{"op", std::string(what)}, {"error", s.ToString()}});
    std::fflush(events_);
    std::fflush(stderr);
    std::_Exit(kExitStorageFailure);
  }

  void Flush() {
    flush_posted_ = false;
    if (stopping_) return;
    zab::Output batch = std::move(batch_);
    batch_ = zab::Output{};
    // 1. Storage, then one fsync covering every append (peer.h CONTRACT, group commit).
    bool appended = false;
    for (const auto& op : batch.storage) {
      std::visit(
          [&](const auto& o) {
            using T = std::decay_t<decltype(o)>;
            faultline::Status s;
            if constexpr (std::is_same_v<T, zab::AppendTxn>) {
              s = storage_->Append(storage::Record{o.txn.zxid.value, zab::EncodeTxn(o.txn)});
              appended = true;
              if (!s.ok()) StorageFailed(s, "append");
            } else if constexpr (std::is_same_v<T, zab::TruncateLog>) {
              // Records appended earlier in this batch must be durable before a truncate
              // reasons about the log.
              if (appended) {
                if (auto ss = storage_->Sync(); !ss.ok()) StorageFailed(ss, "sync");
                appended = false;
              }
              s = storage_->TruncateAfter(o.keep_up_to.value);
              if (!s.ok()) StorageFailed(s, "truncate");
            } else if constexpr (std::is_same_v<T, zab::WriteAcceptedEpoch>) {
              s = storage_->WriteAcceptedEpoch(o.epoch.value);
              if (!s.ok()) StorageFailed(s, "write acceptedEpoch");
            } else if constexpr (std::is_same_v<T, zab::WriteCurrentEpoch>) {
              // zab.md 5.2: the log is fsynced before currentEpoch is persisted.
              if (appended) {
                if (auto ss = storage_->Sync(); !ss.ok()) StorageFailed(ss, "sync");
                appended = false;
              }
              s = storage_->WriteCurrentEpoch(o.epoch.value);
              if (!s.ok()) StorageFailed(s, "write currentEpoch");
            } else if constexpr (std::is_same_v<T, zab::WriteSnapshot>) {
              if (appended) {
                if (auto ss = storage_->Sync(); !ss.ok()) StorageFailed(ss, "sync");
                appended = false;
              }
              s = storage_->WriteSnapshot(o.zxid.value, o.state);
              if (!s.ok()) StorageFailed(s, "write snapshot");
            } else if constexpr (std::is_same_v<T, zab::InstallSnapshot>) {
              s = storage_->InstallSnapshot(o.zxid.value, o.state);
              appended = false;  // the install replaced the log
              if (!s.ok()) StorageFailed(s, "install snapshot");
            }
          },
          op);
    }
    if (appended) {
      if (auto s = storage_->Sync(); !s.ok()) StorageFailed(s, "sync");
    }
    // 2. Messages, only now that what they certify is durable.
    for (const auto& env : batch.messages) {
      if (env.to.value == config_.self_id) {
        spdlog::error("core addressed a message to itself; dropped");
        continue;
      }
      transport_->Send(env.to.value, zab::EncodeMessage(env.message));
    }
    // 3. Client replies, then the event log.
    for (const auto& r : batch.replies) Deliver(r);
    WriteCoreEvents(batch.events);
  }

  // ---- Event log ---------------------------------------------------------------------------
  void WriteEvent(const std::string& type, const nlohmann::json& fields) {
    nlohmann::json j = {{"ts_ms", WallMs()}, {"node", config_.self_id}, {"type", type}};
    for (auto it = fields.begin(); it != fields.end(); ++it) j[it.key()] = it.value();
    std::string line = j.dump();
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), events_);
  }

  // Adjacent `logged` / `committed` range records of one flush are merged into one range
  // (contracts.md 3 defines them as ranges), so a burst costs one line, not one per txn.
  void WriteCoreEvents(std::vector<zab::Event>& events) {
    if (events.empty()) return;
    auto range = [](const zab::Event& e, uint64_t* first, uint64_t* last, uint64_t* count) {
      if (e.type != "logged" && e.type != "committed") return false;
      if (e.fields.size() != 3) return false;
      const uint64_t* v[3] = {};
      const char* names[3] = {"first", "last", "count"};
      for (int i = 0; i < 3; ++i) {
        if (e.fields[i].first != names[i]) return false;
        v[i] = std::get_if<uint64_t>(&e.fields[i].second);
        if (v[i] == nullptr) return false;
      }
      *first = *v[0];
      *last = *v[1];
      *count = *v[2];
      return true;
    };
    std::size_t i = 0;
    while (i < events.size()) {
      uint64_t first, last, count;
      if (!range(events[i], &first, &last, &count)) {
        WriteCoreEvent(events[i++]);
        continue;
      }
      std::size_t j = i + 1;
      uint64_t f2, l2, c2;
      while (j < events.size() && events[j].type == events[i].type &&
             range(events[j], &f2, &l2, &c2) && f2 > last) {
        last = l2;
        count += c2;
        ++j;
      }
      WriteCoreEvent(
          zab::Event{events[i].type, {{"first", first}, {"last", last}, {"count", count}}});
      i = j;
    }
    std::fflush(events_);
  }

  void WriteCoreEvent(const zab::Event& e) {
    nlohmann::json fields = nlohmann::json::object();
    for (const auto& [name, value] : e.fields) {
      std::visit([&](const auto& v) { fields[name] = v; }, value);
    }
    WriteEvent(e.type, fields);
  }

  // ---- Clients -----------------------------------------------------------------------------
  static std::string Error(std::string_view text) {
    std::string out;
    AppendError(&out, text);
    return out;
  }

  void OnCommand(const std::shared_ptr<ClientSession>& s, uint64_t seq,
                 std::vector<std::string> args) {
    const std::string cmd = Upper(args[0]);
    auto arity = [&](std::size_t n) {
      if (args.size() == n) return true;
      s->Complete(seq,
                  Error(fmt::format("ERR wrong number of arguments for '{}' command", args[0])));
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
    if (cmd == "PING") {
      if (args.size() == 2) {
        AppendBulk(&out, args[1]);
      } else if (args.size() == 1) {
        AppendSimple(&out, "PONG");
      } else {
        return (void)arity(1);
      }
      return s->Complete(seq, std::move(out));
    }
    if (cmd == "ECHO") {  // redis-cli --pipe ends with an ECHO and waits for its reply
      if (!arity(2)) return;
      AppendBulk(&out, args[1]);
      return s->Complete(seq, std::move(out));
    }
    if (cmd == "GET") {
      if (!arity(2) || !key_ok(args[1])) return;
      const uint64_t id = Track(s, seq, Command::kGet);
      return Step(zab::ClientRead{id, args[1], s->read_mode.value_or(config_.read_mode)});
    }
    if (cmd == "SET") {
      if (!arity(3) || !key_ok(args[1]) || !value_ok(args[2])) return;
      const uint64_t id = Track(s, seq, Command::kSet);
      return Step(zab::ClientWrite{id, kv::Op{kv::OpType::kSet, args[1], args[2], ""}});
    }
    if (cmd == "DEL") {
      if (!arity(2) || !key_ok(args[1])) return;
      const uint64_t id = Track(s, seq, Command::kDel);
      return Step(zab::ClientWrite{id, kv::Op{kv::OpType::kDel, args[1], "", ""}});
    }
    if (cmd == "CAS") {
      if (!arity(4) || !key_ok(args[1]) || !value_ok(args[2]) || !value_ok(args[3])) return;
      const uint64_t id = Track(s, seq, Command::kCas);
      return Step(zab::ClientWrite{id, kv::Op{kv::OpType::kCas, args[1], args[3], args[2]}});
    }
    if (cmd == "ZXIDS") {
      if (!arity(2)) return;
      const std::string v = Upper(args[1]);
      if (v != "ON" && v != "OFF") return s->Complete(seq, Error("ERR ZXIDS takes ON or OFF"));
      s->zxids_on = v == "ON";
      AppendSimple(&out, "OK");
      return s->Complete(seq, std::move(out));
    }
    if (cmd == "READMODE") {
      if (!arity(2)) return;
      auto mode = ParseReadMode(args[1]);
      if (!mode) return s->Complete(seq, Error("ERR READMODE takes linearizable|sync|local"));
      s->read_mode = *mode;
      AppendSimple(&out, "OK");
      return s->Complete(seq, std::move(out));
    }
    if (cmd == "ROLE") {
      if (!arity(1)) return;
      const zab::Status st = peer_.status();
      AppendArrayHeader(&out, 6);
      AppendBulk(&out, zab::ToString(st.role));
      AppendInteger(&out, st.current_epoch.value);
      AppendInteger(&out, static_cast<int64_t>(st.last_logged.value));
      AppendInteger(&out, st.leader ? static_cast<int64_t>(st.leader->value) : -1);
      AppendBulk(&out, zab::ToString(st.phase));
      AppendInteger(&out, static_cast<int64_t>(st.last_committed.value));
      return s->Complete(seq, std::move(out));
    }
    if (cmd == "INFO") {
      AppendBulk(&out, Info());
      return s->Complete(seq, std::move(out));
    }
    s->Complete(seq, Error(fmt::format("ERR unknown command '{}'", args[0].substr(0, 64))));
  }

  uint64_t Track(const std::shared_ptr<ClientSession>& s, uint64_t seq, Command command) {
    const uint64_t id = ++next_request_id_;
    pending_[id] = PendingRequest{s, seq, command, s->zxids_on, NowMs() + kClientRequestTimeoutMs};
    return id;
  }

  void Deliver(const zab::ClientReply& r) {
    auto it = pending_.find(r.request_id);
    if (it == pending_.end()) return;  // already timed out
    PendingRequest p = it->second;
    pending_.erase(it);
    auto s = p.session.lock();
    if (!s || s->closed()) return;
    std::string out;
    if (r.status != zab::ReplyStatus::kOk) {
      const char* cls = r.status == zab::ReplyStatus::kNotApplied ? "NOTAPPLIED" : "UNKNOWN";
      std::string text = r.error.empty() ? "no reason given" : r.error;
      // The core may already lead with the class word; never print it twice.
      if (text.rfind(cls, 0) != 0) text = fmt::format("{} {}", cls, text);
      AppendError(&out, text);
      return s->Complete(p.seq, std::move(out));
    }
    if (p.zxids_on) AppendArrayHeader(&out, 2);
    switch (p.command) {
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
    if (p.zxids_on) AppendInteger(&out, static_cast<int64_t>(r.zxid.value));
    s->Complete(p.seq, std::move(out));
  }

  // A request the core has not answered in time: its outcome is unknown to the client.
  void ExpireRequests(uint64_t now_ms) {
    // Ids grow with time and the timeout is constant, so expired requests form a prefix.
    while (!pending_.empty() && pending_.begin()->second.deadline_ms <= now_ms) {
      PendingRequest p = pending_.begin()->second;
      pending_.erase(pending_.begin());
      if (auto s = p.session.lock(); s && !s->closed()) {
        s->Complete(p.seq, Error(fmt::format("UNKNOWN server-side timeout after {} ms",
                                             kClientRequestTimeoutMs)));
      }
    }
  }

  std::string Info() const {
    const zab::Status st = peer_.status();
    const zab::Counters& c = peer_.counters();
    const PeerTransportStats& t = transport_->stats();
    std::string out;
    auto line = [&](std::string_view name, auto value) {
      fmt::format_to(std::back_inserter(out), "{}:{}\r\n", name, value);
    };
    out += "# zabd\r\n";
    line("node_id", config_.self_id);
    line("pid", ::getpid());
    line("role", zab::ToString(st.role));
    line("phase", zab::ToString(st.phase));
    line("epoch", st.current_epoch.value);
    line("accepted_epoch", st.accepted_epoch.value);
    line("current_epoch", st.current_epoch.value);
    line("last_zxid", st.last_logged.value);
    line("last_committed", st.last_committed.value);
    line("last_applied", st.last_applied.value);
    line("leader_id", st.leader ? static_cast<int64_t>(st.leader->value) : -1);
    line("read_mode", ReadModeName(config_.read_mode));
    line("faults", zab::JoinFaults(config_.faults));  // TEST ONLY fault points; empty = none
    line("power_loss_sim", config_.power_loss_sim ? 1 : 0);
    line("state_digest", peer_.StateDigest());
    out += "# counters\r\n";
    line("proposals", c.proposals);
    line("commits", c.commits);
    line("fsyncs", storage_->fsync_count());
    line("elections", c.elections);
    line("sync_diff", c.sync_diff);
    line("sync_trunc", c.sync_trunc);
    line("sync_snap", c.sync_snap);
    line("reads", c.reads);
    line("writes", c.writes);
    line("fenced", c.fenced);
    out += "# network\r\n";
    const ClientServerStats& cs = clients_->stats();
    line("client_connections", clients_->connections());
    line("client_buffered_bytes", clients_->buffered_bytes());
    line("clients_accepted", cs.accepted);
    line("clients_refused_max", cs.refused_max_clients);
    line("clients_closed_idle", cs.closed_idle);
    line("clients_closed_slow_request", cs.closed_slow_request);
    line("clients_closed_output_bound", cs.closed_output_bound);
    line("clients_closed_total_bound", cs.closed_total_bound);
    line("client_protocol_errors", cs.protocol_errors);
    line("client_read_pauses", cs.pauses);
    line("pending_requests", pending_.size());
    line("peer_frames_sent", t.frames_sent);
    line("peer_frames_received", t.frames_received);
    line("peer_frames_dropped", t.frames_dropped);
    line("peer_links_established", t.links_established);
    line("peer_handshakes_refused", t.handshakes_refused);
    line("peer_inbound_handshaking", t.inbound_unauthenticated);
    line("peer_inbound_evicted", t.inbound_evicted);
    return out;
  }

  const ServerConfig& config_;
  const ClientServerOptions client_options_;
  std::unique_ptr<storage::Storage> storage_;
  std::FILE* events_;
  const uint64_t clock_base_ms_;
  const std::chrono::steady_clock::time_point steady_start_;
  zab::Peer peer_;
  asio::io_context io_;
  asio::steady_timer tick_timer_;
  asio::signal_set signals_;
  std::chrono::steady_clock::time_point next_tick_;
  std::unique_ptr<PeerTransport> transport_;
  std::unique_ptr<ClientServer> clients_;
  zab::Output batch_;
  bool flush_posted_ = false;
  bool stopping_ = false;
  uint64_t next_request_id_ = 0;
  std::map<uint64_t, PendingRequest> pending_;  // by request id
};

}  // namespace

int RunNode(const ServerConfig& config, const ClientServerOptions& client_options) {
  std::error_code ec;
  std::filesystem::create_directories(config.node_dir, ec);
  if (ec) {
    fmt::print(stderr, "zabd: data dir {}: {}\n", config.node_dir, ec.message());
    return kExitStartFailure;
  }
  const auto event_dir = std::filesystem::path(config.event_log).parent_path();
  if (!event_dir.empty()) std::filesystem::create_directories(event_dir, ec);
  std::FILE* events = std::fopen(config.event_log.c_str(), "a");
  if (events == nullptr) {
    fmt::print(stderr, "zabd: event log {}: {}\n", config.event_log, std::strerror(errno));
    return kExitStartFailure;
  }

  // --power-loss-sim: what is not yet fsynced lives in this process (it dies with a SIGKILL).
  storage::Env* env = storage::PosixEnv();
  std::unique_ptr<storage::PowerLossEnv> power_loss;
  if (config.power_loss_sim) {
    power_loss = std::make_unique<storage::PowerLossEnv>(env);
    env = power_loss.get();
  }
  storage::Recovered rec;
  storage::Options storage_options;
  storage_options.repair_missing_epoch_files = config.repair;
  auto opened = storage::Storage::Open(env, config.node_dir, storage_options, &rec);
  if (!opened.ok()) {
    fmt::print(stderr, "zabd: cannot recover {}: {}\n", config.node_dir,
               opened.status().ToString());
    return kExitBadConfigOrData;
  }
  zab::Recovered recovered;
  recovered.accepted_epoch = zab::Epoch{rec.accepted_epoch};
  recovered.current_epoch = zab::Epoch{rec.current_epoch};
  recovered.snapshot_zxid = zab::Zxid{rec.snapshot.zxid};
  recovered.snapshot_state = std::move(rec.snapshot.state);
  recovered.log.reserve(rec.log.size());
  for (const auto& record : rec.log) {
    auto txn = zab::DecodeTxn(record.payload);
    if (!txn.ok() || txn->zxid.value != record.zxid) {
      fmt::print(stderr, "zabd: cannot recover {}: log record zxid {}: {}\n", config.node_dir,
                 zab::ToHex(zab::Zxid{record.zxid}),
                 txn.ok() ? "payload names another zxid" : txn.status().ToString());
      return kExitBadConfigOrData;
    }
    recovered.log.push_back(std::move(*txn));
  }

  nlohmann::json start = {{"ts_ms", WallMs()},
                          {"node", config.self_id},
                          {"type", "start"},
                          {"pid", ::getpid()},
                          {"last_zxid", rec.report.last_zxid},
                          {"accepted_epoch", rec.accepted_epoch},
                          {"current_epoch", rec.current_epoch},
                          {"snapshot_zxid", rec.snapshot.zxid},
                          {"records_loaded", rec.report.records_loaded},
                          {"torn_tail_truncated", rec.report.torn_tail_truncated}};
  if (rec.report.torn_tail_truncated) {
    spdlog::warn("recovery cut a torn record off {} at offset {}", rec.report.torn_tail_file,
                 rec.report.torn_tail_offset);
    start["torn_tail_file"] = rec.report.torn_tail_file;
    start["torn_tail_offset"] = rec.report.torn_tail_offset;
  }
  if (!rec.report.repaired_files.empty()) {
    // --repair recreated a missing epoch file: an operator's decision, kept on the record.
    std::string files;
    for (const auto& f : rec.report.repaired_files) files += (files.empty() ? "" : ",") + f;
    spdlog::warn("--repair recreated missing epoch files: {}", files);
    start["repaired_epoch_files"] = files;
  }
  if (!config.faults.empty()) {
    // TEST ONLY fault points (fault_points.h): absent from the record when none is enabled.
    start["faults"] = zab::JoinFaults(config.faults);
    spdlog::warn("FAULTS ENABLED (re-created ZAB bugs, may lose committed data): {}",
                 zab::JoinFaults(config.faults));
  }
  if (config.power_loss_sim) {
    start["power_loss_sim"] = true;
    spdlog::warn("POWER-LOSS SIMULATION: writes not yet fsynced are held in memory");
  }
  std::string line = start.dump() + "\n";
  std::fwrite(line.data(), 1, line.size(), events);
  std::fflush(events);
  spdlog::info("recovered {}: {} records, last zxid {}, acceptedEpoch {}, currentEpoch {}",
               config.node_dir, rec.report.records_loaded,
               zab::ToHex(zab::Zxid{rec.report.last_zxid}), rec.accepted_epoch, rec.current_epoch);

  int code;
  {
    Driver driver(config, client_options, std::move(*opened), events, std::move(recovered),
                  WallMs());
    code = driver.Run();
  }
  std::fclose(events);
  return code;
}

}  // namespace zabd
