#include "tests/e2e/report/faultline_child.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace faultline::e2e {

namespace fs = std::filesystem;

FaultlineSandbox::FaultlineSandbox() {
  std::string t = (fs::temp_directory_path() / "report_e2e.XXXXXX").string();
  dir_ = mkdtemp(t.data());
  store_ = dir_ + "/faultline.db";
}

FaultlineSandbox::~FaultlineSandbox() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

void FaultlineSandbox::Spawn(std::vector<std::string> args) {
  args.insert(args.begin(), {kBin + "/faultline", "--store", store_, "--results", dir_});
  std::string out = dir_ + "/out." + std::to_string(++spawned_) + ".txt";
  std::error_code ec;
  fs::remove(dir_ + "/out.txt", ec);
  fs::create_symlink(out, dir_ + "/out.txt", ec);
  pid_ = fork();
  if (pid_ == 0) {
    FILE* f = freopen(out.c_str(), "w", stdout);
    (void)f;
    dup2(fileno(stdout), STDERR_FILENO);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
}

int FaultlineSandbox::Wait() {
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int FaultlineSandbox::Run(std::vector<std::string> args, std::string* out) {
  Spawn(std::move(args));
  int code = Wait();
  if (out) *out = Output();
  return code;
}

void FaultlineSandbox::Kill(int signal) {
  if (pid_ > 0) kill(pid_, signal);
}

std::string FaultlineSandbox::Output() const {
  std::ifstream in(dir_ + "/out.txt");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> FaultlineSandbox::Query(const std::string& sql) const {
  std::vector<std::string> rows;
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(store_.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(h);
    return rows;
  }
  sqlite3_busy_timeout(h, 5000);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) {
      std::string row;
      for (int c = 0; c < sqlite3_column_count(st); ++c) {
        const unsigned char* t = sqlite3_column_text(st, c);
        row += (c ? "|" : "") + std::string(t ? reinterpret_cast<const char*>(t) : "");
      }
      rows.push_back(row);
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return rows;
}

std::string FaultlineSandbox::QueryOne(const std::string& sql) const {
  std::vector<std::string> rows = Query(sql);
  return rows.empty() ? "" : rows.front();
}

bool ProcessGone(int pid) {
  if (kill(pid, 0) != 0) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(stat)), {});
  size_t paren = all.rfind(')');
  return paren != std::string::npos && paren + 2 < all.size() && all[paren + 2] == 'Z';
}

}  // namespace faultline::e2e
