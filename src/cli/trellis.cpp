// `trellis`: the one command users type. Engine subcommands are built in and
// start in milliseconds (no LibTorch, no OpenCV); any other `trellis NAME`
// runs the executable `trellis-NAME` found next to this one or on PATH.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <csignal>
#include <ctime>
#include <map>
#include <set>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "trellis/client/client.h"
#include "trellis/client/gc.h"
#include "trellis/core/clock.h"
#include "trellis/core/format.h"
#include "trellis/core/fs.h"
#include "trellis/core/hash.h"
#include "trellis/tracking/report.h"
#include "trellis/tracking/tensorboard.h"

namespace trellis {
namespace {

constexpr int kUsage = 2;

struct Cli {
  std::vector<std::string> args;  // positional
  std::map<std::string, std::string> options;
  std::vector<std::string> flags;
};

int usage(std::FILE* out) {
  std::fprintf(out,
      "usage: trellis [--root DIR | --datastore URL] [--metadata URL] <command> [args]\n\n"
      "  flows                         flows with recorded runs\n"
      "  runs FLOW [--tag T]           runs of a flow, newest first\n"
      "  show PATHSPEC                 a flow, run, step or task, with artifacts\n"
      "  get PATHSPEC/ARTIFACT         an artifact's value (JSON), or --out FILE for its bytes\n"
      "  logs PATHSPEC [--attempt N]   what a task printed\n"
      "  metrics PATHSPEC              scalars a task logged\n"
      "  tag add|remove|list FLOW/RUN [TAG]\n"
      "  report FLOW/RUN [-o FILE]      a self-contained HTML report of a run\n"
      "  export-tensorboard FLOW/RUN DIR   scalars and images as TensorBoard event files\n"
      "  config [set KEY VALUE | unset KEY]  the stores in force and where each came from\n"
      "  gc [--keep-runs N] [--keep-days D] [--grace-hours H] [--delete]\n"
      "                                runs past retention and blobs nothing refers to (dry run\n"
      "                                unless --delete)\n"
      "  blob get SHA256 --out FILE [--mode 0755]   one blob by its digest, hash-checked\n\n"
      "PATHSPEC is Flow[/run[/step[/task]]]; run may be 'latest'.\n"
      "Other commands run trellis-<command> (trellis data, trellis train, trellis serve).\n"
      "The stores: --root DIR (a local folder), or --datastore URL (a path, file:///path,\n"
      "s3://bucket/prefix) and --metadata URL (sqlite:///path.db, postgresql://...); else\n"
      "$TRELLIS_ROOT / $TRELLIS_DATASTORE / $TRELLIS_METADATA; else the config file\n"
      "(`trellis config`); else ./.trellis.\n");
  return out == stderr ? kUsage : 0;
}

int fail(const Status& s) {
  // Messages quote pathspecs, names and URLs as typed: escaped, they cannot forge lines.
  std::fprintf(stderr, "error: %s\n", escape_for_log(s.message()).c_str());
  return s.code() == Code::kInvalidArgument ? kUsage : 1;
}

std::string ago(int64_t ms) {
  if (ms == 0) return "-";
  return format_utc_ms(ms).substr(0, 19);
}

std::string duration(const RunRecord& r) {
  if (r.finished_ms == 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fs", (r.finished_ms - r.created_ms) / 1000.0);
  return buf;
}


// Alive and not a zombie waiting to be reaped.
bool process_alive(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");  // size 0 to stat(): no read_file
  std::string stat;
  std::getline(in, stat);
  const auto paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'Z';
}

// A run still "running" whose orchestrator is gone on this host was killed.
std::string run_state(const RunRecord& r) {
  std::string s(to_string(r.status));
  if (r.status == RunStatus::kRunning && r.orchestrator_pid > 0) {
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    if (r.host == host && !process_alive(static_cast<pid_t>(r.orchestrator_pid))) s = "killed";
  }
  return s;
}

int cmd_flows(Client& c) {
  auto flows = c.flows();
  if (!flows.ok()) return fail(flows.status());
  for (const auto& f : *flows) std::printf("%s\n", f.c_str());
  return 0;
}

int cmd_runs(Client& c, const Cli& cli) {
  if (cli.args.size() != 1) return usage(stderr);
  const std::string tag = cli.options.count("tag") ? cli.options.at("tag") : "";
  auto runs = c.runs(cli.args[0], tag);
  if (!runs.ok()) return fail(runs.status());
  std::printf("%-6s %-10s %-20s %-10s %-8s %s\n", "RUN", "STATUS", "STARTED (UTC)", "DURATION",
              "ORIGIN", "TAGS");
  for (const auto& r : *runs) {
    std::string tags;
    for (const auto& t : r.tags) tags += (tags.empty() ? "" : ",") + escape_for_log(t);
    std::printf("%-6lld %-10s %-20s %-10s %-8s %s\n", (long long)r.run_id, run_state(r).c_str(),
                ago(r.created_ms).c_str(), duration(r).c_str(),
                r.origin_run_id ? std::to_string(r.origin_run_id).c_str() : "-", tags.c_str());
  }
  return 0;
}

std::string preview(Client& c, const TaskRecord& t, const ArtifactRecord& a) {
  if (a.codec == "json" && a.size <= 120) {
    auto b = c.artifact_bytes(t, a.name);
    if (b.ok()) return *b;
  }
  if (a.codec == "npy" && a.size <= (16u << 20)) {
    auto b = c.artifact_bytes(t, a.name);
    if (b.ok()) {
      auto arr = parse_npy(std::move(b).value());
      if (arr.ok()) {
        std::string shape;
        for (auto d : arr->shape) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
        return std::string(dtype_name(arr->dtype)) + "[" + shape + "]";
      }
    }
  }
  return "";
}

int show_task(Client& c, const TaskRecord& t) {
  std::printf("task %s\n", pathspec_of(t).c_str());
  std::printf("  status     %s\n", std::string(to_string(t.status)).c_str());
  if (!t.cloned_from.empty()) std::printf("  cloned     from %s\n", t.cloned_from.c_str());
  if (!t.foreach_stack.empty()) std::printf("  foreach    %s\n", t.foreach_stack.dump().c_str());
  if (t.started_ms && t.finished_ms) {
    std::printf("  duration   %.2fs\n", (t.finished_ms - t.started_ms) / 1000.0);
  }
  auto attempts = c.attempts(t);
  if (attempts.ok()) {
    for (const auto& a : *attempts) {
      // Where it ran: "on slurm job 42, node gpu07" / "on local pid 1234".
      std::string where;
      if (!a.executor.empty()) {
        where = "  on " + a.executor;
        if (!a.job_id.empty()) where += (a.executor == "slurm" ? " job " : " ") + a.job_id;
        if (!a.host.empty()) where += ", node " + a.host;
        where = escape_for_log(where);
      }
      if (!a.ok && a.finished_ms == 0) {  // in flight: the reason is the queue state
        std::printf("  attempt %d  %s%s\n", a.attempt,
                    a.reason.empty() ? "running" : escape_for_log(a.reason).c_str(), where.c_str());
        continue;
      }
      std::printf("  attempt %d  %s%s%s\n", a.attempt, a.ok ? "ok" : "failed",
                  a.reason.empty() ? "" : (" (" + escape_for_log(a.reason) + ")").c_str(),
                  where.c_str());
    }
  }
  auto arts = c.artifacts(t);
  if (!arts.ok()) return fail(arts.status());
  std::printf("  artifacts:\n");
  for (const auto& a : *arts) {
    std::printf("    %-22s %-18s %-10s %s\n", escape_for_log(a.name).c_str(), a.type.c_str(),
                human_size(a.size).c_str(), preview(c, t, a).c_str());
  }
  if (arts->empty()) std::printf("    (none)\n");
  return 0;
}

int cmd_show(Client& c, const Cli& cli) {
  if (cli.args.size() != 1) return usage(stderr);
  auto p = Pathspec::parse(cli.args[0]);
  if (!p.ok()) return fail(p.status());
  if (p->run.empty()) return cmd_runs(c, Cli{{p->flow}, {}, {}});
  auto run = c.resolve_run(*p);
  if (!run.ok()) return fail(run.status());
  if (p->step.empty()) {
    std::printf("run %s/%lld\n", run->flow.c_str(), (long long)run->run_id);
    std::printf("  status     %s\n", run_state(*run).c_str());
    std::printf("  started    %s UTC\n", ago(run->created_ms).c_str());
    std::printf("  duration   %s\n", duration(*run).c_str());
    if (run->origin_run_id) std::printf("  resumed    from run %lld\n", (long long)run->origin_run_id);
    std::string tags;
    for (const auto& t : run->tags) tags += (tags.empty() ? "" : ", ") + escape_for_log(t);
    if (!tags.empty()) std::printf("  tags       %s\n", tags.c_str());
    std::printf("  parameters %s\n", run->params.dump().c_str());
    std::printf("  code       binary %s\n", run->code.value("binary", "").c_str());
    std::printf("             sha256 %s\n", run->code.value("binary_sha256", "").c_str());
    std::printf("             git %s%s, %s, %s\n", run->code.value("git_commit", "").c_str(),
                run->code.value("git_dirty", false) ? " (dirty)" : "",
                run->code.value("compiler", "").c_str(), run->code.value("build_type", "").c_str());
    if (run->code.contains("libraries")) {
      std::printf("             libraries %s\n", run->code["libraries"].dump().c_str());
    }
    auto tasks = c.tasks(*run);
    if (!tasks.ok()) return fail(tasks.status());
    std::printf("  steps:\n");
    std::map<std::string, std::map<std::string, int>> by_step;
    std::vector<std::string> order;
    for (const auto& t : *tasks) {
      if (!by_step.count(t.step)) order.push_back(t.step);
      ++by_step[t.step][std::string(to_string(t.status)) + (t.cloned_from.empty() ? "" : " (cloned)")];
    }
    for (const auto& s : order) {
      std::string states;
      for (const auto& [st, n] : by_step[s]) states += (states.empty() ? "" : ", ") + std::to_string(n) + " " + st;
      std::printf("    %-20s %s\n", s.c_str(), states.c_str());
    }
    return 0;
  }
  if (p->task.empty()) {
    auto tasks = c.tasks(*run, p->step);
    if (!tasks.ok()) return fail(tasks.status());
    if (tasks->size() == 1) return show_task(c, tasks->front());
    std::printf("step %s/%lld/%s: %zu tasks\n", run->flow.c_str(), (long long)run->run_id,
                p->step.c_str(), tasks->size());
    for (const auto& t : *tasks) {
      std::printf("  %-40s %s %s\n", pathspec_of(t).c_str(), std::string(to_string(t.status)).c_str(),
                  t.foreach_stack.empty() ? "" : t.foreach_stack.dump().c_str());
    }
    return 0;
  }
  auto t = c.resolve_task(*p);
  if (!t.ok()) return fail(t.status());
  return show_task(c, *t);
}

int cmd_get(Client& c, const Cli& cli) {
  if (cli.args.size() != 1) return usage(stderr);
  auto p = Pathspec::parse(cli.args[0]);
  if (!p.ok()) return fail(p.status());
  if (p->artifact.empty()) {
    return fail(invalid_argument("get needs Flow/run/step[/task]/artifact, got '" + cli.args[0] + "'"));
  }
  auto t = c.resolve_task(*p);
  if (!t.ok()) return fail(t.status());
  auto a = c.artifact(*t, p->artifact);
  if (!a.ok()) return fail(a.status());
  auto bytes = c.artifact_bytes(*t, p->artifact);
  if (!bytes.ok()) return fail(bytes.status());
  if (cli.options.count("out")) {
    const std::string out = cli.options.at("out");
    if (out == "-") {
      std::fwrite(bytes->data(), 1, bytes->size(), stdout);
      return 0;
    }
    Status s = atomic_write_file(out, *bytes);
    if (!s.ok()) return fail(s);
    std::fprintf(stderr, "wrote %s (%s, %s)\n", escape_for_log(out).c_str(),
                 human_size(bytes->size()).c_str(), a->codec.c_str());
    return 0;
  }
  if (a->codec == "json") {
    std::printf("%s\n", bytes->c_str());
    return 0;
  }
  if (a->codec == "npy") {
    auto arr = parse_npy(std::move(bytes).value());
    if (!arr.ok()) return fail(arr.status());
    Json j = {{"dtype", dtype_name(arr->dtype)}, {"shape", arr->shape}, {"codec", "npy"},
              {"hint", "use --out FILE.npy for the data (numpy.load reads it)"}};
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  Json j = {{"codec", a->codec}, {"type", a->type}, {"size", a->size},
            {"hint", "binary artifact: use --out FILE"}};
  std::printf("%s\n", j.dump().c_str());
  return 0;
}

int cmd_logs(Client& c, const Cli& cli) {
  if (cli.args.size() != 1) return usage(stderr);
  auto p = Pathspec::parse(cli.args[0]);
  if (!p.ok()) return fail(p.status());
  int attempt = -1;
  if (cli.options.count("attempt")) attempt = std::atoi(cli.options.at("attempt").c_str());
  auto t = c.resolve_task(*p);
  if (!t.ok()) return fail(t.status());
  auto logs = c.logs(*t, attempt);
  if (!logs.ok()) return fail(logs.status());
  std::fwrite(logs->data(), 1, logs->size(), stdout);
  return 0;
}

int cmd_metrics(Client& c, const Cli& cli) {
  if (cli.args.size() != 1) return usage(stderr);
  auto p = Pathspec::parse(cli.args[0]);
  if (!p.ok()) return fail(p.status());
  auto t = c.resolve_task(*p);
  if (!t.ok()) return fail(t.status());
  auto m = c.metrics(*t);
  if (!m.ok()) return fail(m.status());
  const bool json = std::find(cli.flags.begin(), cli.flags.end(), "json") != cli.flags.end();
  if (json) {
    Json out = Json::object();
    for (const auto& pt : *m) out[pt.name].push_back({pt.step, pt.value});
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  std::printf("%-24s %-8s %s\n", "NAME", "STEP", "VALUE");
  for (const auto& pt : *m) std::printf("%-24s %-8lld %.6g\n", pt.name.c_str(), (long long)pt.step, pt.value);
  return 0;
}

int cmd_tag(Client& c, const Cli& cli) {
  if (cli.args.size() < 2) return usage(stderr);
  const std::string& action = cli.args[0];
  auto p = Pathspec::parse(cli.args[1]);
  if (!p.ok()) return fail(p.status());
  auto run = c.resolve_run(*p);
  if (!run.ok()) return fail(run.status());
  if (action == "list") {
    for (const auto& t : run->tags) std::printf("%s\n", escape_for_log(t).c_str());
    return 0;
  }
  if (cli.args.size() != 3) return usage(stderr);
  Status s = action == "add"      ? c.metadata().add_tag(run->flow, run->run_id, cli.args[2])
             : action == "remove" ? c.metadata().remove_tag(run->flow, run->run_id, cli.args[2])
                                  : invalid_argument("tag: unknown action '" + action + "' (add, remove, list)");
  return s.ok() ? 0 : fail(s);
}

int cmd_report(Client& c, const Cli& cli) {
  if (cli.args.size() != 1) return usage(stderr);
  auto p = Pathspec::parse(cli.args[0]);
  if (!p.ok()) return fail(p.status());
  auto run = c.resolve_run(*p);
  if (!run.ok()) return fail(run.status());
  auto html = render_run_report(c, *run);
  if (!html.ok()) return fail(html.status());
  std::string out = cli.options.count("o") ? cli.options.at("o") : "";
  if (out.empty()) out = run->flow + "-" + std::to_string(run->run_id) + "-report.html";
  if (out == "-") {
    std::fwrite(html->data(), 1, html->size(), stdout);
    return 0;
  }
  Status s = atomic_write_file(out, *html);
  if (!s.ok()) return fail(s);
  std::printf("%s\n", std::filesystem::absolute(out).c_str());
  return 0;
}

int cmd_export_tensorboard(Client& c, const Cli& cli) {
  if (cli.args.size() != 2) return usage(stderr);
  auto p = Pathspec::parse(cli.args[0]);
  if (!p.ok()) return fail(p.status());
  auto run = c.resolve_run(*p);
  if (!run.ok()) return fail(run.status());
  auto files = export_tensorboard(c, *run, cli.args[1]);
  if (!files.ok()) return fail(files.status());
  std::printf("wrote %d event file(s) under %s (tensorboard --logdir %s)\n", *files,
              cli.args[1].c_str(), cli.args[1].c_str());
  return 0;
}

// `trellis config`: what is in force and where each value came from; `set`/`unset` edit the file.
int cmd_config(const ClientOptions& options, const Cli& cli) {
  const std::string path = config_file_path();
  if (!cli.args.empty()) {
    const std::string& verb = cli.args[0];
    if (verb == "set" && cli.args.size() == 3) {
      Status s = write_config_value(path, cli.args[1], cli.args[2]);
      if (!s.ok()) return fail(s);
      std::printf("%s = %s (in %s)\n", cli.args[1].c_str(), redact_url(cli.args[2]).c_str(), path.c_str());
      return 0;
    }
    if (verb == "unset" && cli.args.size() == 2) {
      Status s = write_config_value(path, cli.args[1], "");
      if (!s.ok()) return fail(s);
      std::printf("%s unset (in %s)\n", cli.args[1].c_str(), path.c_str());
      return 0;
    }
    return fail(invalid_argument("usage: trellis config [set KEY VALUE | unset KEY]"));
  }
  Result<StoreSettings> s = resolve_stores(options);
  if (!s.ok()) return fail(s.status());
  std::printf("%-10s %s\n%-10s from %s\n", "datastore", redact_url(s->datastore.value).c_str(), "",
              s->datastore.source.c_str());
  std::printf("%-10s %s\n%-10s from %s\n", "metadata", redact_url(s->metadata.value).c_str(), "",
              s->metadata.source.c_str());
  std::printf("%-10s %s%s\n", "config", s->config_path.c_str(),
              path_exists(s->config_path) ? "" : " (absent)");
  for (const char* section : {"s3", "slurm"}) {
    if (!s->config.contains(section)) continue;
    for (const auto& [k, v] : s->config[section].items()) {
      const std::string name = std::string(section) + "." + k;
      std::printf("  %-16s %s\n", name.c_str(), v.is_string() ? v.get<std::string>().c_str() : v.dump().c_str());
    }
  }
  return 0;
}

Result<int64_t> count_option(const Cli& cli, const std::string& name, int64_t fallback) {
  auto it = cli.options.find(name);
  if (it == cli.options.end()) return fallback;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end || errno || v < 0) {
    return invalid_argument("--" + name + " '" + it->second + "' is not a whole number >= 0");
  }
  return static_cast<int64_t>(v);
}

int cmd_gc(Client& c, const Cli& cli) {
  if (!cli.args.empty()) return fail(invalid_argument("gc takes no arguments, only options"));
  for (const auto& [name, v] : cli.options) {
    if (name != "keep-runs" && name != "keep-days" && name != "grace-hours" && name != "root" &&
        name != "datastore" && name != "metadata") {
      return fail(invalid_argument("gc: unknown option --" + name));
    }
  }
  GcOptions o;
  Result<int64_t> runs = count_option(cli, "keep-runs", -1), days = count_option(cli, "keep-days", -1),
                  grace = count_option(cli, "grace-hours", 1);
  for (const auto* r : {&runs, &days, &grace}) {
    if (!r->ok()) return fail(r->status());
  }
  o.keep_runs = *runs;
  o.keep_days = *days;
  o.grace = std::chrono::hours(*grace);
  o.dry_run = std::find(cli.flags.begin(), cli.flags.end(), "delete") == cli.flags.end();
  Result<GcReport> r = collect_garbage(c, o);
  if (!r.ok()) return fail(r.status());
  const char* would = o.dry_run ? "would delete" : "deleted";
  for (const auto& run : r->runs_deleted) std::printf("%s run %s\n", would, escape_for_log(run).c_str());
  for (const auto& run : r->runs_kept_by_alias) {
    std::printf("kept run %s: a registry alias points into it\n", escape_for_log(run).c_str());
  }
  for (const auto& run : r->runs_running) std::printf("kept run %s: still running\n", escape_for_log(run).c_str());
  std::printf("%s %zu run(s) and %llu of %llu blob(s), %s freed%s\n", would, r->runs_deleted.size(),
              (unsigned long long)r->blobs_deleted, (unsigned long long)r->blobs_total,
              human_size(r->bytes_freed).c_str(), o.dry_run ? " (dry run: add --delete)" : "");
  if (r->blobs_too_new) {
    std::printf("kept %llu unreferenced blob(s) newer than %s UTC (grace period or a running task)\n",
                (unsigned long long)r->blobs_too_new, format_utc_ms(r->cutoff_ms).substr(0, 19).c_str());
  }
  return 0;
}

// `trellis blob get SHA256 --out FILE [--mode 0755]`: one blob of the datastore
// by its digest, checked against it (how a Slurm job fetches a staged flow
// binary into its node's cache). The file appears whole, with its mode, or not
// at all: concurrent fetches on one node each rename a complete copy.
int cmd_blob(Client& c, const Cli& cli) {
  if (cli.args.size() != 2 || cli.args[0] != "get" || !cli.options.count("out")) {
    return fail(invalid_argument("usage: trellis blob get SHA256 --out FILE [--mode 0755]"));
  }
  const std::string& digest = cli.args[1];
  if (!is_sha256_hex(digest)) {
    return fail(invalid_argument("blob get: '" + digest + "' is not a SHA-256 (64 lower-case hex digits)"));
  }
  long mode = 0644;
  if (cli.options.count("mode")) {
    const std::string& m = cli.options.at("mode");
    char* end = nullptr;
    mode = std::strtol(m.c_str(), &end, 8);
    if (m.empty() || *end != '\0' || mode < 0 || mode > 07777) {
      return fail(invalid_argument("blob get: --mode '" + m + "' is not an octal file mode"));
    }
  }
  Result<std::string> bytes = c.content().get(digest);  // hash-checked
  if (!bytes.ok()) return fail(bytes.status());
  const std::string out = cli.options.at("out");
  const std::string tmp = out + ".part." + std::to_string(::getpid());
  Status st = atomic_write_file(tmp, *bytes);
  if (st.ok() && ::chmod(tmp.c_str(), static_cast<mode_t>(mode)) != 0) {
    st = io_error("chmod " + tmp + ": " + std::strerror(errno));
  }
  if (st.ok() && ::rename(tmp.c_str(), out.c_str()) != 0) {
    st = io_error("rename " + tmp + " to " + out + ": " + std::strerror(errno));
  }
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return fail(st);
  }
  std::fprintf(stderr, "wrote %s (%s, sha256 %s)\n", escape_for_log(out).c_str(),
               human_size(bytes->size()).c_str(), digest.c_str());
  return 0;
}

// git-style: `trellis NAME args` runs trellis-NAME from this folder or PATH.
int run_external(const std::string& name, int argc, char** argv, int first) {
  const std::string exe = "trellis-" + name;
  std::vector<std::string> candidates;
  const std::string self = self_exe_path();
  if (!self.empty()) candidates.push_back(std::filesystem::path(self).parent_path() / exe);
  if (const char* path = std::getenv("PATH")) {
    std::string_view rest(path);
    while (!rest.empty()) {
      auto colon = rest.find(':');
      std::string dir(rest.substr(0, colon));
      if (!dir.empty()) candidates.push_back(dir + "/" + exe);
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  for (const auto& c : candidates) {
    if (::access(c.c_str(), X_OK) != 0) continue;
    std::vector<char*> args;
    args.push_back(const_cast<char*>(c.c_str()));
    for (int i = first; i < argc; ++i) args.push_back(argv[i]);
    args.push_back(nullptr);
    ::execv(c.c_str(), args.data());
    std::fprintf(stderr, "error: cannot run %s: %s\n", escape_for_log(c).c_str(),
                 std::strerror(errno));
    return 1;
  }
  std::fprintf(stderr, "error: unknown command '%s' (no %s next to trellis or on PATH)\n",
               escape_for_log(name).c_str(), escape_for_log(exe).c_str());
  return kUsage;
}

}  // namespace
}  // namespace trellis

int main(int argc, char** argv) {
  using namespace trellis;
  ClientOptions options;
  int i = 1;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    bool matched = false;
    for (auto [name, field] : {std::pair<std::string, std::string*>{"--root", &options.root},
                               {"--datastore", &options.datastore},
                               {"--metadata", &options.metadata}}) {
      if (a == name && i + 1 < argc) *field = argv[++i];
      else if (a.rfind(name + "=", 0) == 0) *field = a.substr(name.size() + 1);
      else continue;
      matched = true;
    }
    if (!matched) break;
  }
  if (i >= argc) return usage(stderr);
  const std::string command = argv[i++];
  if (command == "help" || command == "--help" || command == "-h") return usage(stdout);
  static const std::set<std::string> kBuiltIn = {"flows", "runs", "show", "get", "logs", "metrics",
                                                 "tag", "report", "export-tensorboard", "config", "gc",
                                                 "blob"};
  if (!kBuiltIn.count(command)) return run_external(command, argc, argv, i);

  Cli cli;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-o" && i + 1 < argc) {
      cli.options["o"] = argv[++i];
    } else if (a.rfind("--", 0) == 0) {
      std::string name = a.substr(2), value;
      if (auto eq = name.find('='); eq != std::string::npos) {
        cli.options[name.substr(0, eq)] = name.substr(eq + 1);
      } else if (name == "json" || name == "delete") {
        cli.flags.push_back(name);
      } else if (i + 1 < argc) {
        cli.options[name] = argv[++i];
      } else {
        std::fprintf(stderr, "error: option --%s needs a value\n", escape_for_log(name).c_str());
        return kUsage;
      }
      if (name == "root") options.root = cli.options["root"];
      if (name == "datastore") options.datastore = cli.options["datastore"];
      if (name == "metadata") options.metadata = cli.options["metadata"];
    } else {
      cli.args.push_back(a);
    }
  }
  if (command == "config") return cmd_config(options, cli);
  auto client = Client::open(options);
  if (!client.ok()) return fail(client.status());
  Client& c = **client;
  if (command == "flows") return cmd_flows(c);
  if (command == "runs") return cmd_runs(c, cli);
  if (command == "show") return cmd_show(c, cli);
  if (command == "get") return cmd_get(c, cli);
  if (command == "logs") return cmd_logs(c, cli);
  if (command == "metrics") return cmd_metrics(c, cli);
  if (command == "report") return cmd_report(c, cli);
  if (command == "export-tensorboard") return cmd_export_tensorboard(c, cli);
  if (command == "gc") return cmd_gc(c, cli);
  if (command == "blob") return cmd_blob(c, cli);
  return cmd_tag(c, cli);
}
