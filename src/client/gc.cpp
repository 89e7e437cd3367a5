#include "trellis/client/gc.h"

#include <algorithm>
#include <set>

#include "trellis/core/clock.h"

namespace trellis {
namespace {

constexpr int64_t kDayMs = 24 * 3600 * 1000LL;

// "Flow/7" of the run an alias points into, when its value names a pathspec.
std::string run_of_alias(const Json& value) {
  if (!value.is_object() || !value.contains("pathspec") || !value["pathspec"].is_string()) return "";
  Result<Pathspec> p = Pathspec::parse(value["pathspec"].get<std::string>());
  if (!p.ok() || p->run_id() == 0) return "";
  return Pathspec::of_run(p->flow, p->run_id()).str();
}

bool is_digest(std::string_view s) {
  if (s.size() != 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Every digest the rows of a run name, with the images inside its tables.
Status mark_run(Client& c, const RunRecord& run, std::set<std::string>& marked) {
  MetadataStore& md = c.metadata();
  Result<std::vector<std::string>> digests = md.run_digests(run.flow, run.run_id);
  if (!digests.ok()) return digests.status();
  marked.insert(digests->begin(), digests->end());
  Result<std::vector<TaskRecord>> tasks = md.list_tasks(run.flow, run.run_id);
  if (!tasks.ok()) return tasks.status();
  for (const auto& t : *tasks) {
    Result<std::vector<MediaRecord>> media = md.list_media(run.flow, run.run_id, t.task_id);
    if (!media.ok()) return media.status();
    for (const auto& m : *media) {
      if (m.kind != "table") continue;
      Result<std::string> text = c.blob(m.digest);
      if (!text.ok()) continue;  // a lost table cannot keep anything alive
      Result<Json> doc = parse_json(*text, "table " + m.name);
      if (!doc.ok() || !doc->contains("rows")) continue;
      for (const auto& row : (*doc)["rows"]) {
        for (const auto& cell : row) {
          if (cell.is_object() && cell.contains("image") && cell["image"].is_string()) {
            marked.insert(cell["image"].get<std::string>());
          }
        }
      }
    }
  }
  return {};
}

}  // namespace

Result<GcReport> collect_garbage(Client& c, const GcOptions& o) {
  GcReport report;
  MetadataStore& md = c.metadata();
  const int64_t now = o.now_ms ? o.now_ms : now_unix_ms();
  std::set<std::string> by_alias;
  Result<std::vector<std::pair<std::string, Json>>> aliases = md.list_aliases();
  if (!aliases.ok()) return aliases.status();
  for (const auto& [name, value] : *aliases) {
    if (std::string r = run_of_alias(value); !r.empty()) by_alias.insert(r);
  }
  Result<std::vector<std::string>> flows = md.list_flows();
  if (!flows.ok()) return flows.status();

  // 1. Runs: decide, delete (unless dry), and mark what the kept ones name.
  std::set<std::string> marked;
  int64_t cutoff = now - o.grace.count();
  for (const auto& flow : *flows) {
    Result<std::vector<RunRecord>> runs = md.list_runs(flow);  // newest first
    if (!runs.ok()) return runs.status();
    int64_t rank = 0;
    for (const auto& run : *runs) {
      const std::string name = Pathspec::of_run(run.flow, run.run_id).str();
      const bool by_count = o.keep_runs >= 0 && rank++ < o.keep_runs;
      const bool by_age = o.keep_days >= 0 && now - run.created_ms < o.keep_days * kDayMs;
      const bool no_rule = o.keep_runs < 0 && o.keep_days < 0;
      bool keep = no_rule || by_count || by_age;
      if (run.status == RunStatus::kRunning) {
        report.runs_running.push_back(name);
        keep = true;
        // Its tasks may have stored blobs that no done record names yet.
        Result<std::vector<TaskRecord>> tasks = md.list_tasks(run.flow, run.run_id);
        if (!tasks.ok()) return tasks.status();
        for (const auto& t : *tasks) {
          if (t.status == TaskStatus::kDone) continue;
          const int64_t since = t.started_ms ? t.started_ms : t.created_ms;
          if (since > 0) cutoff = std::min(cutoff, since);
        }
        cutoff = std::min(cutoff, run.created_ms);
      } else if (!keep && by_alias.count(name)) {
        report.runs_kept_by_alias.push_back(name);
        keep = true;
      }
      if (keep) {
        TRELLIS_RETURN_IF_ERROR(mark_run(c, run, marked));
        continue;
      }
      report.runs_deleted.push_back(name);
      if (!o.dry_run) {
        Status s = md.delete_run(run.flow, run.run_id);
        if (!s.ok() && s.code() != Code::kNotFound) return s.with_context("deleting run " + name);
      }
    }
  }
  // A dry run has deleted nothing: what it would free is what the kept runs do not name.
  report.cutoff_ms = cutoff;

  // 2. Blobs: listed after marking, so one stored by a task finishing meanwhile
  // is either marked or newer than the listing saw it (and re-checked below).
  Storage& storage = c.content().storage();
  Result<std::vector<ObjectEntry>> objects = storage.list_entries("objects/");
  if (!objects.ok()) return objects.status().with_context("listing blobs of " + storage.url());
  for (const auto& e : *objects) {
    const std::string_view key = e.key;
    const size_t slash = key.rfind('/');
    const std::string_view digest = key.substr(slash + 1);
    if (!is_digest(digest)) continue;  // temp files: a run's start sweeps those
    ++report.blobs_total;
    if (marked.count(std::string(digest))) {
      ++report.blobs_referenced;
      continue;
    }
    // S3 times have whole seconds: a second of margin keeps a blob written just after the cutoff.
    if (e.modified_ms + 1000 > cutoff) {
      ++report.blobs_too_new;
      continue;
    }
    if (!o.dry_run) {
      // Re-check: a task may have reused (and refreshed) it since the listing.
      Result<std::vector<ObjectEntry>> now_entry = storage.list_entries(e.key);
      if (!now_entry.ok()) return now_entry.status();
      if (now_entry->empty() || now_entry->front().key != e.key) continue;
      if (now_entry->front().modified_ms + 1000 > cutoff) {
        ++report.blobs_too_new;
        continue;
      }
      Status s = storage.remove(e.key);
      if (!s.ok()) return s.with_context("removing " + e.key);
    }
    ++report.blobs_deleted;
    report.bytes_freed += e.size;
  }
  return report;
}

}  // namespace trellis
