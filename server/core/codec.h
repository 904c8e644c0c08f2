// Storage payload format of a Txn (the opaque record payload of server/storage, zab.md 1).
//
// EncodeTxn() is the exact byte string the driver stores as Record{zxid, payload}; DecodeTxn() is
// its inverse and returns Corruption (never crashes) on malformed bytes. The zxid is inside the
// payload too, so a record whose header zxid disagrees with its payload can be detected.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "server/core/types.h"
#include "server/kv/bytes.h"

namespace zab {

std::string EncodeTxn(const Txn& txn);
faultline::Result<Txn> DecodeTxn(std::string_view bytes);

// Building blocks shared with the message codec.
void WriteTxn(kv::Writer& w, const Txn& txn);
bool ReadTxn(kv::Reader& r, Txn* txn);

}  // namespace zab
