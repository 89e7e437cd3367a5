#include "trellis/flow/task.h"

#include <vector>

#include "flow/task_context.h"
#include "trellis/core/clock.h"

namespace trellis {

namespace {

// Values this small are buffered and stored in one batch at the task's end;
// larger ones are stored at once (each is worth its own requests).
constexpr size_t kPendingValueLimit = 256u << 10;
constexpr size_t kPendingTotalLimit = 64u << 20;

}  // namespace

std::string ArtifactView::read(const std::string& name, const CodecWant& want) const {
  auto it = records.find(name);
  if (it == records.end()) throw TaskError(task.str() + " has no artifact '" + name + "'");
  Result<std::string> bytes = store->load(it->second, task, want);
  if (!bytes.ok()) throw TaskError(bytes.status().to_string());
  return std::move(bytes).value();
}

void TaskContext::flush_artifacts() {
  if (pending.empty()) return;
  std::vector<EncodedArtifact> values;
  for (const auto& [name, bytes] : pending) {
    const ArtifactRecord& r = own.at(name);
    values.push_back({name, {bytes}, r.codec, r.type});
  }
  Result<std::vector<ArtifactRecord>> recs =
      store->save_batch(values, Pathspec::of_task(flow, run_id, step, task_id));
  if (!recs.ok()) throw TaskError(recs.status().message());
  for (auto& r : *recs) own[r.name] = r;
  pending.clear();
  pending_bytes = 0;
}

std::vector<ArtifactRecord> TaskContext::final_artifacts() const {
  std::map<std::string, ArtifactRecord> all;
  if (parent) all = parent->records;
  for (const auto& [name, rec] : own) all[name] = rec;
  std::vector<ArtifactRecord> out;
  for (auto& [name, rec] : all) out.push_back(rec);
  return out;
}

void TaskContext::flush_metrics() {
  if (metrics.empty()) return;
  Status s = md->add_metrics(flow, run_id, task_id, metrics);
  if (!s.ok()) throw TaskError("writing metrics of " + pathspec() + ": " + s.to_string());
  metrics.clear();
}

Input::Input(std::string step, std::string pathspec, std::shared_ptr<ArtifactView> view)
    : step_(std::move(step)), pathspec_(std::move(pathspec)), view_(std::move(view)) {}

bool Input::has(const std::string& name) const { return view_->records.count(name) > 0; }
std::string Input::bytes(const std::string& name, const CodecWant& want) const {
  return view_->read(name, want);
}

void Task::put_encoded(const std::string& name, const Encoded& e, const std::string& codec,
                       const std::string& type) {
  if (name.empty() || name.front() == '_') {
    throw TaskError("artifact name '" + name + "' is empty or starts with '_' (reserved)");
  }
  const size_t size = e.owned.size() + e.borrowed.size();
  if (auto it = ctx_.pending.find(name); it != ctx_.pending.end()) {
    ctx_.pending_bytes -= it->second.size();
    ctx_.pending.erase(it);
  }
  if (size <= kPendingValueLimit) {
    std::string bytes;
    bytes.reserve(size);
    bytes.append(e.owned).append(e.borrowed);
    ctx_.pending_bytes += bytes.size();
    ctx_.pending[name] = std::move(bytes);
    ctx_.own[name] = ArtifactRecord{name, "", codec, type, size};  // digest set when stored
    if (ctx_.pending_bytes > kPendingTotalLimit) ctx_.flush_artifacts();
    return;
  }
  std::vector<std::string_view> parts;
  if (!e.owned.empty()) parts.push_back(e.owned);
  if (!e.borrowed.empty()) parts.push_back(e.borrowed);
  Result<std::vector<ArtifactRecord>> recs = ctx_.store->save_batch(
      {{name, parts, codec, type}}, Pathspec::of_task(ctx_.flow, ctx_.run_id, ctx_.step, ctx_.task_id));
  if (!recs.ok()) throw TaskError(recs.status().message());
  ctx_.own[name] = recs->front();
}

std::string Task::get_bytes(const std::string& name, const CodecWant& want) const {
  auto it = ctx_.own.find(name);
  if (it != ctx_.own.end()) {
    const Pathspec self = Pathspec::of_task(ctx_.flow, ctx_.run_id, ctx_.step, ctx_.task_id);
    Status codec = TaskDatastore::check_codec(it->second, self, want);
    if (!codec.ok()) throw TaskError(codec.message());
    if (auto p = ctx_.pending.find(name); p != ctx_.pending.end()) return p->second;
    Result<std::string> b = ctx_.store->load(it->second, self, want);
    if (!b.ok()) throw TaskError(b.status().to_string());
    return std::move(b).value();
  }
  if (ctx_.parent && ctx_.parent->records.count(name)) return ctx_.parent->read(name, want);
  if (!ctx_.inputs.empty()) {
    throw TaskError("join " + ctx_.pathspec() + " has no artifact '" + name +
                    "' of its own: read it from t.inputs() or call t.merge_artifacts() first");
  }
  throw TaskError(ctx_.pathspec() + " sees no artifact '" + name + "'");
}

bool Task::has(const std::string& name) const {
  return ctx_.own.count(name) || (ctx_.parent && ctx_.parent->records.count(name));
}

std::vector<std::string> Task::artifact_names() const {
  std::vector<std::string> out;
  for (const auto& r : ctx_.final_artifacts()) out.push_back(r.name);
  return out;
}

const Json& Task::input_json() const {
  if (ctx_.foreach_stack.empty()) throw TaskError(ctx_.pathspec() + " is not inside a foreach");
  if (!ctx_.item_loaded) {
    const std::string bytes = get_bytes(ctx_.foreach_key, {"bytes", "bytes"});
    Result<Json> arr = parse_json(bytes, "foreach artifact '" + ctx_.foreach_key + "'");
    if (!arr.ok()) throw TaskError(arr.status().message());
    const int64_t i = index();
    if (!arr->is_array() || i < 0 || i >= static_cast<int64_t>(arr->size())) {
      throw TaskError("foreach artifact '" + ctx_.foreach_key + "' has no element " +
                      std::to_string(i));
    }
    ctx_.item = (*arr)[static_cast<size_t>(i)];
    ctx_.item_loaded = true;
  }
  return ctx_.item;
}

int64_t Task::index() const {
  return ctx_.foreach_stack.empty() ? -1 : ctx_.foreach_stack.back()["index"].get<int64_t>();
}

int64_t Task::num_splits() const {
  return ctx_.foreach_stack.empty() ? -1 : ctx_.foreach_stack.back()["count"].get<int64_t>();
}

const std::vector<Input>& Task::inputs() const { return ctx_.inputs; }

void Task::merge_artifacts(const std::set<std::string>& exclude) {
  if (ctx_.input_views.empty()) throw TaskError("merge_artifacts() outside a join: " + ctx_.pathspec());
  std::map<std::string, ArtifactRecord> merged;
  std::set<std::string> conflicts;
  for (const auto& view : ctx_.input_views) {
    for (const auto& [name, rec] : view->records) {
      if (exclude.count(name) || ctx_.own.count(name)) continue;
      auto [it, inserted] = merged.emplace(name, rec);
      if (!inserted && it->second.digest != rec.digest) conflicts.insert(name);
    }
  }
  if (!conflicts.empty()) {
    std::string names;
    for (const auto& c : conflicts) names += (names.empty() ? "" : ", ") + c;
    throw TaskError("merge_artifacts in " + ctx_.pathspec() +
                    ": inputs disagree on artifact(s) " + names +
                    "; set them yourself or pass them in `exclude`");
  }
  for (auto& [name, rec] : merged) ctx_.own[name] = rec;
}

void Task::log(const std::string& name, double value, int64_t step) {
  ctx_.metrics.push_back({name, step, value, now_unix_ms()});
  if (ctx_.metrics.size() >= 4096) ctx_.flush_metrics();
}

void Task::save_checkpoint_encoded(const std::string& name, const Encoded& e,
                                   const std::string& codec, const std::string& type) {
  std::vector<std::string_view> parts;
  if (!e.owned.empty()) parts.push_back(e.owned);
  if (!e.borrowed.empty()) parts.push_back(e.borrowed);
  // Stored at once, not batched: a checkpoint must survive this process.
  Result<std::vector<ArtifactRecord>> recs = ctx_.store->save_batch(
      {{name, parts, codec, type}}, Pathspec::of_task(ctx_.flow, ctx_.run_id, ctx_.step, ctx_.task_id));
  Status s = recs.status();
  if (s.ok()) s = ctx_.md->save_checkpoint(ctx_.flow, ctx_.run_id, ctx_.task_id, recs->front());
  if (!s.ok()) throw TaskError("saving checkpoint '" + name + "' of " + ctx_.pathspec() + ": " + s.to_string());
}

std::optional<std::string> Task::load_checkpoint_bytes(const std::string& name,
                                                       const CodecWant& want) const {
  // This task (earlier attempts), then the chain of tasks it was resumed from.
  Pathspec at = Pathspec::of_task(ctx_.flow, ctx_.run_id, ctx_.step, ctx_.task_id);
  std::string next = ctx_.resumed_from;
  for (int depth = 0; depth < 64; ++depth) {
    Result<std::vector<ArtifactRecord>> cps = ctx_.md->list_checkpoints(at.flow, at.run_id(), at.task_id());
    if (!cps.ok()) throw TaskError("reading checkpoints: " + cps.status().to_string());
    for (const auto& c : *cps) {
      if (c.name != name) continue;
      Result<std::string> bytes = ctx_.store->load(c, at, want);
      if (!bytes.ok()) throw TaskError("checkpoint '" + name + "': " + bytes.status().to_string());
      return std::move(bytes).value();
    }
    if (next.empty()) return std::nullopt;
    Result<Pathspec> origin = Pathspec::parse_exact(next, 4);
    if (!origin.ok()) throw TaskError("task " + at.str() + " was resumed from " + origin.status().message());
    at = *origin;
    Result<TaskRecord> rec = ctx_.md->get_task(at.flow, at.run_id(), at.task_id());
    if (!rec.ok()) return std::nullopt;
    next = rec->resumed_from;
  }
  return std::nullopt;
}

void Task::summary(const std::string& name, double value) {
  ctx_.metrics.push_back({name, kSummaryStep, value, now_unix_ms()});
}

namespace {

std::string store_blob(TaskContext& ctx, std::string_view bytes, const std::string& what) {
  Result<BlobInfo> info = ctx.store->content().put(bytes);
  if (!info.ok()) throw TaskError("storing " + what + " of " + ctx.pathspec() + ": " + info.status().to_string());
  return info->digest;
}

void add_media(TaskContext& ctx, MediaRecord m) {
  m.time_ms = now_unix_ms();
  Status s = ctx.md->add_media(ctx.flow, ctx.run_id, ctx.task_id, m);
  if (!s.ok()) throw TaskError("recording " + m.kind + " '" + m.name + "' of " + ctx.pathspec() + ": " + s.to_string());
}

}  // namespace

void Task::log_image(const std::string& name, const TrackedImage& image, int64_t step) {
  if (image.encoded.empty()) throw TaskError("log_image '" + name + "': no image bytes");
  add_media(ctx_, {name, "image", step, store_blob(ctx_, image.encoded, "image '" + name + "'"),
                   describe_image(image), 0});
}

void Task::log_table(const std::string& name, const TrackedTable& table, int64_t step) {
  Json rows = Json::array();
  for (const auto& row : table.rows) {
    if (row.size() != table.columns.size()) {
      throw TaskError("log_table '" + name + "': a row has " + std::to_string(row.size()) +
                      " cells for " + std::to_string(table.columns.size()) + " columns");
    }
    Json cells = Json::array();
    for (const auto& cell : row) {
      if (const double* d = std::get_if<double>(&cell)) {
        cells.push_back(*d);
      } else if (const std::string* str = std::get_if<std::string>(&cell)) {
        cells.push_back(*str);
      } else {
        const TrackedImage& im = std::get<TrackedImage>(cell);
        Json j = describe_image(im);
        j["image"] = store_blob(ctx_, im.encoded, "image in table '" + name + "'");
        cells.push_back(j);
      }
    }
    rows.push_back(std::move(cells));
  }
  const Json doc = {{"columns", table.columns}, {"rows", rows}};
  const std::string text = doc.dump();
  add_media(ctx_, {name, "table", step, store_blob(ctx_, text, "table '" + name + "'"),
                   {{"columns", table.columns}, {"rows", table.rows.size()}}, 0});
}

std::optional<Json> Task::get_alias(const std::string& alias) const {
  Result<Json> v = ctx_.md->get_alias(alias);
  if (v.ok()) return *v;
  if (v.status().code() == Code::kNotFound) return std::nullopt;
  throw TaskError("alias '" + alias + "': " + v.status().to_string());
}

void Task::set_alias(const std::string& alias, const Json& value) {
  Status s = ctx_.md->set_alias(alias, value);
  if (!s.ok()) throw TaskError("setting alias '" + alias + "': " + s.to_string());
}

std::string Task::read_artifact(const std::string& pathspec) const {
  Result<Pathspec> p = Pathspec::parse_exact(pathspec, 5);
  if (!p.ok()) throw TaskError("read_artifact: " + p.status().message());
  Result<std::string> bytes = ctx_.store->load(*p);
  if (!bytes.ok()) throw TaskError("read_artifact: " + bytes.status().to_string());
  return std::move(bytes).value();
}

const std::string& Task::flow_name() const { return ctx_.flow; }
int64_t Task::run_id() const { return ctx_.run_id; }
const std::string& Task::step_name() const { return ctx_.step; }
int64_t Task::task_id() const { return ctx_.task_id; }
int Task::attempt() const { return ctx_.attempt; }
std::string Task::pathspec() const { return ctx_.pathspec(); }
const Json& Task::params() const { return ctx_.params; }

}  // namespace trellis
