// A child process whose stdout and stderr go into a pipe nobody reads: the reader is gone before
// the first line, as with `faultline run ... | head -1` once head has its line. SIGPIPE is back
// at its default in the child, as a shell leaves it, so a binary that does not ignore it dies by
// it (exit status 128 + 13 from ExitCode).
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace faultline::testing {

// Forks and execs argv[0] with `argv`; returns the child's pid (-1 when fork or pipe failed).
inline pid_t SpawnIntoAClosedPipe(std::vector<std::string> argv) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  close(fds[0]);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    signal(SIGPIPE, SIG_DFL);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  return pid;
}

// Waits for `pid`: its exit code, or 128 + the signal that ended it.
inline int ExitCode(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace faultline::testing
