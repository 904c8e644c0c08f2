#include "harness/net/grudge.h"

#include <fmt/format.h>

#include <algorithm>
#include <random>

namespace faultline::harness {
namespace {

// Drops empty sets and self-grudges, so every builder returns the canonical form.
Grudge Canonical(Grudge grudge) {
  for (auto it = grudge.begin(); it != grudge.end();) {
    it->second.erase(it->first);
    it = it->second.empty() ? grudge.erase(it) : std::next(it);
  }
  return grudge;
}

}  // namespace

bool Drops(const Grudge& grudge, NodeId from, NodeId to) {
  auto it = grudge.find(to);
  return it != grudge.end() && it->second.contains(from);
}

Grudge CompleteGrudge(const std::vector<std::vector<NodeId>>& components) {
  Grudge grudge;
  for (const auto& mine : components) {
    for (const auto& other : components) {
      if (&mine == &other) continue;
      for (NodeId me : mine) grudge[me].insert(other.begin(), other.end());
    }
  }
  return Canonical(std::move(grudge));
}

Grudge Halves(const std::vector<NodeId>& nodes) {
  const auto half = static_cast<std::ptrdiff_t>(nodes.size() / 2);
  return CompleteGrudge({std::vector<NodeId>(nodes.begin(), nodes.begin() + half),
                         std::vector<NodeId>(nodes.begin() + half, nodes.end())});
}

Grudge RandomHalves(const std::vector<NodeId>& nodes, uint64_t seed) {
  std::vector<NodeId> shuffled = nodes;
  std::mt19937_64 rng(seed);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  return Halves(shuffled);
}

Grudge IsolateNode(const std::vector<NodeId>& nodes, NodeId node) {
  std::vector<NodeId> rest;
  std::copy_if(nodes.begin(), nodes.end(), std::back_inserter(rest),
               [node](NodeId n) { return n != node; });
  return CompleteGrudge({{node}, rest});
}

Grudge MajoritiesRing(const std::vector<NodeId>& nodes) {
  const int n = static_cast<int>(nodes.size());
  const int majority = n / 2 + 1;
  // Window [p - before, p + after] around position p, majority-sized.
  const int before = (majority - 1) / 2;
  const int after = majority - 1 - before;
  Grudge grudge;
  for (int p = 0; p < n; ++p) {
    std::set<NodeId> hears;
    for (int d = -before; d <= after; ++d) hears.insert(nodes[((p + d) % n + n) % n]);
    for (NodeId other : nodes) {
      if (!hears.contains(other)) grudge[nodes[p]].insert(other);
    }
  }
  return Canonical(std::move(grudge));
}

Grudge Bridge(const std::vector<NodeId>& nodes) {
  const auto middle = static_cast<std::ptrdiff_t>(nodes.size() / 2);
  // The bridge belongs to no component, so CompleteGrudge cuts it from no one.
  return CompleteGrudge({std::vector<NodeId>(nodes.begin(), nodes.begin() + middle),
                         std::vector<NodeId>(nodes.begin() + middle + 1, nodes.end())});
}

Grudge OneWayIsolate(const std::vector<NodeId>& nodes, NodeId node) {
  Grudge grudge;
  for (NodeId other : nodes) grudge[other].insert(node);
  return Canonical(std::move(grudge));
}

Grudge OneWayLinks(const std::vector<std::pair<NodeId, NodeId>>& links) {
  Grudge grudge;
  for (const auto& [from, to] : links) grudge[to].insert(from);
  return Canonical(std::move(grudge));
}

std::set<NodeId> Hears(const Grudge& grudge, const std::vector<NodeId>& nodes, NodeId node) {
  std::set<NodeId> hears;
  for (NodeId from : nodes) {
    if (!Drops(grudge, from, node)) hears.insert(from);
  }
  return hears;
}

std::string DescribeGrudge(const Grudge& grudge) {
  if (grudge.empty()) return "no grudge";
  std::string out;
  for (const auto& [node, drops] : grudge) {
    if (!out.empty()) out += "; ";
    out += fmt::format("{} drops {{{}}}", node, fmt::join(drops, ","));
  }
  return out;
}

}  // namespace faultline::harness
