// What a run's report draws, computed from its history: ops per time bucket with latency
// quantiles, who led when, per-node summaries, and how long the cluster answered no client during
// each fault. Pure functions of checkers values (no I/O), so reports of old runs, other systems
// and hand-made histories all go through the same code.
//
// Times are unix ns (ops, faults) or unix ms (node events), as stored; nothing here converts to
// offsets: the renderer does, once, from the run's start.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "checkers/history.h"

namespace faultline::harness::report {

// Bounds (TigerBeetle: together). A 6-minute nightly has ~100k ops; the page must stay light.
inline constexpr int kTimelineBucketsMax = 300;       // points per series on the main chart
inline constexpr int64_t kBucketNsMin = 100'000'000;  // 100 ms: finer buckets are mostly noise
inline constexpr int64_t kFailoverGraceNs = 5'000'000'000;  // a fault's outage may end this late

// Latency quantiles in ms over some ops; n = 0 means no samples (the quantiles are then -1).
struct Quantiles {
  int64_t n = 0;
  double p50 = -1, p90 = -1, p99 = -1, max = -1;
};
Quantiles QuantilesOf(std::vector<double> latencies_ms);

struct OpBucket {
  int64_t start_ns = 0;
  // Ops completed in the bucket by outcome. An op that never completed counts as info at its
  // invoke time (it occupied a client until the end).
  int64_t ok = 0, fail = 0, info = 0;
  Quantiles ok_latency, fail_latency, info_latency;
};

struct OpSeries {
  int64_t from_ns = 0;
  int64_t bucket_ns = 0;
  std::vector<OpBucket> buckets;  // contiguous: bucket i starts at from_ns + i * bucket_ns
};

// A round bucket width (100 ms, 200 ms, 250 ms, 500 ms, 1 s, 2 s, 5 s, 10 s, ...) giving at most
// `buckets_max` buckets over `span_ns`, never below kBucketNsMin.
int64_t NiceBucketNs(int64_t span_ns, int buckets_max);
OpSeries BucketOps(const std::vector<checkers::Op>& ops, int64_t from_ns, int64_t to_ns,
                   int buckets_max = kTimelineBucketsMax);

// Who led when. A span starts at the leader's `established` event (zab.md: activated by a
// quorum of NEWLEADER ACKs) and ends at the first of: its `role` event leaving leading, its
// `step_down`, its next `start` (it had died), a kill / restart / crash fault hitting it, the
// next `established` of a higher epoch by another node, or `end_ns`.
struct LeaderSpan {
  int64_t node = 0;
  int64_t epoch = 0;
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  std::string ended_by;  // "step_down: quorum lost", "killed", "epoch 4 established", "" = end
};
struct Leadership {
  std::vector<LeaderSpan> spans;  // in time order
};
Leadership LeadersOverTime(const std::vector<checkers::NodeEvent>& events,
                           const std::vector<checkers::Fault>& faults, int64_t end_ns);

// One row of the node table.
struct NodeSummary {
  int64_t node = 0;
  int starts = 0;                   // process starts (`start` events); restarts = starts - 1
  int role_changes = 0;             // `role` events that changed the role
  int elections = 0;                // `elected` events: FLE decided while this node was looking
  std::vector<int64_t> led_epochs;  // epochs it established as leader
  int64_t accepted_epoch = -1;      // highest seen
  int64_t current_epoch = -1;
  std::map<std::string, int> sync_received;  // follower: DIFF / TRUNC / SNAP ... -> count
  std::map<std::string, int> sync_sent;      // leader: mode -> count (sync_decision)
  int truncations = 0;
  int step_downs = 0;
  int64_t last_committed = -1;        // highest committed zxid
  std::map<std::string, int> faults;  // fault kind -> times it was a target
  std::string last_role;              // "leading", "following", "looking", "" = never said
};
std::vector<NodeSummary> SummarizeNodes(const std::vector<checkers::NodeEvent>& events,
                                        const std::vector<checkers::Fault>& faults);

// The longest stretch with no ok op completing that overlaps [from_ns, to_ns + grace]: how long
// clients got nothing done around a fault (a failover window). `ok_done_ns` is sorted. Returns
// {0, 0} when there is no ok op around at all.
struct Gap {
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  int64_t length_ns() const { return end_ns - start_ns; }
};
Gap LongestOkGap(const std::vector<int64_t>& ok_done_ns, int64_t from_ns, int64_t to_ns,
                 int64_t grace_ns = kFailoverGraceNs);
// Ops by outcome (an op that never completed is info), of those invoked in [from_ns, to_ns].
struct OutcomeCounts {
  int64_t ok = 0, fail = 0, info = 0;
};
OutcomeCounts CountOutcomes(const std::vector<checkers::Op>& ops, int64_t from_ns, int64_t to_ns);

// The sorted completion times of the ok ops.
std::vector<int64_t> OkCompletions(const std::vector<checkers::Op>& ops);

}  // namespace faultline::harness::report
