// Running real commands from tests: the example flows and the trellis CLI.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace trellis::test {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `command` with /bin/sh, capturing everything it prints.
inline CommandResult run_command(const std::string& command) {
  CommandResult r;
  std::FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

inline std::string build_path(const std::string& rel) {
  return std::string(TRELLIS_BUILD_DIR) + "/" + rel;
}

}  // namespace trellis::test
