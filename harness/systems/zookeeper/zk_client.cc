#include "harness/systems/zookeeper/zk_client.h"

#include <fmt/format.h>
#include <zookeeper/zookeeper.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

namespace faultline::harness::zookeeper {
namespace {

using Clock = std::chrono::steady_clock;
using checkers::Fn;
using checkers::Outcome;

// Bounds of one operation's retries inside the op timeout (create races, missing parents).
constexpr int kWriteAttemptsMax = 4;

// ---------------------------------------------------------------- one request

// What a completion delivers. Shared by the waiting worker and the C client's completion thread:
// a completion may arrive after the worker gave up waiting, so it owns one reference.
struct Call {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  int rc = ZOK;
  std::optional<std::string> value;
  Stat stat{};
  std::vector<std::string> children;
};
using CallPtr = std::shared_ptr<Call>;

const void* Hold(const CallPtr& call) { return new CallPtr(call); }
CallPtr Take(const void* data) {
  auto* held = static_cast<CallPtr*>(const_cast<void*>(data));
  CallPtr call = std::move(*held);
  delete held;
  return call;
}
template <typename Fill>
void Complete(const void* data, int rc, Fill fill) {
  CallPtr call = Take(data);
  std::lock_guard<std::mutex> lock(call->mu);
  call->rc = rc;
  if (rc == ZOK) fill(*call);
  call->done = true;
  call->cv.notify_all();
}

void DataDone(int rc, const char* value, int len, const Stat* stat, const void* data) {
  Complete(data, rc, [&](Call& c) {
    if (value != nullptr && len >= 0) c.value = std::string(value, static_cast<size_t>(len));
    if (stat != nullptr) c.stat = *stat;
  });
}
void StatDone(int rc, const Stat* stat, const void* data) {
  Complete(data, rc, [&](Call& c) {
    if (stat != nullptr) c.stat = *stat;
  });
}
void StringStatDone(int rc, const char*, const Stat* stat, const void* data) {
  StatDone(rc, stat, data);
}
void StringDone(int rc, const char*, const void* data) {
  Complete(data, rc, [](Call&) {});
}
void VoidDone(int rc, const void* data) {
  Complete(data, rc, [](Call&) {});
}
void StringsDone(int rc, const String_vector* strings, const void* data) {
  Complete(data, rc, [&](Call& c) {
    for (int i = 0; strings != nullptr && i < strings->count; ++i)
      c.children.push_back(strings->data[i]);
  });
}

void DropLog(const char*) {}  // the C client's chatter would flood the controller's console

// ---------------------------------------------------------------- one session

struct Session {
  zhandle_t* zh = nullptr;
  std::mutex mu;
  std::condition_variable cv;
  int state = 0;
  bool ever_connected = false;
  bool expired = false;
};

void Watcher(zhandle_t*, int type, int state, const char*, void* context) {
  if (type != ZOO_SESSION_EVENT || context == nullptr) return;
  auto* s = static_cast<Session*>(context);
  std::lock_guard<std::mutex> lock(s->mu);
  s->state = state;
  if (state == ZOO_CONNECTED_STATE) s->ever_connected = true;
  if (state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE) s->expired = true;
  s->cv.notify_all();
}

std::unique_ptr<Session> OpenSession(const std::string& connect,
                                     std::chrono::milliseconds session_timeout,
                                     std::string* error) {
  static std::once_flag quiet;
  std::call_once(quiet, [] { zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR); });
  auto s = std::make_unique<Session>();
  s->zh = zookeeper_init2(connect.c_str(), Watcher, static_cast<int>(session_timeout.count()),
                          nullptr, s.get(), 0, DropLog);
  if (s->zh == nullptr) {
    *error = fmt::format("zookeeper_init({}) failed: {}", connect, std::strerror(errno));
    return nullptr;
  }
  return s;
}

// True once the session is connected; false at the deadline or when it expired.
bool WaitConnected(Session& s, Clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(s.mu);
  s.cv.wait_until(lock, deadline, [&] { return s.state == ZOO_CONNECTED_STATE || s.expired; });
  return s.state == ZOO_CONNECTED_STATE;
}

void CloseSession(std::unique_ptr<Session> s) {
  // Pending completions run with ZCLOSING inside zookeeper_close; the watcher context (s) stays
  // valid until it returns.
  if (s && s->zh != nullptr) zookeeper_close(s->zh);
}

// The result of handing one request to the C client and waiting for its completion.
struct Wait {
  bool sent = false;       // the C client accepted (queued) the request
  bool completed = false;  // its completion ran before the deadline
  int rc = ZOK;            // the completion's code, or the submit's when !sent
  CallPtr call;
};

template <typename Submit>
Wait Run(Submit submit, Clock::time_point deadline) {
  Wait w;
  w.call = std::make_shared<Call>();
  const void* data = Hold(w.call);
  int rc = submit(data);
  if (rc != ZOK) {
    Take(data);  // not queued: no completion will run
    w.rc = rc;
    return w;
  }
  w.sent = true;
  std::unique_lock<std::mutex> lock(w.call->mu);
  w.completed = w.call->cv.wait_until(lock, deadline, [&] { return w.call->done; });
  w.rc = w.call->rc;
  return w;
}

OpResult Ok() {
  OpResult r;
  r.outcome = Outcome::kOk;
  return r;
}
// An acknowledged write, at the zxid ZooKeeper committed it at (the Stat's mzxid).
OpResult OkAt(const Stat& stat) {
  OpResult r = Ok();
  r.zxid = stat.mzxid;
  return r;
}
OpResult Fail(std::string error) {
  OpResult r;
  r.outcome = Outcome::kFail;
  r.error = std::move(error);
  return r;
}

// Maps a request that did not end in one of the op's own success / not-applied cases.
OpResult Unsuccessful(const Wait& w, std::string_view what, std::chrono::milliseconds timeout) {
  OpResult r;
  if (!w.sent) {
    r.outcome = Outcome::kFail;
    r.error = fmt::format("{} not sent: {}", what, zerror(w.rc));
  } else if (!w.completed) {
    r.outcome = Outcome::kInfo;
    r.error = fmt::format("{}: no reply within {} ms", what, timeout.count());
  } else {
    r.outcome = OutcomeOfCompletion(w.rc);
    r.error = fmt::format("{}: {}", what, zerror(w.rc));
  }
  return r;
}

std::string Escape(const std::string& s) {
  if (s.empty()) return "%";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '_' || c == '-') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace

checkers::Outcome OutcomeOfCompletion(int rc) {
  switch (rc) {
    case ZOK:
      return Outcome::kOk;
    case ZBADVERSION:  // versioned set / delete refused
    case ZNONODE:
    case ZNODEEXISTS:
    case ZNOTEMPTY:
    case ZNOAUTH:
    case ZBADARGUMENTS:
    case ZINVALIDACL:
    case ZNOCHILDRENFOREPHEMERALS:
    case ZTHROTTLEDOP:  // "throttled and not executed at all"
      return Outcome::kFail;
    default:  // ZCONNECTIONLOSS, ZOPERATIONTIMEOUT, ZSESSIONEXPIRED, ZSESSIONMOVED, ZCLOSING, ...
      return Outcome::kInfo;
  }
}

std::string ZkClient::KeyPath(const std::string& root, const std::string& key) {
  return root + "/" + Escape(key);
}

struct ZkClient::Impl {
  ZkClientOptions o;
  std::unique_ptr<Session> session;
  std::thread closer;

  ~Impl() {
    CloseAsync();
    if (closer.joinable()) closer.join();
  }

  // Closing a connected session waits for the server's answer (up to ~4.5 s inside the C client);
  // the worker does not wait for it.
  void CloseAsync() {
    if (!session) return;
    if (closer.joinable()) closer.join();
    closer = std::thread([s = std::move(session)]() mutable { CloseSession(std::move(s)); });
  }

  zhandle_t* zh() const { return session->zh; }

  Wait CreateNode(const std::string& path, const std::string& value, Clock::time_point deadline) {
    return Run(
        [&](const void* d) {
          return zoo_acreate2(zh(), path.c_str(), value.data(), static_cast<int>(value.size()),
                              &ZOO_OPEN_ACL_UNSAFE, 0, StringStatDone, d);
        },
        deadline);
  }

  // Creates `path`'s missing parents (each ZNODEEXISTS is fine). False when one did not succeed.
  bool CreateParents(const std::string& path, Clock::time_point deadline) {
    for (size_t slash = path.find('/', 1); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      Wait w = CreateNode(path.substr(0, slash), "", deadline);
      if (!w.sent || !w.completed || (w.rc != ZOK && w.rc != ZNODEEXISTS)) return false;
    }
    return true;
  }

  OpResult SyncFirst(Clock::time_point deadline, std::chrono::milliseconds timeout) {
    Wait w = Run([&](const void* d) { return zoo_async(zh(), "/", StringDone, d); }, deadline);
    if (w.sent && w.completed && w.rc == ZOK) return Ok();
    return Unsuccessful(w, "sync", timeout);
  }

  OpResult Read(const std::string& path, Clock::time_point deadline,
                std::chrono::milliseconds timeout) {
    if (o.read_mode == "sync") {
      OpResult s = SyncFirst(deadline, timeout);
      if (s.outcome != Outcome::kOk) return s;
    }
    Wait w =
        Run([&](const void* d) { return zoo_aget(zh(), path.c_str(), 0, DataDone, d); }, deadline);
    if (w.sent && w.completed && (w.rc == ZOK || w.rc == ZNONODE)) {
      OpResult r = Ok();
      if (w.rc == ZOK) r.value = w.call->value.value_or("");
      return r;
    }
    return Unsuccessful(w, "get", timeout);
  }

  OpResult Write(const std::string& path, const std::string& value, Clock::time_point deadline,
                 std::chrono::milliseconds timeout) {
    for (int attempt = 0; attempt < kWriteAttemptsMax; ++attempt) {
      Wait set = Run(
          [&](const void* d) {
            return zoo_aset(zh(), path.c_str(), value.data(), static_cast<int>(value.size()), -1,
                            StatDone, d);
          },
          deadline);
      if (set.sent && set.completed && set.rc == ZOK) {
        return OkAt(set.call->stat);
      }
      if (!(set.sent && set.completed && set.rc == ZNONODE))
        return Unsuccessful(set, "set", timeout);
      // No znode yet (so the set certainly did nothing): create it with the value.
      Wait create = CreateNode(path, value, deadline);
      if (create.sent && create.completed && create.rc == ZOK) {
        return OkAt(create.call->stat);
      }
      if (create.sent && create.completed && create.rc == ZNONODE) {
        if (!CreateParents(path, deadline)) return Unsuccessful(create, "create", timeout);
        continue;
      }
      if (!(create.sent && create.completed && create.rc == ZNODEEXISTS)) {
        return Unsuccessful(create, "create", timeout);
      }
      // Another client created it in between: set again.
    }
    return Fail(fmt::format("set {}: gave up after {} create races", path, kWriteAttemptsMax));
  }

  OpResult Cas(const std::string& path, const std::optional<std::string>& expected,
               const std::string& value, Clock::time_point deadline,
               std::chrono::milliseconds timeout) {
    Wait get =
        Run([&](const void* d) { return zoo_aget(zh(), path.c_str(), 0, DataDone, d); }, deadline);
    if (!(get.sent && get.completed && (get.rc == ZOK || get.rc == ZNONODE))) {
      // Only the read was sent: the cas certainly changed nothing.
      OpResult r = Unsuccessful(get, "cas read", timeout);
      r.outcome = Outcome::kFail;
      return r;
    }
    if (get.rc == ZNONODE) {
      if (expected) return Fail("cas mismatch: key absent");
      Wait create = CreateNode(path, value, deadline);  // cas from nil
      if (create.sent && create.completed && create.rc == ZOK) {
        return OkAt(create.call->stat);
      }
      if (create.sent && create.completed && create.rc == ZNODEEXISTS) {
        return Fail("cas mismatch: key created concurrently");
      }
      return Unsuccessful(create, "cas create", timeout);
    }
    const std::string current = get.call->value.value_or("");
    if (!expected || current != *expected) {
      return Fail(fmt::format("cas mismatch: value is {:?}", current.substr(0, 64)));
    }
    const int version = get.call->stat.version;
    Wait set = Run(
        [&](const void* d) {
          return zoo_aset(zh(), path.c_str(), value.data(), static_cast<int>(value.size()), version,
                          StatDone, d);
        },
        deadline);
    if (set.sent && set.completed && set.rc == ZOK) {
      return OkAt(set.call->stat);
    }
    if (set.sent && set.completed && (set.rc == ZBADVERSION || set.rc == ZNONODE)) {
      return Fail(fmt::format("cas: {} (changed since the read)", zerror(set.rc)));
    }
    return Unsuccessful(set, "cas set", timeout);
  }

  OpResult Delete(const std::string& path, Clock::time_point deadline,
                  std::chrono::milliseconds timeout) {
    Wait w = Run([&](const void* d) { return zoo_adelete(zh(), path.c_str(), -1, VoidDone, d); },
                 deadline);
    if (w.sent && w.completed && (w.rc == ZOK || w.rc == ZNONODE)) return Ok();
    return Unsuccessful(w, "delete", timeout);
  }

  OpResult Add(const std::string& path, Clock::time_point deadline,
               std::chrono::milliseconds timeout) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      Wait w = CreateNode(path, "", deadline);
      if (w.sent && w.completed && (w.rc == ZOK || w.rc == ZNODEEXISTS)) {
        OpResult r = Ok();
        if (w.rc == ZOK) r.zxid = w.call->stat.mzxid;
        return r;
      }
      if (!(w.sent && w.completed && w.rc == ZNONODE) || !CreateParents(path, deadline)) {
        return Unsuccessful(w, "add", timeout);
      }
    }
    return Fail(fmt::format("add {}: parents keep disappearing", path));
  }

  OpResult ReadSet(const std::string& path, const std::vector<std::string>& candidates,
                   Clock::time_point deadline, std::chrono::milliseconds timeout) {
    if (o.read_mode == "sync") {
      OpResult s = SyncFirst(deadline, timeout);
      if (s.outcome != Outcome::kOk) return s;
    }
    Wait w =
        Run([&](const void* d) { return zoo_aget_children(zh(), path.c_str(), 0, StringsDone, d); },
            deadline);
    if (!(w.sent && w.completed && (w.rc == ZOK || w.rc == ZNONODE))) {
      return Unsuccessful(w, "get_children", timeout);
    }
    OpResult r = Ok();
    for (const std::string& e : candidates) {
      if (std::find(w.call->children.begin(), w.call->children.end(), Escape(e)) !=
          w.call->children.end()) {
        r.elements.push_back(e);
      }
    }
    return r;
  }
};

ZkClient::ZkClient(ZkClientOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->o = std::move(options);
}
ZkClient::~ZkClient() = default;
void ZkClient::Reset() { impl_->CloseAsync(); }
int64_t ZkClient::node() const { return impl_->o.node; }

OpResult ZkClient::Invoke(const checkers::Op& op, std::chrono::milliseconds timeout) {
  Impl& m = *impl_;
  const auto deadline = Clock::now() + timeout;
  bool expired = false, was_connected = false;
  if (m.session) {
    std::lock_guard<std::mutex> lock(m.session->mu);
    expired = m.session->expired;
    was_connected = m.session->ever_connected;
  }
  if (expired) {
    m.CloseAsync();
    if (was_connected) {
      OpResult r;
      r.outcome = Outcome::kInfo;  // not sent; info so that the worker starts a new process
      r.error = "session expired between operations (nothing sent): a new session begins";
      return r;
    }
  }
  if (!m.session) {
    std::string error;
    m.session = OpenSession(m.o.connect, m.o.session_timeout, &error);
    if (!m.session) return Fail(error);
  }
  if (!WaitConnected(*m.session, deadline)) {
    return Fail(fmt::format("no ZooKeeper session with {} within {} ms (nothing sent)", m.o.connect,
                            timeout.count()));
  }
  const std::string path = KeyPath(m.o.root, op.key);
  switch (op.f) {
    case Fn::kRead:
    case Fn::kGet:
      return m.Read(path, deadline, timeout);
    case Fn::kWrite:
    case Fn::kPut:
      return m.Write(path, op.value.value_or(""), deadline, timeout);
    case Fn::kCas:
      return m.Cas(path, op.expected, op.value.value_or(""), deadline, timeout);
    case Fn::kDelete:
      return m.Delete(path, deadline, timeout);
    case Fn::kAdd:
      return m.Add(path + "/" + Escape(op.value.value_or("")), deadline, timeout);
    case Fn::kReadSet:
      return m.ReadSet(path, op.elements, deadline, timeout);
    default:
      return Fail(fmt::format("operation {} is not supported on ZooKeeper", FnName(op.f)));
  }
}

Status CreateRoot(const std::string& connect, const std::string& root,
                  std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string error;
  std::unique_ptr<Session> s = OpenSession(connect, timeout, &error);
  if (!s) return Status::Unavailable(error);
  Status status;
  if (!WaitConnected(*s, deadline)) {
    status = Status::Unavailable(
        fmt::format("no ZooKeeper session with {} within {} ms", connect, timeout.count()));
  } else {
    Wait w = Run(
        [&](const void* d) {
          return zoo_acreate2(s->zh, root.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, StringStatDone,
                              d);
        },
        deadline);
    if (!w.sent || !w.completed || (w.rc != ZOK && w.rc != ZNODEEXISTS)) {
      status = Status::Unavailable(fmt::format("cannot create {} through {}: {}", root, connect,
                                               w.completed ? zerror(w.rc) : "no reply"));
    }
  }
  CloseSession(std::move(s));
  return status;
}

}  // namespace faultline::harness::zookeeper
