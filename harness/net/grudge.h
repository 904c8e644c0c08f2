// Grudge: who ignores whom (Jepsen). A map node -> the set of nodes whose packets that node drops.
// grudge[2] = {1} means "packets from 1 to 2 are dropped"; 2 can still reach 1 unless grudge[1]
// contains 2. Partitions are data: the builders below are pure and unit-tested without a cluster; a
// Partitioner enforces a grudge.
//
// Every builder takes the cluster's node ids (any order; the order is the ring order for
// MajoritiesRing and the split order for Halves and Bridge) and returns a grudge that mentions only
// those ids, never a node grudging itself, and no empty sets.
//
// Thread-safety: pure functions; Grudge is a plain value.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "harness/cluster/node.h"

namespace faultline::harness {

using Grudge = std::map<NodeId, std::set<NodeId>>;

// True when packets from `from` to `to` are dropped.
bool Drops(const Grudge& grudge, NodeId from, NodeId to);

// Every node drops every node outside its own component. Components must be disjoint; nodes in no
// component are not cut from anyone.
Grudge CompleteGrudge(const std::vector<std::vector<NodeId>>& components);

// Two sides cut from each other: the first floor(n/2) nodes vs the rest (3 -> 1|2, 5 -> 2|3).
Grudge Halves(const std::vector<NodeId>& nodes);
// Halves of a shuffle drawn from `seed` (same seed, same split).
Grudge RandomHalves(const std::vector<NodeId>& nodes, uint64_t seed);
// `node` cut from everyone, both directions. Also "isolate the leader" (pass the leader's id).
Grudge IsolateNode(const std::vector<NodeId>& nodes, NodeId node);
// Every node hears a majority, but no two nodes hear the same majority: in ring order, a node hears
// the majority-sized window around itself (symmetric for 5: i-1,i,i+1; for 3 the window is i,i+1,
// so the grudge is one-way). It drops everyone outside its window.
Grudge MajoritiesRing(const std::vector<NodeId>& nodes);
// Two sides cut from each other with the middle node (index n/2) hearing and heard by both: 3 -> 1
// | (2) | 3, 5 -> 1,2 | (3) | 4,5.
Grudge Bridge(const std::vector<NodeId>& nodes);
// Asymmetric: packets from `node` to every other node are dropped; `node` still hears everyone. (A
// leader whose heartbeats vanish while it still receives ACKs and votes.)
Grudge OneWayIsolate(const std::vector<NodeId>& nodes, NodeId node);
// Explicit one-way links: each pair (from, to) drops packets from `from` to `to`.
Grudge OneWayLinks(const std::vector<std::pair<NodeId, NodeId>>& links);

// The nodes that `node` can hear (itself included).
std::set<NodeId> Hears(const Grudge& grudge, const std::vector<NodeId>& nodes, NodeId node);

// "2 drops {1}; 3 drops {1}" — stable order; "no grudge" when empty.
std::string DescribeGrudge(const Grudge& grudge);

}  // namespace faultline::harness
