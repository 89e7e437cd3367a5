#include "trellis/tracking/report.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "tracking/html.h"
#include "trellis/core/clock.h"
#include "trellis/core/format.h"

namespace trellis {
namespace {

using html::escape;

constexpr const char* kStyle = R"css(
:root{--fg:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f8fafc;--ok:#16a34a;--bad:#dc2626;--run:#2563eb;--clone:#64748b}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#0f172a;color:#fff;padding:22px 32px}header h1{margin:0;font-size:22px;font-weight:600}
header .meta{color:#cbd5e1;margin-top:6px}main{padding:8px 32px 40px;max-width:1400px}
section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:18px 22px;margin:18px 0}
h2{font-size:16px;margin:0 0 12px}h3{font-size:14px;margin:16px 0 8px;color:#334155}
.badge{display:inline-block;padding:2px 10px;border-radius:999px;font-size:12px;font-weight:600;color:#fff;margin-left:10px;vertical-align:middle}
.succeeded,.done{background:var(--ok)}.failed{background:var(--bad)}.running,.pending{background:var(--run)}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600;font-size:12px;text-transform:uppercase;letter-spacing:.03em}
td.num{font-variant-numeric:tabular-nums;text-align:right}code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.grid2{display:grid;grid-template-columns:repeat(auto-fill,minmax(440px,1fr));gap:14px}
.kv td:first-child{color:var(--muted);width:180px}
svg.chart{width:100%;height:auto;background:#fff;border:1px solid var(--line);border-radius:8px}
svg .grid{stroke:#eef2f7}svg .ax{font-size:11px;fill:var(--muted)}svg .ct{font-size:13px;font-weight:600;fill:var(--fg)}
.graph{overflow-x:auto}.graph text{font-size:12px}.graph .node rect{rx:8}
figure.det{margin:0;display:inline-block;max-width:100%}.imgbox{position:relative;display:inline-block;line-height:0}
.imgbox img{max-width:100%;max-height:340px;display:block}.imgbox svg{position:absolute;inset:0;width:100%;height:100%}
.imgbox .bl{fill:#fff;font-family:system-ui,sans-serif}figcaption{color:var(--muted);font-size:12px;margin-top:4px}
.summary{display:flex;flex-wrap:wrap;gap:12px}.card{border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:150px}
.card .v{font-size:22px;font-weight:600}.card .k{color:var(--muted);font-size:12px}
.muted{color:var(--muted)}
)css";

struct StepInfo {
  std::string name;
  int tasks = 0, done = 0, failed = 0, cloned = 0;
  int64_t first_start = 0, last_end = 0;
  std::set<std::string> parents;
  int layer = 0;
};

std::string state_of(const StepInfo& s) {
  if (s.failed) return "failed";
  if (s.done == s.tasks) return s.cloned == s.tasks ? "cloned" : "done";
  return "running";
}

std::string graph_svg(const std::vector<TaskRecord>& tasks) {
  std::map<std::string, StepInfo> steps;
  std::vector<std::string> order;
  std::map<int64_t, std::string> step_of;
  for (const auto& t : tasks) step_of[t.task_id] = t.step;
  for (const auto& t : tasks) {
    auto [it, inserted] = steps.try_emplace(t.step);
    StepInfo& s = it->second;
    if (inserted) {
      s.name = t.step;
      order.push_back(t.step);
    }
    ++s.tasks;
    if (t.status == TaskStatus::kDone) ++s.done;
    if (t.status == TaskStatus::kFailed) ++s.failed;
    if (!t.cloned_from.empty()) ++s.cloned;
    if (t.started_ms && (!s.first_start || t.started_ms < s.first_start)) s.first_start = t.started_ms;
    s.last_end = std::max(s.last_end, t.finished_ms);
    for (const auto& in : t.inputs) {
      auto p = step_of.find(in.get<int64_t>());
      if (p != step_of.end()) s.parents.insert(p->second);
    }
  }
  // Layers by longest path; tasks come in scheduling order, so parents first.
  std::map<int, std::vector<std::string>> layers;
  for (const auto& name : order) {
    StepInfo& s = steps[name];
    for (const auto& p : s.parents) s.layer = std::max(s.layer, steps[p].layer + 1);
    layers[s.layer].push_back(name);
  }
  constexpr int kW = 150, kH = 54, kGapX = 46, kGapY = 18;
  size_t tallest = 1;
  for (auto& [l, names] : layers) tallest = std::max(tallest, names.size());
  const int width = static_cast<int>(layers.size()) * (kW + kGapX) + 10;
  const int height = static_cast<int>(tallest) * (kH + kGapY) + 10;
  std::map<std::string, std::pair<int, int>> pos;
  for (auto& [l, names] : layers) {
    const int offset = (static_cast<int>(tallest - names.size()) * (kH + kGapY)) / 2;
    for (size_t i = 0; i < names.size(); ++i) {
      pos[names[i]] = {5 + l * (kW + kGapX), 5 + offset + static_cast<int>(i) * (kH + kGapY)};
    }
  }
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "<svg class=\"graph\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">"
                "<defs><marker id=\"arr\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" "
                "markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" fill=\"#94a3b8\"/></marker></defs>",
                width, height, width, height);
  std::string svg = buf;
  for (const auto& name : order) {
    for (const auto& p : steps[name].parents) {
      auto [x1, y1] = pos[p];
      auto [x2, y2] = pos[name];
      std::snprintf(buf, sizeof buf,
                    "<path d=\"M%d,%d C%d,%d %d,%d %d,%d\" fill=\"none\" stroke=\"#94a3b8\" "
                    "stroke-width=\"1.5\" marker-end=\"url(#arr)\"/>",
                    x1 + kW, y1 + kH / 2, x1 + kW + kGapX / 2, y1 + kH / 2, x2 - kGapX / 2,
                    y2 + kH / 2, x2 - 2, y2 + kH / 2);
      svg += buf;
    }
  }
  static const std::map<std::string, std::string> kColour = {
      {"done", "#16a34a"}, {"failed", "#dc2626"}, {"running", "#2563eb"}, {"cloned", "#64748b"}};
  for (const auto& name : order) {
    const StepInfo& s = steps[name];
    auto [x, y] = pos[name];
    const std::string state = state_of(s);
    std::string sub = s.tasks > 1 ? std::to_string(s.tasks) + " tasks" : state;
    if (s.cloned && state != "cloned") sub += ", " + std::to_string(s.cloned) + " cloned";
    const std::string dur = s.first_start && s.last_end ? human_duration_ms(s.last_end - s.first_start) : "";
    std::snprintf(buf, sizeof buf,
                  "<g class=\"node\"><title>%s</title><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                  "rx=\"8\" fill=\"#fff\" stroke=\"%s\" stroke-width=\"2\"/>"
                  "<rect x=\"%d\" y=\"%d\" width=\"6\" height=\"%d\" rx=\"3\" fill=\"%s\"/>"
                  "<text x=\"%d\" y=\"%d\" font-weight=\"600\">",
                  escape(name).c_str(), x, y, kW, kH, kColour.at(state).c_str(), x, y, kH,
                  kColour.at(state).c_str(), x + 14, y + 21);
    svg += buf + escape(name) + "</text>";
    std::snprintf(buf, sizeof buf, "<text x=\"%d\" y=\"%d\" fill=\"#6b7280\">", x + 14, y + 40);
    svg += buf + escape(sub + (dur.empty() ? "" : " · " + dur)) + "</text></g>";
  }
  return svg + "</svg>";
}

std::string kv_row(const std::string& k, const std::string& v) {
  return "<tr><td>" + escape(k) + "</td><td>" + v + "</td></tr>";
}

std::string render_table(Client& c, const std::string& json_text) {
  Result<Json> doc = parse_json(json_text, "table");
  if (!doc.ok()) return "<p class=\"muted\">(unreadable table)</p>";
  std::string out = "<table><tr>";
  for (const auto& col : (*doc)["columns"]) out += "<th>" + escape(col.get<std::string>()) + "</th>";
  out += "</tr>";
  for (const auto& row : (*doc)["rows"]) {
    out += "<tr>";
    for (const auto& cell : row) {
      if (cell.is_number()) {
        out += "<td class=\"num\">" + escape(html::fmt_number(cell.get<double>())) + "</td>";
      } else if (cell.is_string()) {
        out += "<td>" + escape(cell.get<std::string>()) + "</td>";
      } else if (cell.is_object() && cell.contains("image")) {
        Result<std::string> bytes = c.blob(cell["image"].get<std::string>());
        out += "<td>" + (bytes.ok() ? html::image_with_boxes(*bytes, cell.value("format", "png"),
                                                              cell.value("width", 0), cell.value("height", 0),
                                                              boxes_from_json(cell["boxes"]),
                                                              cell.value("caption", ""))
                                    : "<span class=\"muted\">(missing image)</span>") + "</td>";
      } else {
        out += "<td></td>";
      }
    }
    out += "</tr>";
  }
  return out + "</table>";
}

}  // namespace

Result<std::string> render_run_report(Client& c, const RunRecord& run) {
  Result<std::vector<TaskRecord>> tasks = c.tasks(run);
  if (!tasks.ok()) return tasks.status();
  const std::string title = run.flow + " / run " + std::to_string(run.run_id);
  std::string status(to_string(run.status));
  std::string out = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>" +
                    escape(title) + "</title><style>" + kStyle + "</style></head><body>";
  out += "<header><h1>" + escape(title) + "<span class=\"badge " + status + "\">" + status +
         "</span></h1><div class=\"meta\">started " + escape(format_utc_ms(run.created_ms)) +
         (run.finished_ms ? " · took " + human_duration_ms(run.finished_ms - run.created_ms) : "") +
         (run.origin_run_id ? " · resumed from run " + std::to_string(run.origin_run_id) : "");
  for (const auto& t : run.tags) out += " · #" + escape(t);
  // A flow's own last step stores a report while its run is still running; say so, so a
  // reader of that stored copy knows it is a snapshot and how to get the final state.
  if (run.status == RunStatus::kRunning) {
    out += " · snapshot of " + escape(format_utc_ms(now_unix_ms())) +
           ", taken while the run was in progress (<code>trellis report " + escape(run.flow) + "/" +
           std::to_string(run.run_id) + "</code> renders the current state)";
  }
  out += "</div></header><main>";

  // Summary values first: what a person looks for.
  std::map<int64_t, std::vector<MetricPoint>> metrics_of;
  std::map<int64_t, std::vector<MediaRecord>> media_of;
  std::string cards;
  for (const auto& t : *tasks) {
    Result<std::vector<MetricPoint>> m = c.metrics(t);
    if (m.ok()) metrics_of[t.task_id] = *m;
    Result<std::vector<MediaRecord>> md = c.media(t);
    if (md.ok()) media_of[t.task_id] = *md;
    for (const auto& p : metrics_of[t.task_id]) {
      if (p.step != kSummaryStep) continue;
      cards += "<div class=\"card\"><div class=\"v\">" + escape(html::fmt_number(p.value)) +
               "</div><div class=\"k\">" + escape(p.name) + " · " + escape(t.step) +
               (tasks->size() > 1 ? "/" + std::to_string(t.task_id) : "") + "</div></div>";
    }
  }
  if (!cards.empty()) out += "<section><h2>Summary</h2><div class=\"summary\">" + cards + "</div></section>";

  out += "<section><h2>Graph</h2><div class=\"graph\">" + graph_svg(*tasks) + "</div></section>";

  out += "<section><h2>Parameters</h2><table class=\"kv\">";
  for (const auto& [k, v] : run.params.items()) out += kv_row(k, "<code>" + escape(v.dump()) + "</code>");
  out += "</table></section>";

  out += "<section><h2>Code</h2><table class=\"kv\">";
  for (const char* k : {"binary", "binary_sha256", "git_commit", "compiler", "build_type", "trellis"}) {
    if (run.code.contains(k)) {
      std::string v = run.code[k].is_string() ? run.code[k].get<std::string>() : run.code[k].dump();
      if (std::string(k) == "git_commit" && run.code.value("git_dirty", false)) v += " (uncommitted changes)";
      out += kv_row(k, "<code>" + escape(v) + "</code>");
    }
  }
  if (run.code.contains("libraries")) {
    std::string libs;
    for (const auto& [k, v] : run.code["libraries"].items()) libs += escape(k) + " " + escape(v.get<std::string>()) + "<br>";
    out += kv_row("libraries", "<span class=\"mono\">" + libs + "</span>");
  }
  out += "</table></section>";

  // Metric charts: one per (step, metric), one line per task of the step.
  std::map<std::pair<std::string, std::string>, std::vector<html::Series>> charts;
  std::vector<std::pair<std::string, std::string>> chart_order;
  for (const auto& t : *tasks) {
    std::map<std::string, html::Series> by_name;
    for (const auto& p : metrics_of[t.task_id]) {
      if (p.step == kSummaryStep) continue;
      auto& s = by_name[p.name];
      s.label = "task " + std::to_string(t.task_id);
      s.points.push_back({double(p.step), p.value});
    }
    for (auto& [name, s] : by_name) {
      auto key = std::make_pair(t.step, name);
      if (!charts.count(key)) chart_order.push_back(key);
      charts[key].push_back(std::move(s));
    }
  }
  if (!charts.empty()) {
    out += "<section><h2>Metrics</h2><div class=\"grid2\">";
    for (const auto& key : chart_order) out += html::line_chart(key.first + " · " + key.second, charts[key]);
    out += "</div></section>";
  }

  // Tracked tables and images, in the order they were logged.
  std::string media_html;
  for (const auto& t : *tasks) {
    for (const auto& m : media_of[t.task_id]) {
      media_html += "<h3>" + escape(m.name) + " <span class=\"muted\">" + escape(pathspec_of(t)) +
                    (m.step ? " · step " + std::to_string(m.step) : "") + "</span></h3>";
      Result<std::string> bytes = c.blob(m.digest);
      if (!bytes.ok()) {
        media_html += "<p class=\"muted\">" + escape(bytes.status().to_string()) + "</p>";
      } else if (m.kind == "table") {
        media_html += render_table(c, *bytes);
      } else {
        media_html += html::image_with_boxes(*bytes, m.meta.value("format", "png"), m.meta.value("width", 0),
                                             m.meta.value("height", 0), boxes_from_json(m.meta["boxes"]),
                                             m.meta.value("caption", ""));
      }
    }
  }
  if (!media_html.empty()) out += "<section><h2>Tables and images</h2>" + media_html + "</section>";

  out += "<section><h2>Tasks and artifacts</h2><table><tr><th>task</th><th>status</th><th>attempts</th>"
         "<th>duration</th><th>artifacts (name · type · size · blob)</th></tr>";
  for (const auto& t : *tasks) {
    std::string arts;
    Result<std::vector<ArtifactRecord>> as = c.artifacts(t);
    if (as.ok()) {
      for (const auto& a : *as) {
        arts += "<div><b>" + escape(a.name) + "</b> · " + escape(a.type) + " · " + human_size(a.size) +
                " · <span class=\"mono muted\">objects/" + escape(a.digest.substr(0, 2)) + "/" +
                escape(a.digest.substr(0, 12)) + "…</span></div>";
      }
    }
    std::string st(to_string(t.status));
    out += "<tr><td class=\"mono\">" + escape(pathspec_of(t)) +
           (t.cloned_from.empty() ? "" : "<br><span class=\"muted\">cloned from " + escape(t.cloned_from) + "</span>") +
           "</td><td><span class=\"badge " + st + "\" style=\"margin:0\">" + st + "</span></td><td class=\"num\">" +
           std::to_string(t.attempts) + "</td><td>" +
           (t.started_ms && t.finished_ms ? human_duration_ms(t.finished_ms - t.started_ms) : "-") +
           "</td><td>" + arts + "</td></tr>";
  }
  out += "</table><p class=\"muted\">Read any artifact back with <code>trellis get " + escape(run.flow) + "/" +
         std::to_string(run.run_id) + "/STEP/TASK/NAME</code>; blobs live under the store's "
         "<code>objects/</code> folder.</p></section>";
  out += "<p class=\"muted\">Generated by trellis " + escape(run.code.value("trellis", "")) + " at " +
         escape(format_utc_ms(now_unix_ms())) + ".</p></main></body></html>";
  return out;
}

}  // namespace trellis
