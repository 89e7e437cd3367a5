// bench/engine: the engine's speed figures, one `name value` line each, with
// the ratio to Metaflow 2.19 (local mode, same kind of 2-core machine) where
// its figure is known. Runs the example flows through their real CLI on a
// fresh store in a temp folder. Usage: engine_bench [--quick]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "trellis/client/client.h"
#include "trellis/core/clock.h"
#include "trellis/core/fs.h"

namespace {

std::string g_build;  // build folder (holds flows/ and bin/)
std::string g_root;   // the store under test

struct Timed {
  double seconds = 0;
  double child_cpu = 0;  // user + sys of the command and everything it started
  int exit_code = -1;
  std::string output;
};

double children_cpu() {
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

Timed timed(const std::string& command, bool may_fail = false) {
  Timed t;
  const double cpu0 = children_cpu();
  const auto t0 = std::chrono::steady_clock::now();
  std::FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) t.output.append(buf, n);
  const int status = ::pclose(p);
  t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  t.child_cpu = children_cpu() - cpu0;
  t.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (t.exit_code != 0 && !may_fail) {
    std::fprintf(stderr, "bench: command failed: %s\n%s\n", command.c_str(), t.output.c_str());
    std::exit(1);
  }
  return t;
}

std::string flow(const std::string& name) { return g_build + "/flows/" + name; }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void print(const char* name, double value, const char* unit, double metaflow = 0,
           bool higher_is_better = false) {
  std::printf("%-34s %10.4f %-6s", name, value, unit);
  if (metaflow > 0) {
    const double ratio = higher_is_better ? value / metaflow : metaflow / value;
    std::printf("  (%.1fx Metaflow's %g %s)", ratio, metaflow, unit);
  }
  std::printf("\n");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  const int reps = quick ? 3 : 7;
  g_build = std::filesystem::path(trellis::self_exe_path()).parent_path().parent_path().string();
  char tmpl[] = "/tmp/trellis-bench-XXXXXX";
  g_root = mkdtemp(tmpl);
  const std::string store = " --root " + g_root;
  std::printf("# bench/engine  (store %s, %u cores)\n", g_root.c_str(),
              std::thread::hardware_concurrency());

  // 1. A 5-step linear trivial run, wall time of the whole command.
  timed(flow("linear") + " run" + store);  // warm the page cache and the database
  std::vector<double> linear;
  for (int i = 0; i < reps; ++i) linear.push_back(timed(flow("linear") + " run" + store).seconds);
  print("linear_5_steps_wall_s", median(linear), "s", 1.6);

  // 2. foreach of 1000 trivial tasks + join, 2 workers: wall and CPU per task.
  const int width = quick ? 200 : 1000;
  Timed fe = timed(flow("foreach") + " run --width " + std::to_string(width) +
                   " --max-workers 2" + store);
  const int tasks = width + 3;
  print(quick ? "foreach_200_wall_s" : "foreach_1000_wall_s", fe.seconds, "s", 0.3 * tasks);
  print("cpu_per_task_ms", 1000 * fe.child_cpu / tasks, "ms", 300);

  // 3. One 256 MB incompressible float32 array: write and read speed, and the
  // writing task's peak memory relative to the array.
  const int mb = quick ? 64 : 256;
  std::vector<double> w, r, rss;
  for (int i = 0; i < (quick ? 1 : 3); ++i) {
    Timed a = timed(flow("artifacts") + " run --mb " + std::to_string(mb) + store);
    std::smatch m;
    if (std::regex_search(a.output, m, std::regex(R"(write \d+ MB: ([0-9.]+) s \(\d+ MB/s\), peak RSS ([0-9.]+) MB)"))) {
      w.push_back(mb / std::stod(m[1]));
      rss.push_back(std::stod(m[2]) / mb);
    }
    if (std::regex_search(a.output, m, std::regex(R"(read \d+ MB: ([0-9.]+) s)"))) {
      r.push_back(mb / std::stod(m[1]));
    }
  }
  if (!w.empty()) {
    print("artifact_write_MB_per_s", median(w), "MB/s", 30, true);
    print("artifact_read_MB_per_s", median(r), "MB/s", 365, true);
    print("writer_peak_rss_over_array", median(rss), "x", 3, false);
  }

  // 4. `trellis get` of a small artifact from a fresh process.
  std::vector<double> get;
  const std::string get_cmd = g_build + "/bin/trellis get Linear/1/end/count" + store;
  timed(get_cmd);
  for (int i = 0; i < reps * 3; ++i) get.push_back(timed(get_cmd).seconds);
  print("trellis_get_small_s", median(get), "s", 0.24);

  // 5. Resume of a 5-step run failed at step 4: time from the resume command's
  // start until step 4's task starts (read back from the metadata).
  std::vector<double> resume;
  auto client = trellis::Client::open({.root = g_root});
  for (int i = 0; i < reps; ++i) {
    timed(flow("failing") + " run" + store, /*may_fail=*/true);  // fails at evaluate, step 4
    const int64_t t0 = trellis::now_unix_ms();
    timed("TRELLIS_EXAMPLE_FIXED=1 " + flow("failing") + " resume" + store);
    auto run = (*client)->latest_run("Failing");
    auto task = (*client)->task(*run, "evaluate");
    resume.push_back((task->started_ms - t0) / 1000.0);
  }
  print("resume_until_step4_starts_s", median(resume), "s", 0.84);
  std::filesystem::remove_all(g_root);
  return 0;
}
