// Small helpers of the history library shared by its readers and writers (and harness/query):
// the store's clock, its time text, and a content hash.
#pragma once

#include <cstdint>
#include <string>

namespace faultline::harness {

// Now, in ms since the Unix epoch (the store's _ms times).
int64_t UnixNowMs();
// "2026-12-01 06:30:15" (UTC) of a _ms time.
std::string UtcTimeText(int64_t ms);

// A stable hash of `text` (FNV-1a, 64 bits) as 16 hex digits: the same on every machine and build,
// for identities derived from content (merge's uid of old rows, trends' spec key).
std::string StableHash(const std::string& text);

}  // namespace faultline::harness
