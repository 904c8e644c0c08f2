// Wire codec of ZAB messages and the storage payload of a Txn (messages.h, codec.h).
//
// Every struct lists its fields once in a Fields() overload; the same list drives encoding and
// decoding, so the two can never disagree. All reads are bounds-checked (kv::Reader).
#include "server/core/codec.h"

#include <type_traits>

#include "server/core/messages.h"

namespace zab {
namespace {

constexpr uint8_t kTxnFormat = 1;

// --- field lists ----------------------------------------------------------------------------
template <class F>
void Fields(F& f, Vote& m) {
  f(m.epoch), f(m.state), f(m.leader), f(m.zxid), f(m.round), f(m.peer_epoch);
}
template <class F>
void Fields(F& f, FollowerInfo& m) {
  f(m.epoch);
}
template <class F>
void Fields(F& f, LeaderInfo& m) {
  f(m.epoch);
}
template <class F>
void Fields(F& f, AckEpoch& m) {
  f(m.epoch), f(m.current_epoch), f(m.last_zxid), f(m.snapshot_zxid);
}
template <class F>
void Fields(F& f, Diff& m) {
  f(m.epoch), f(m.zxid);
}
template <class F>
void Fields(F& f, Trunc& m) {
  f(m.epoch), f(m.zxid);
}
template <class F>
void Fields(F& f, Snap& m) {
  f(m.epoch), f(m.zxid), f(m.state);
}
template <class F>
void Fields(F& f, NewLeader& m) {
  f(m.epoch), f(m.history);
}
template <class F>
void Fields(F& f, Ack& m) {
  f(m.epoch), f(m.zxid);
}
template <class F>
void Fields(F& f, UpToDate& m) {
  f(m.epoch);
}
template <class F>
void Fields(F& f, Proposal& m) {
  f(m.epoch), f(m.txn), f(m.prev);
}
template <class F>
void Fields(F& f, Commit& m) {
  f(m.epoch), f(m.zxid);
}
template <class F>
void Fields(F& f, Ping& m) {
  f(m.epoch), f(m.last_committed), f(m.round);
}
template <class F>
void Fields(F& f, PingAck& m) {
  f(m.epoch), f(m.round), f(m.last_logged);
}
template <class F>
void Fields(F& f, Request& m) {
  f(m.epoch), f(m.origin), f(m.op);
}
template <class F>
void Fields(F& f, RequestReject& m) {
  f(m.epoch), f(m.request_id), f(m.reason);
}
template <class F>
void Fields(F& f, ReadRequest& m) {
  f(m.epoch), f(m.request_id), f(m.mode), f(m.key);
}
template <class F>
void Fields(F& f, ReadReply& m) {
  f(m.epoch), f(m.request_id), f(m.ok), f(m.zxid), f(m.value);
}

// --- encoder / decoder visitors -------------------------------------------------------------
struct Enc {
  kv::Writer& w;
  void operator()(const Epoch& v) { w.U32(v.value); }
  void operator()(const Zxid& v) { w.U64(v.value); }
  void operator()(const PeerId& v) { w.U64(v.value); }
  void operator()(uint64_t v) { w.U64(v); }
  void operator()(int64_t v) { w.I64(v); }
  void operator()(uint8_t v) { w.U8(v); }
  void operator()(bool v) { w.U8(v ? 1 : 0); }
  void operator()(PeerState v) { w.U8(static_cast<uint8_t>(v)); }
  void operator()(const std::string& v) { w.Str(v); }
  void operator()(const std::optional<std::string>& v) {
    w.U8(v.has_value() ? 1 : 0);
    if (v) w.Str(*v);
  }
  void operator()(const Origin& v) {
    w.U64(v.node.value), w.U64(v.request_id), w.U64(v.incarnation);
  }
  void operator()(const kv::Op& v) {
    w.U8(static_cast<uint8_t>(v.type)), w.Str(v.key), w.Str(v.value), w.Str(v.expected);
  }
  void operator()(const Txn& v) { WriteTxn(w, v); }
};

struct Dec {
  kv::Reader& r;
  bool ok = true;
  void operator()(Epoch& v) { ok = ok && r.U32(&v.value); }
  void operator()(Zxid& v) { ok = ok && r.U64(&v.value); }
  void operator()(PeerId& v) { ok = ok && r.U64(&v.value); }
  void operator()(uint64_t& v) { ok = ok && r.U64(&v); }
  void operator()(int64_t& v) { ok = ok && r.I64(&v); }
  void operator()(uint8_t& v) { ok = ok && r.U8(&v); }
  void operator()(bool& v) { ok = ok && r.Bool(&v); }
  void operator()(PeerState& v) {
    uint8_t u = 0;
    ok = ok && r.U8(&u) && u <= static_cast<uint8_t>(PeerState::kLeading);
    v = static_cast<PeerState>(u);
  }
  void operator()(std::string& v) { ok = ok && r.Str(&v); }
  void operator()(std::optional<std::string>& v) {
    bool has = false;
    ok = ok && r.Bool(&has);
    if (ok && has) {
      v.emplace();
      ok = r.Str(&*v);
    }
  }
  void operator()(Origin& v) {
    ok = ok && r.U64(&v.node.value) && r.U64(&v.request_id) && r.U64(&v.incarnation);
  }
  void operator()(kv::Op& v) {
    uint8_t t = 0;
    ok = ok && r.U8(&t) && t >= 1 && t <= 3 && r.Str(&v.key) && r.Str(&v.value) &&
         r.Str(&v.expected);
    v.type = static_cast<kv::OpType>(t);
  }
  void operator()(Txn& v) { ok = ok && ReadTxn(r, &v); }
};

const char* const kNames[] = {"VOTE",          "FOLLOWERINFO", "LEADERINFO", "ACKEPOCH", "DIFF",
                              "TRUNC",         "SNAP",         "NEWLEADER",  "ACK",      "UPTODATE",
                              "PROPOSAL",      "COMMIT",       "PING",       "PINGACK",  "REQUEST",
                              "REQUESTREJECT", "READREQUEST",  "READREPLY"};
static_assert(std::size(kNames) == std::variant_size_v<Message>);

// Decodes alternative I of Message (kind byte already consumed).
template <size_t I>
bool DecodeAlt(kv::Reader& r, Message* out) {
  std::variant_alternative_t<I, Message> m{};
  Dec d{r};
  Fields(d, m);
  if (!d.ok) return false;
  *out = std::move(m);
  return true;
}

template <size_t... I>
bool DecodeKind(size_t kind, kv::Reader& r, Message* out, std::index_sequence<I...>) {
  bool ok = false;
  ((kind == I ? (ok = DecodeAlt<I>(r, out), true) : false) || ...);
  return ok;
}

}  // namespace

void WriteTxn(kv::Writer& w, const Txn& txn) {
  Enc e{w};
  e(txn.zxid), e(txn.origin), e(txn.op);
}

bool ReadTxn(kv::Reader& r, Txn* txn) {
  Dec d{r};
  d(txn->zxid), d(txn->origin), d(txn->op);
  return d.ok;
}

std::string EncodeTxn(const Txn& txn) {
  std::string out;
  // One allocation: the fixed fields (format, zxid, origin, op type, lengths) fit in 64 bytes.
  out.reserve(64 + txn.op.key.size() + txn.op.value.size() + txn.op.expected.size());
  kv::Writer w(&out);
  w.U8(kTxnFormat);
  WriteTxn(w, txn);
  return out;
}

faultline::Result<Txn> DecodeTxn(std::string_view bytes) {
  kv::Reader r(bytes);
  uint8_t format = 0;
  if (!r.U8(&format) || format != kTxnFormat) {
    return faultline::Status::Corruption("txn payload: unknown format");
  }
  Txn txn;
  if (!ReadTxn(r, &txn)) {
    return faultline::Status::Corruption("txn payload: malformed at offset " +
                                         std::to_string(r.pos()));
  }
  if (r.remaining() != 0) return faultline::Status::Corruption("txn payload: trailing bytes");
  return txn;
}

const char* MessageName(const Message& m) { return kNames[m.index()]; }

std::string EncodeMessage(const Message& m) {
  std::string out;
  kv::Writer w(&out);
  w.U8(static_cast<uint8_t>(m.index()));
  std::visit(
      [&](const auto& msg) {
        Enc e{w};
        Fields(e, const_cast<std::remove_cvref_t<decltype(msg)>&>(msg));  // Enc never writes
      },
      m);
  return out;
}

faultline::Result<Message> DecodeMessage(std::string_view bytes) {
  kv::Reader r(bytes);
  uint8_t kind = 0;
  if (!r.U8(&kind)) return faultline::Status::Corruption("message: empty");
  if (kind >= std::variant_size_v<Message>) {
    return faultline::Status::Corruption("message: unknown kind " + std::to_string(kind));
  }
  Message m;
  if (!DecodeKind(kind, r, &m, std::make_index_sequence<std::variant_size_v<Message>>{})) {
    return faultline::Status::Corruption(std::string("message ") + kNames[kind] +
                                         ": malformed at offset " + std::to_string(r.pos()));
  }
  if (r.remaining() != 0) {
    return faultline::Status::Corruption(std::string("message ") + kNames[kind] +
                                         ": trailing bytes at offset " + std::to_string(r.pos()));
  }
  return m;
}

}  // namespace zab
