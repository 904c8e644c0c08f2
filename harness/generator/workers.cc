#include "harness/generator/workers.h"

namespace faultline::harness {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Workers::Workers(OpGenerator* generator, HistoryStore* store, ClientFactory factory,
                 WorkerOptions options)
    : generator_(generator), store_(store), factory_(std::move(factory)), options_(options) {}

Workers::~Workers() {
  Stop();
  Join();
}

void Workers::Start(std::chrono::steady_clock::time_point start) {
  start_ = start;
  for (int w = 0; w < options_.concurrency; ++w) {
    threads_.emplace_back([this, w] { Loop(w); });
  }
}

void Workers::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
}

void Workers::Join() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

OpCounts Workers::counts() const { return OpCounts{ok_.load(), fail_.load(), info_.load()}; }

void Workers::Loop(int worker) {
  std::unique_ptr<Client> client = factory_(worker);
  int64_t process = worker;
  while (!stop_.load(std::memory_order_relaxed)) {
    GeneratedOp g = generator_->Next();
    auto due = start_ + g.due;
    if (due > std::chrono::steady_clock::now()) {
      std::unique_lock<std::mutex> l(mu_);
      if (stop_cv_.wait_until(l, due, [&] { return stop_.load(); })) break;
    }
    checkers::Op& op = g.op;
    op.process = process;
    if (int64_t node = client->node(); node != 0) op.node = node;
    op.invoke_ns = NowNs();
    store_->RecordInvoke(options_.run_id, op);
    OpResult r = client->Invoke(op, options_.op_timeout);
    // Completion strictly after invoke even on a coarse clock.
    int64_t complete_ns = std::max(NowNs(), op.invoke_ns + 1);
    store_->RecordCompletion(options_.run_id, op.index, r.outcome, complete_ns, std::move(r.value),
                             std::move(r.elements), r.zxid, std::move(r.error));
    switch (r.outcome) {
      case checkers::Outcome::kOk:
        ok_.fetch_add(1, std::memory_order_relaxed);
        break;
      case checkers::Outcome::kFail:
        fail_.fetch_add(1, std::memory_order_relaxed);
        break;
      case checkers::Outcome::kInfo:
        info_.fetch_add(1, std::memory_order_relaxed);
        // The op may still take effect later: this logical process is done (Jepsen).
        process += options_.concurrency;
        client->Reset();
        break;
    }
  }
}

}  // namespace faultline::harness
