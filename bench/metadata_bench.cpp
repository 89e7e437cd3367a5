// What a fresh `trellis get` process pays for metadata: open_metadata(URL) (connect and
// schema check), get_run, list_artifacts. Prints `name value` lines (milliseconds).
// Usage: metadata_bench URL [--setup]   (--setup writes run F/1 with one task first)
#include <chrono>
#include <cstdio>
#include <string>

#include "trellis/metadata/metadata_store.h"

namespace {

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: metadata_bench URL [--setup]\n");
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  auto md = trellis::open_metadata(argv[1]);
  if (!md.ok()) {
    std::fprintf(stderr, "%s\n", md.status().to_string().c_str());
    return 1;
  }
  const double open_ms = ms_since(start);
  if (argc > 2 && std::string(argv[2]) == "--setup") {
    trellis::RunRecord run;
    run.flow = "F";
    const int64_t id = *(*md)->create_run(run);
    trellis::TaskRecord task;
    task.flow = "F";
    task.run_id = id;
    task.task_id = 1;
    task.step = "start";
    if (!(*md)->create_task(task).ok()) return 1;
    if (!(*md)
             ->finish_task("F", id, 1, {{"x", std::string(64, 'a'), "json", "int64", 2}}, -1)
             .ok()) {
      return 1;
    }
    std::printf("setup_run_id %lld\n", static_cast<long long>(id));
    return 0;
  }
  const auto read = std::chrono::steady_clock::now();
  auto run = (*md)->get_run("F", 1);
  const double get_run_ms = ms_since(read);
  const auto list = std::chrono::steady_clock::now();
  auto arts = (*md)->list_artifacts("F", 1, 1);
  const double list_ms = ms_since(list);
  if (!run.ok() || !arts.ok() || arts->empty()) {
    std::fprintf(stderr, "run F/1 with artifacts of task 1 expected (run with --setup first)\n");
    return 1;
  }
  std::printf(
      "metadata_open_ms %.2f\nmetadata_get_run_ms %.2f\nmetadata_list_artifacts_ms %.2f\n"
      "metadata_total_ms %.2f\n",
      open_ms, get_run_ms, list_ms, ms_since(start));
  return 0;
}
