#include "harness/run/progress.h"

#include <fmt/format.h>

namespace faultline::harness {

Progress::Progress(std::ostream& out, bool tty, int64_t time_limit_ms, ProgressSources sources)
    : out_(out), tty_(tty), time_limit_ms_(time_limit_ms), sources_(std::move(sources)) {}

Progress::~Progress() { Stop(); }

void Progress::Start(std::chrono::steady_clock::time_point start) {
  start_ = start;
  thread_ = std::thread([this] { Loop(); });
}

void Progress::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    if (tty_) out_ << "\n" << std::flush;
  }
}

std::string Progress::Line(std::chrono::milliseconds elapsed, const OpCounts& c, double ops_per_s,
                           const std::string& faults, const std::string& leader) const {
  return fmt::format(
      "[{:5.1f}s / {:.0f}s] ok {} fail {} info {} | {:.0f} ops/s | faults: {} | "
      "leader: {}",
      elapsed.count() / 1000.0, time_limit_ms_ / 1000.0, c.ok, c.fail, c.info, ops_per_s,
      faults.empty() ? "none" : faults, leader);
}

void Progress::Loop() {
  const auto period = tty_ ? std::chrono::seconds(1) : std::chrono::seconds(5);
  int64_t last_total = 0;
  auto last_time = start_;
  std::unique_lock<std::mutex> l(mu_);
  while (!cv_.wait_for(l, period, [&] { return stop_; })) {
    l.unlock();
    auto now = std::chrono::steady_clock::now();
    OpCounts c = sources_.counts();
    double secs = std::chrono::duration<double>(now - last_time).count();
    double rate = secs > 0 ? (c.total() - last_total) / secs : 0;
    last_total = c.total();
    last_time = now;
    std::string line = Line(std::chrono::duration_cast<std::chrono::milliseconds>(now - start_), c,
                            rate, sources_.active_faults(), sources_.leader());
    if (tty_) {
      out_ << "\r\033[K" << line << std::flush;
    } else {
      out_ << line << "\n" << std::flush;
    }
    l.lock();
  }
}

}  // namespace faultline::harness
