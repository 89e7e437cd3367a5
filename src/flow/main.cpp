// trellis::main: the flow binary's command line (docs/user-guide.md).
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "flow/runner.h"
#include "trellis/core/format.h"
#include "trellis/core/hash.h"
#include "trellis/core/fs.h"
#include "trellis/stores/stores.h"
#include "trellis/trellis.hpp"

namespace trellis {
namespace {

constexpr int kUsageError = 2;
constexpr const char* kSpaceReserveName = "space-reserve";  // docs/formats/datastore.md
constexpr uint64_t kSpaceReserveBytes = 4u << 20;

struct Args {
  std::string command;
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;   // --name value / --name=value
  std::vector<std::string> tags;
  std::vector<std::string> flags;               // --name without value
};

const std::set<std::string> kValueOptions = {"root", "datastore", "metadata", "max-workers", "tag",
                                              "origin-run-id", "run-id", "task-id", "attempt",
                                              "caught-error", "executor"};
const std::set<std::string> kExecutors = {"local", "slurm"};
// What `run --on-cluster` asks for the orchestrator's own job (one cpu): it
// schedules, tails and records; the steps ask for their own resources.
constexpr int64_t kOrchestratorMemoryMb = 1024;

std::string_view type_name(ParamType t) {
  switch (t) {
    case ParamType::kInt: return "int";
    case ParamType::kDouble: return "double";
    case ParamType::kString: return "string";
    case ParamType::kBool: return "bool";
    case ParamType::kJson: return "json";
  }
  return "?";
}

const ParamSpec* find_param(const Flow& flow, const std::string& name) {
  for (const auto& p : flow.params()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

Result<Args> parse_args(const Flow& flow, int argc, char** argv) {
  Args a;
  int i = 1;
  if (i < argc) a.command = argv[i++];
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      a.positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2), value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (name == "on-cluster" && !has_value) {  // a flag of run/resume: never takes a value
      a.flags.push_back(name);
      continue;
    }
    const ParamSpec* p = find_param(flow, name);
    const bool is_bool = p && p->type == ParamType::kBool;
    // Unknown names take a following value too, so `--epochs 3` is reported
    // as an unknown option rather than a stray "3".
    const bool next_is_value = i + 1 < argc && std::string_view(argv[i + 1]).rfind("--", 0) != 0;
    const bool takes_value =
        kValueOptions.count(name) || (p && !is_bool) || (!p && next_is_value);
    if (!has_value && takes_value) {
      if (i + 1 >= argc) return invalid_argument("option --" + name + " needs a value");
      value = argv[++i];
      has_value = true;
    }
    if (name == "tag") {
      a.tags.push_back(value);
    } else if (has_value) {
      a.options[name] = value;
    } else {
      a.flags.push_back(name);
    }
  }
  return a;
}

Result<Json> convert_param(const ParamSpec& p, const std::string& text) {
  const std::string where = "parameter --" + p.name + ": '" + text + "' is not ";
  switch (p.type) {
    case ParamType::kInt: {
      char* end = nullptr;
      errno = 0;
      long long v = std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || *end || errno) return invalid_argument(where + "an integer");
      return Json(v);
    }
    case ParamType::kDouble: {
      char* end = nullptr;
      double v = std::strtod(text.c_str(), &end);
      if (text.empty() || *end) return invalid_argument(where + "a number");
      return Json(v);
    }
    case ParamType::kBool:
      if (text == "true" || text == "1" || text == "yes") return Json(true);
      if (text == "false" || text == "0" || text == "no") return Json(false);
      return invalid_argument(where + "a bool (true/false)");
    case ParamType::kString:
      return Json(text);
    case ParamType::kJson: {
      Result<Json> j = parse_json(text, "parameter --" + p.name);
      if (!j.ok()) return invalid_argument(where + "valid JSON");
      return j;
    }
  }
  return internal_error("unknown parameter type");
}

// Parameters of a run: defaults overridden by the command line.
Result<Json> collect_params(const Flow& flow, const Args& a, const std::set<std::string>& known) {
  Json params = Json::object();
  for (const auto& p : flow.params()) params[p.name] = p.default_value;
  auto unknown = [&](const std::string& name) {
    std::string list;
    for (const auto& p : flow.params()) list += " --" + p.name;
    return invalid_argument("unknown option --" + name + " (parameters of " + flow.name() + ":" +
                            (list.empty() ? " none" : list) + ")");
  };
  for (const auto& [name, value] : a.options) {
    if (known.count(name)) continue;
    const ParamSpec* p = find_param(flow, name);
    if (!p) return unknown(name);
    Result<Json> v = convert_param(*p, value);
    if (!v.ok()) return v.status();
    params[name] = *v;
  }
  for (const auto& name : a.flags) {
    const ParamSpec* p = find_param(flow, name);
    if (!p || p->type != ParamType::kBool) {
      if (p) return invalid_argument("option --" + name + " needs a value");
      return unknown(name);
    }
    params[name] = true;
  }
  return params;
}

Result<Stores> open_flow_stores(const Args& a) {
  auto opt = [&](const char* name) {
    auto it = a.options.find(name);
    return it == a.options.end() ? std::string() : it->second;
  };
  Result<StoreSettings> settings =
      resolve_stores({.root = opt("root"), .datastore = opt("datastore"), .metadata = opt("metadata")});
  if (!settings.ok()) return settings.status();
  return open_stores(*settings, OpenMode::kCreate);
}

void print_usage(const Flow& flow, std::FILE* out) {
  std::fprintf(out,
               "usage: %s <command> [options]\n\n"
               "commands:\n"
               "  run [--PARAM VALUE ...]   start a new run\n"
               "  resume [STEP]             new run reusing what a failed run finished\n"
               "         [--origin-run-id N]  (default: the latest run)\n"
               "  show                      the graph, steps and parameters\n"
               "  check                     validate the graph\n\n"
               "options: --root DIR (TRELLIS_ROOT, default ./.trellis), or --datastore URL\n"
               "         (TRELLIS_DATASTORE: a path, file:///path, s3://bucket/prefix) and\n"
               "         --metadata URL (TRELLIS_METADATA: sqlite:///path.db, postgresql://...);\n"
               "         `trellis config` shows what is in force. --max-workers N (default:\n"
               "         cores), --tag T, --executor local|slurm (every step) or\n"
               "         --executor STEP=slurm[,STEP=local...] (default: as each step declares),\n"
               "         --on-cluster (run/resume: the orchestrator itself as a Slurm job; prints\n"
               "         the run id and returns, the run goes on without this process)\n\n"
               "parameters of %s:\n",
               flow.name().c_str(), flow.name().c_str());
  for (const auto& p : flow.params()) {
    std::fprintf(out, "  --%-20s %-6s %s (default %s)\n", p.name.c_str(),
                 std::string(type_name(p.type)).c_str(), p.help.c_str(),
                 p.default_value.dump().c_str());
  }
  if (flow.params().empty()) std::fprintf(out, "  (none)\n");
}

int show(const Flow& flow, const GraphInfo& g) {
  std::printf("%s\n", flow.name().c_str());
  if (!flow.doc().empty()) std::printf("  %s\n", flow.doc().c_str());
  std::printf("\nsteps:\n");
  for (const auto& name : g.order) {
    const StepSpec& s = *flow.find(name);
    std::string arrow;
    switch (s.transition) {
      case Transition::kNone: arrow = "(end of flow)"; break;
      case Transition::kNext: arrow = "-> " + s.targets.front(); break;
      case Transition::kBranch:
        arrow = "branch ->";
        for (const auto& t : s.targets) arrow += " " + t;
        break;
      case Transition::kForeach:
        arrow = "foreach " + s.foreach_key + " -> " + s.targets.front();
        break;
    }
    std::printf("  %s%s  %s\n", name.c_str(), s.is_join ? " (join)" : "", arrow.c_str());
    if (!s.doc.empty()) std::printf("      %s\n", s.doc.c_str());
    std::string opts;
    if (s.retries) opts += " retry=" + std::to_string(s.retries);
    if (s.timeout.count()) opts += " timeout=" + std::to_string(s.timeout.count() / 1000.0).substr(0, 5) + "s";
    if (!s.catch_key.empty()) opts += " catch=" + s.catch_key;
    if (!s.executor.empty() && s.executor != "local") opts += " executor=" + s.executor;
    if (s.resources.cpus != 1 || s.resources.gpus || s.resources.memory_mb) {
      opts += " " + describe(s.resources);
    }
    if (!opts.empty()) std::printf("      options:%s\n", opts.c_str());
  }
  std::printf("\nparameters:\n");
  for (const auto& p : flow.params()) {
    std::printf("  --%s (%s, default %s) %s\n", p.name.c_str(), std::string(type_name(p.type)).c_str(),
                p.default_value.dump().c_str(), p.help.c_str());
  }
  return 0;
}

int usage_error(const std::string& message) {
  // Messages quote what the user typed: escaped, it cannot forge more lines.
  std::fprintf(stderr, "error: %s\n", escape_for_log(message).c_str());
  return kUsageError;
}

Result<int64_t> int_option(const Args& a, const std::string& name, int64_t fallback) {
  auto it = a.options.find(name);
  if (it == a.options.end()) return fallback;
  char* end = nullptr;
  long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end) {
    return invalid_argument("--" + name + ": '" + it->second + "' is not an integer");
  }
  return static_cast<int64_t>(v);
}

// Where each step runs: its declaration, overridden by `--executor NAME` (every
// step) or `--executor STEP=NAME[,STEP=NAME...]`.
Result<std::map<std::string, std::string>> step_executors(const Flow& flow, const Args& a) {
  std::map<std::string, std::string> out;
  for (const auto& s : flow.steps()) out[s->name] = s->executor.empty() ? "local" : s->executor;
  auto it = a.options.find("executor");
  if (it != a.options.end()) {
    const std::string& v = it->second;
    if (v.find('=') == std::string::npos) {
      for (auto& [step, name] : out) name = v;
    } else {
      size_t start = 0;
      while (start <= v.size()) {
        const size_t comma = std::min(v.find(',', start), v.size());
        const std::string pair = v.substr(start, comma - start);
        const size_t eq = pair.find('=');
        if (eq == std::string::npos) {
          return invalid_argument("--executor: '" + pair + "' is not STEP=EXECUTOR");
        }
        const std::string step = pair.substr(0, eq);
        if (!out.count(step)) {
          return invalid_argument("--executor: flow " + flow.name() + " has no step '" + step + "'");
        }
        out[step] = pair.substr(eq + 1);
        start = comma + 1;
      }
    }
  }
  for (const auto& [step, name] : out) {
    if (!kExecutors.count(name)) {
      return invalid_argument("step '" + step + "': unknown executor '" + name +
                              "' (local, slurm)");
    }
  }
  return out;
}

// Slurm settings: the config file's "slurm" object (docs/user-guide.md).
Result<SlurmExecutorOptions> slurm_options(const StoreSettings& settings) {
  SlurmExecutorOptions o;
  const Json c = settings.config.value("slurm", Json::object());
  const std::string where = "config " + settings.config_path + ": slurm.";
  if (!c.is_object()) return invalid_argument(where.substr(0, where.size() - 1) + " is not an object");
  auto text = [&](const char* key, std::string& out) -> Status {
    if (!c.contains(key)) return {};
    if (!c[key].is_string()) return invalid_argument(where + key + " is not a string");
    out = c[key].get<std::string>();
    return {};
  };
  for (auto [key, field] : {std::pair{"partition", &o.partition}, {"account", &o.account},
                            {"qos", &o.qos}, {"constraint", &o.constraint},
                            {"spool_dir", &o.spool_dir}, {"bin_dir", &o.bin_dir}}) {
    TRELLIS_RETURN_IF_ERROR(text(key, *field));
  }
  if (c.contains("extra_args")) {
    const Json& e = c["extra_args"];
    if (!e.is_array()) return invalid_argument(where + "extra_args is not an array of strings");
    for (const auto& x : e) {
      if (!x.is_string()) return invalid_argument(where + "extra_args is not an array of strings");
      o.extra_args.push_back(x.get<std::string>());
    }
  }
  for (auto [key, field] : {std::pair{"poll_ms", 0}, {"max_jobs", 1}}) {
    if (!c.contains(key)) continue;
    if (!c[key].is_number_integer() || c[key].get<int64_t>() <= 0) {
      return invalid_argument(where + key + " is not a positive integer");
    }
    if (field == 0) o.poll_interval = std::chrono::milliseconds(c[key].get<int64_t>());
    else o.max_jobs = static_cast<int>(c[key].get<int64_t>());
  }
  if (c.contains("arrays")) {
    if (!c["arrays"].is_boolean()) return invalid_argument(where + "arrays is not true or false");
    o.arrays = c["arrays"].get<bool>();
  }
  if (c.contains("array_throttle")) {
    if (!c["array_throttle"].is_number_integer() || c["array_throttle"].get<int64_t>() < 0) {
      return invalid_argument(where + "array_throttle is not a non-negative integer");
    }
    o.array_throttle = static_cast<int>(c["array_throttle"].get<int64_t>());
  }
  if (c.contains("code")) {
    if (c["code"] != "shared" && c["code"] != "staged") {
      return invalid_argument(where + "code is not \"shared\" or \"staged\"");
    }
    if (c["code"] == "staged") o.staged.path = self_exe_path();  // completed by stage_binary
  }
  TRELLIS_RETURN_IF_ERROR(text("node_cache", o.staged.node_cache));
  std::string trellis_bin = "trellis";  // on the nodes' PATH
  TRELLIS_RETURN_IF_ERROR(text("trellis_bin", trellis_bin));
  o.staged.fetch = {trellis_bin};
  if (o.spool_dir.empty()) {
    // Job scripts and output must be where the nodes see them: beside a local
    // datastore (which the nodes must share anyway), else under $HOME.
    const std::string root = settings.local_root();
    const char* home = std::getenv("HOME");
    o.spool_dir = !root.empty() ? root + "/slurm"
                                : std::string(home ? home : "/tmp") + "/.cache/trellis/slurm";
  }
  return o;
}

// Staged code (slurm.code = "staged"): the flow binary goes into the datastore
// once, named by its SHA-256, and each job fetches it into its node's cache
// with `trellis blob get`, which checks the hash.
Status stage_binary(SlurmExecutorOptions& o, const Stores& stores) {
  if (o.staged.path.empty()) return {};
  Result<std::string> bytes = read_file(o.staged.path);
  if (!bytes.ok()) return bytes.status().with_context("staging the flow binary");
  const std::string sha = sha256_hex(*bytes);
  Result<bool> there = stores.cas->contains(sha);
  if (!there.ok()) return there.status().with_context("staging the flow binary");
  if (!*there) {
    Result<BlobInfo> put = stores.cas->put(*bytes);
    if (!put.ok()) return put.status().with_context("staging the flow binary");
    std::printf("staged the flow binary (%s, sha256 %s) in %s\n", human_size(bytes->size()).c_str(),
                sha.c_str(), redact_url(stores.settings.datastore.value).c_str());
  }
  o.staged.sha256 = sha;
  for (const auto& a : stores.settings.args()) o.staged.fetch.push_back(a);
  for (const char* a : {"blob", "get"}) o.staged.fetch.emplace_back(a);
  o.staged.fetch.insert(o.staged.fetch.end(), {sha, "--mode", "0755", "--out"});
  return {};
}

// A resume gets the Slurm executor even when no step goes there now: jobs the
// killed orchestrator left are followed through it (settle_orphans).
Result<std::unique_ptr<Executor>> make_executor(const Stores& stores, int max_workers,
                                                const std::map<std::string, std::string>& steps,
                                                bool resume) {
  std::vector<std::pair<std::string, std::unique_ptr<Executor>>> list;
  list.emplace_back("local", make_local_executor({.max_workers = max_workers}));
  const bool used =
      std::any_of(steps.begin(), steps.end(), [](const auto& kv) { return kv.second == "slurm"; });
  if (used || resume) {
    Result<SlurmExecutorOptions> o = slurm_options(stores.settings);
    if (!o.ok()) return o.status();
    if (used) {
      TRELLIS_RETURN_IF_ERROR(stage_binary(*o, stores));
    } else {
      o->staged.path.clear();
    }
    list.emplace_back("slurm", make_slurm_executor(*o));
  }
  return make_routing_executor(std::move(list));
}

// `run --on-cluster`: the orchestrator itself becomes a small Slurm job, so the
// run outlives this process (a laptop that closes). Returns once the run
// exists, printing its id, or with the job's own error if it ended first.
int submit_orchestrator(const Flow& flow, const Stores& stores, const std::vector<std::string>& argv) {
  Result<SlurmExecutorOptions> so = slurm_options(stores.settings);
  if (!so.ok()) return usage_error(so.status().message());
  if (Status st = stage_binary(*so, stores); !st.ok()) {
    std::fprintf(stderr, "error: %s\n", st.to_string().c_str());
    return 1;
  }
  std::unique_ptr<Executor> slurm = make_slurm_executor(*so);
  JobSpec spec;
  spec.id = flow.name() + "/orchestrator";
  // The same command line, environment (sbatch exports it) and working
  // directory (sbatch's default): the job resolves the same stores and config.
  spec.argv = argv;
  spec.resources = {.cpus = 1, .gpus = 0, .memory_mb = kOrchestratorMemoryMb};
  if (Status st = slurm->check(spec); !st.ok()) {
    std::fprintf(stderr, "error: %s\n", st.message().c_str());
    return 1;
  }
  if (Status st = slurm->submit(spec); !st.ok()) {
    std::fprintf(stderr, "error: %s\n", st.message().c_str());
    return 1;
  }
  const std::string started = flow.name() + "/";
  Placement where;
  while (true) {
    Result<std::vector<JobEvent>> events = slurm->poll(std::chrono::milliseconds(1000));
    if (!events.ok()) {
      std::fprintf(stderr, "error: following the orchestrator's Slurm job %s: %s\n",
                   where.job_id.c_str(), events.status().message().c_str());
      return 1;
    }
    for (const JobEvent& e : *events) {
      if (e.kind == JobEvent::Kind::kPlaced) {
        if (where.job_id.empty()) {
          std::printf("submitted the orchestrator as Slurm job %s; waiting for the run to start "
                      "(Ctrl-C stops waiting, not the job)\n", e.placement.job_id.c_str());
        } else if (e.placement.state.rfind("queued (", 0) == 0) {
          std::printf("Slurm job %s is %s\n", e.placement.job_id.c_str(), e.placement.state.c_str());
        }
        where = e.placement;
      } else if (e.kind == JobEvent::Kind::kOutput) {
        std::fputs(e.text.c_str(), stdout);
        // "Flow/N: run started": the run exists; it goes on without us.
        if (e.text.rfind(started, 0) == 0 && e.text.find(": run started") != std::string::npos) {
          const std::string run = e.text.substr(0, e.text.find(':'));
          std::printf("%s runs on the cluster as Slurm job %s%s; its console output: %s\n"
                      "follow it: trellis runs %s; trellis show %s; trellis logs %s/STEP\n"
                      "stop it: scancel %s (cancels its steps' jobs too)\n",
                      run.c_str(), where.job_id.c_str(),
                      where.host.empty() ? "" : (" on " + where.host).c_str(),
                      where.output_path.c_str(), flow.name().c_str(), run.c_str(), run.c_str(),
                      where.job_id.c_str());
          std::fflush(stdout);
          return 0;
        }
      } else {
        std::fprintf(stderr, "error: the orchestrator's Slurm job %s ended before the run started: %s\n",
                     where.job_id.c_str(), e.exit.reason.c_str());
        return e.exit.exit_code > 0 ? e.exit.exit_code : 1;
      }
    }
    std::fflush(stdout);
  }
}

int run_or_resume(Flow& flow, const GraphInfo& g, const Args& args, bool resume,
                  const std::vector<std::string>& argv) {
  static const std::set<std::string> kRunOptions = {"root", "datastore", "metadata", "max-workers",
                                                     "origin-run-id", "executor"};
  const bool on_cluster = std::find(args.flags.begin(), args.flags.end(), "on-cluster") != args.flags.end();
  Args a = args;
  std::erase(a.flags, std::string("on-cluster"));
  Result<Stores> stores = open_flow_stores(a);
  if (!stores.ok()) return usage_error(stores.status().to_string());
  Result<int64_t> workers = int_option(a, "max-workers", 0);
  if (!workers.ok()) return usage_error(workers.status().message());
  OrchestratorOptions o;
  o.executable = self_exe_path();
  o.store_args = stores->settings.args();
  o.store_env = stores->settings.env();
  for (const char* name : {"root", "datastore", "metadata"}) {
    if (a.options.count(name)) {
      o.resume_hint_args += std::string(" --") + name + " " + shell_quote(a.options.at(name));
    }
  }
  o.tags = a.tags;
  o.code = code_identity(flow);
  if (resume) {
    if (!a.flags.empty()) return usage_error("unknown option --" + a.flags.front());
    for (const auto& [name, v] : a.options) {
      if (!kRunOptions.count(name)) {
        return usage_error("resume takes no parameters (--" + name +
                           "); a resumed run keeps its origin's parameters");
      }
    }
    Result<int64_t> origin = int_option(a, "origin-run-id", 0);
    if (!origin.ok()) return usage_error(origin.status().message());
    o.origin_run_id = *origin;
    if (o.origin_run_id == 0) {
      Result<std::vector<RunRecord>> runs = stores->md->list_runs(flow.name());
      if (!runs.ok()) return usage_error(runs.status().to_string());
      if (runs->empty()) return usage_error("no run of " + flow.name() + " to resume");
      o.origin_run_id = runs->front().run_id;
    }
    Result<RunRecord> origin_run = stores->md->get_run(flow.name(), o.origin_run_id);
    if (!origin_run.ok()) return usage_error(origin_run.status().message());
    o.params = origin_run->params;
    if (a.positional.size() > 1) return usage_error("resume takes at most one step name");
    if (!a.positional.empty()) {
      o.resume_step = a.positional.front();
      if (!flow.find(o.resume_step)) {
        return usage_error("flow " + flow.name() + " has no step '" + o.resume_step + "'");
      }
    }
    if (origin_run->code.value("binary_sha256", "") != o.code.value("binary_sha256", "")) {
      std::printf("note: the flow binary changed since run %lld (resuming with the new one)\n",
                  (long long)o.origin_run_id);
    }
  } else {
    if (!a.positional.empty()) return usage_error("unexpected argument '" + a.positional.front() + "'");
    Result<Json> params = collect_params(flow, a, kRunOptions);
    if (!params.ok()) return usage_error(params.status().message());
    o.params = *params;
  }
  if (const std::string root = stores->settings.local_root(); !root.empty()) {
    // Leftovers of task processes killed mid-write, in earlier runs.
    if (Result<TempSweepResult> swept = remove_stale_temp_files(root + "/objects");
        swept.ok() && swept->removed > 0) {
      std::printf("note: removed %d stale temp file(s) (%s) left by killed writers\n",
                  swept->removed, human_size(swept->bytes).c_str());
    }
    // Freed only if the disk fills, so that the run's end can still be recorded.
    const std::string reserve = root + "/" + kSpaceReserveName;
    (void)reserve_space(reserve, kSpaceReserveBytes);  // best effort: the disk may be full now
    o.release_reserve = [reserve] { return release_space(reserve); };
  }
  Result<std::map<std::string, std::string>> placement = step_executors(flow, a);
  if (!placement.ok()) return usage_error(placement.status().message());
  if (on_cluster) return submit_orchestrator(flow, *stores, argv);
  o.step_executors = *placement;
  if (a.options.count("executor")) o.resume_hint_args += " --executor " + shell_quote(a.options.at("executor"));
  Result<std::unique_ptr<Executor>> executor =
      make_executor(*stores, static_cast<int>(*workers), o.step_executors, resume);
  if (!executor.ok()) return usage_error(executor.status().message());
  return orchestrate(flow, g, *stores->md, *stores->cas, **executor, o);
}

int step_command(Flow& flow, const Args& a) {
  if (a.positional.size() != 1) return usage_error("step needs exactly one step name");
  Result<Stores> stores = open_flow_stores(a);
  if (!stores.ok()) return usage_error(stores.status().to_string());
  StepCommand cmd;
  cmd.step = a.positional.front();
  Result<int64_t> run = int_option(a, "run-id", 0), task = int_option(a, "task-id", 0),
                  attempt = int_option(a, "attempt", 0);
  if (!run.ok() || !task.ok() || !attempt.ok() || *run <= 0 || *task <= 0) {
    return usage_error("step needs --run-id N --task-id N [--attempt N]");
  }
  cmd.run_id = *run;
  cmd.task_id = *task;
  cmd.attempt = static_cast<int>(*attempt);
  if (a.options.count("caught-error")) cmd.caught_error = a.options.at("caught-error");
  return run_task(flow, cmd, *stores->tasks);
}

}  // namespace

int main(Flow& flow, int argc, char** argv) {
  Result<Args> args = parse_args(flow, argc, argv);
  if (!args.ok()) return usage_error(args.status().message());
  const Args& a = *args;
  if (a.command.empty() || a.command == "help" || a.command == "--help" || a.command == "-h") {
    print_usage(flow, a.command.empty() ? stderr : stdout);
    return a.command.empty() ? kUsageError : 0;
  }
  for (const auto& f : a.flags) {
    if (f == "help") {
      print_usage(flow, stdout);
      return 0;
    }
  }
  Result<GraphInfo> graph = analyze_flow(flow);
  if (!graph.ok()) {
    std::fprintf(stderr, "error: flow %s is not valid:\n%s\n", flow.name().c_str(),
                 graph.status().message().c_str());
    return kUsageError;
  }
  if (a.command == "check") {
    std::printf("flow %s is valid (%zu steps)\n", flow.name().c_str(), flow.steps().size());
    return 0;
  }
  if (a.command == "show") return show(flow, *graph);
  // The command line a job on the cluster re-runs: this one, less --on-cluster.
  std::vector<std::string> again = {self_exe_path()};
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) != "--on-cluster") again.emplace_back(argv[i]);
  }
  if (a.command == "run") return run_or_resume(flow, *graph, a, false, again);
  if (a.command == "resume") return run_or_resume(flow, *graph, a, true, again);
  if (a.command == "step") return step_command(flow, a);
  return usage_error("unknown command '" + a.command + "' (run, resume, show, check)");
}

}  // namespace trellis
