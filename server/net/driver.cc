// zabd's event loop: wires the peer transport, the client port and its command table, the tick
// and the signals to one runtime::NodeRuntime (which executes the core's outputs over storage).
#include "server/net/driver.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "server/core/codec.h"
#include "server/core/messages.h"
#include "server/core/peer.h"
#include "server/net/client_server.h"
#include "server/net/commands.h"
#include "server/net/limits.h"
#include "server/net/transport.h"
#include "server/runtime/event_log.h"
#include "server/runtime/node_runtime.h"
#include "server/runtime/sync_worker.h"
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

class Driver final : public runtime::Transport {
 public:
  Driver(const ServerConfig& config, const ClientServerOptions& client_options,
         std::unique_ptr<storage::Storage> storage, runtime::JsonEventLog* events,
         zab::Recovered recovered, uint64_t now_ms)
      : config_(config),
        client_options_(client_options),
        storage_(std::move(storage)),
        events_(events),
        clock_base_ms_(now_ms),
        steady_start_(std::chrono::steady_clock::now()),
        runtime_(ToCoreConfig(config), std::move(recovered), now_ms, storage_.get(), this, events,
                 [this](const zab::ClientReply& r) { commands_.Deliver(r); }),
        commands_(config.read_mode,
                  CommandTable::Hooks{[this](const zab::Input& in) { Step(in); },
                                      [this] { return runtime_.peer().status(); },
                                      [this] { return Info(); }, [this] { return NowMs(); }},
                  kClientRequestTimeoutMs),
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
    callbacks.on_connected = [this](uint64_t peer) { Step(zab::PeerConnected{zab::PeerId{peer}}); };
    transport_ =
        std::make_unique<PeerTransport>(io_, config_.self_id, config_.self().peer, std::move(peers),
                                        config_.secret, std::move(callbacks));
    clients_ = std::make_unique<ClientServer>(
        io_, config_.self().client,
        [this](const std::shared_ptr<ClientSession>& s, uint64_t seq,
               std::vector<std::string> args) { commands_.Dispatch(s, seq, std::move(args)); },
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

  // runtime::Transport: the early messages leave before the runtime's disk write blocks us.
  void Push() override { transport_->PushWrites(); }

  // runtime::Transport: the runtime hands over messages only once what they certify is durable.
  void Send(const zab::Envelope& env) override {
    if (env.to.value == config_.self_id) {
      spdlog::error("core addressed a message to itself; dropped");
      return;
    }
    transport_->Send(env.to.value, zab::EncodeMessage(env.message));
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
      commands_.Expire(now_ms);
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
    Step(zab::Receive{zab::PeerId{from}, std::move(*m), NowMs()});
  }

  // Every input goes to the runtime; one flush is posted per burst of inputs (group commit).
  void Step(const zab::Input& input) {
    if (stopping_) return;
    runtime_.Step(input);
    if (!flush_posted_ && runtime_.has_queued()) {
      flush_posted_ = true;
      asio::post(io_, [this] { Flush(); });
    }
  }

  // Begins the queued batch (its early messages, its storage writes) and starts the fsync that
  // covers it unless one is running: then the next one starts when that one completes, covering
  // every batch begun meanwhile (pipelined group commit; node_runtime.h CONTRACT). The fsync
  // runs on sync_worker_'s thread, so this loop keeps taking requests and pinging meanwhile.
  void Flush() {
    flush_posted_ = false;
    if (stopping_) return;
    if (runtime_.must_finish_sync_first()) CollectSync();  // an epoch write, a truncation, ...
    if (auto s = runtime_.Begin(); !s.ok()) StorageFailed(*runtime_.failure());
    StartSync();
  }

  void StartSync() {
    if (sync_worker_.busy()) return;
    // A lone append (one write, nothing else arrived while the last fsync ran): the fsync runs
    // here. Handing it to the fsync thread and back costs two wake-ups and a few syscalls, more
    // than the overlap buys when nothing else is waiting (issue 8: CPU per write at 1 client);
    // whatever arrives meanwhile waits in its socket and joins the next batch, whose fsync goes
    // to the thread again.
    const bool lone = runtime_.unsynced_appends() <= 1;
    auto job = runtime_.StartSync();
    if (!job) {
      if (runtime_.failure()) StorageFailed(*runtime_.failure());
      return;
    }
    if (!config_.power_loss_sim && !lone) {
      return sync_worker_.Submit(std::move(job));
    }
    // PowerLossEnv keeps unsynced bytes in this process and is not thread-safe: sync inline.
    if (auto s = runtime_.FinishSync(job()); !s.ok()) StorageFailed(*runtime_.failure());
  }

  // The fsync in flight finished (or must: a batch needs durable order): release what it covered.
  void CollectSync() {
    if (!sync_worker_.busy()) return;  // already collected
    if (auto s = runtime_.FinishSync(sync_worker_.Wait()); !s.ok()) {
      StorageFailed(*runtime_.failure());
    }
  }

  void OnSyncDone() {
    if (stopping_) return;
    CollectSync();
    StartSync();  // for the batches begun while it ran
  }

  // Nothing of the failed batch left the process; stop before anything else can.
  [[noreturn]] void StorageFailed(const runtime::StorageFailure& f) {
    spdlog::critical("storage failure during {}: {}; exiting (code {})", f.op, f.status.ToString(),
                     kExitStorageFailure);
    events_->WriteStorageError(f.op, f.status.ToString());
    std::fflush(stderr);
    std::_Exit(kExitStorageFailure);
  }

  std::string Info() const {
    const zab::Peer& peer = runtime_.peer();
    const zab::Status st = peer.status();
    const zab::Counters& c = peer.counters();
    const PeerTransportStats& t = transport_->stats();
    const ClientServerStats& cs = clients_->stats();
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
    line("state_digest", peer.StateDigest());
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
    line("pending_requests", commands_.pending());
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
  runtime::JsonEventLog* events_;
  const uint64_t clock_base_ms_;
  const std::chrono::steady_clock::time_point steady_start_;
  runtime::NodeRuntime runtime_;
  CommandTable commands_;
  asio::io_context io_;
  asio::steady_timer tick_timer_;
  asio::signal_set signals_;
  std::chrono::steady_clock::time_point next_tick_;
  std::unique_ptr<PeerTransport> transport_;
  std::unique_ptr<ClientServer> clients_;
  // After io_: destroyed (joined) first, so its last on_done never posts to a dead io_context.
  runtime::SyncWorker sync_worker_{[this] { asio::post(io_, [this] { OnSyncDone(); }); }};
  bool flush_posted_ = false;
  bool stopping_ = false;
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
  std::FILE* file = std::fopen(config.event_log.c_str(), "a");
  if (file == nullptr) {
    fmt::print(stderr, "zabd: event log {}: {}\n", config.event_log, std::strerror(errno));
    return kExitStartFailure;
  }
  runtime::JsonEventLog events(file, config.self_id, WallMs);

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
    std::fclose(file);
    return kExitBadConfigOrData;
  }
  runtime::StartRecord start;
  start.pid = ::getpid();
  start.last_zxid = rec.report.last_zxid;
  start.accepted_epoch = rec.accepted_epoch;
  start.current_epoch = rec.current_epoch;
  start.snapshot_zxid = rec.snapshot.zxid;
  start.records_loaded = rec.report.records_loaded;
  start.torn_tail_truncated = rec.report.torn_tail_truncated;
  start.torn_tail_file = rec.report.torn_tail_file;
  start.torn_tail_offset = rec.report.torn_tail_offset;
  start.zero_tail_bytes = rec.report.zero_tail_bytes;
  for (const auto& f : rec.report.removed_files) {
    start.removed_files += (start.removed_files.empty() ? "" : ",") + f;
  }
  start.faults = zab::JoinFaults(config.faults);
  if (rec.report.torn_tail_truncated) {
    spdlog::warn("recovery cut a torn record off {} at offset {}", rec.report.torn_tail_file,
                 rec.report.torn_tail_offset);
  }
  if (!rec.report.repaired_files.empty()) {
    // --repair recreated a missing epoch file: an operator's decision, kept on the record.
    std::string files;
    for (const auto& f : rec.report.repaired_files) files += (files.empty() ? "" : ",") + f;
    spdlog::warn("--repair recreated missing epoch files: {}", files);
    start.repaired_epoch_files = files;
  }
  if (!config.faults.empty()) {
    spdlog::warn("FAULTS ENABLED (re-created ZAB bugs, may lose committed data): {}", start.faults);
  }
  start.power_loss_sim = config.power_loss_sim;
  if (config.power_loss_sim) {
    spdlog::warn("POWER-LOSS SIMULATION: writes not yet fsynced are held in memory");
  }
  const uint64_t records_loaded = rec.report.records_loaded;
  auto recovered = runtime::ToCoreRecovered(std::move(rec));
  if (!recovered.ok()) {
    fmt::print(stderr, "zabd: cannot recover {}: {}\n", config.node_dir,
               recovered.status().ToString());
    std::fclose(file);
    return kExitBadConfigOrData;
  }
  events.WriteStart(start);
  spdlog::info("recovered {}: {} records, last zxid {}, acceptedEpoch {}, currentEpoch {}",
               config.node_dir, records_loaded, zab::ToHex(zab::Zxid{start.last_zxid}),
               start.accepted_epoch, start.current_epoch);

  int code;
  {
    Driver driver(config, client_options, std::move(*opened), &events, std::move(*recovered),
                  WallMs());
    code = driver.Run();
  }
  std::fclose(file);
  return code;
}

}  // namespace zabd
