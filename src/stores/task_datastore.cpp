#include "trellis/stores/task_datastore.h"

namespace trellis {

Result<ArtifactRecord> TaskDatastore::find(const Pathspec& task, std::string_view name) {
  Result<ArtifactRecord> rec = md_.get_artifact(task.flow, task.run_id(), task.task_id(), name);
  if (rec.ok() || rec.status().code() != Code::kNotFound) return rec;
  // Only on the way to an error: say what the task does have.
  std::string known, why;
  if (Result<std::vector<ArtifactRecord>> all =
          md_.list_artifacts(task.flow, task.run_id(), task.task_id());
      all.ok()) {
    for (const auto& a : *all) known += (known.empty() ? "" : ", ") + a.name;
  }
  if (Result<TaskRecord> t = md_.get_task(task.flow, task.run_id(), task.task_id()); !t.ok()) {
    return t.status();
  } else if (t->status != TaskStatus::kDone) {
    why = " (the task is not done)";
  }
  return not_found(task.str() + " has no artifact '" + std::string(name) + "'" + why +
                   (known.empty() ? "" : "; it has: " + known));
}

Status TaskDatastore::check_codec(const ArtifactRecord& rec, const Pathspec& task,
                                  const CodecWant& want) {
  if (want.codec == "bytes" || want.codec == rec.codec) return {};
  return invalid_argument("artifact " + task.with_artifact(rec.name).str() + " was stored as " +
                          rec.type + " with codec '" + rec.codec + "' and cannot be read as " +
                          std::string(want.type) + " (codec '" + std::string(want.codec) + "')");
}

Result<std::string> TaskDatastore::load(const ArtifactRecord& rec, const Pathspec& task,
                                        const CodecWant& want) {
  TRELLIS_RETURN_IF_ERROR(check_codec(rec, task, want));
  Result<std::string> bytes = cas_.get(rec.digest);
  if (!bytes.ok()) return bytes.status().with_context(task.with_artifact(rec.name).str());
  return bytes;
}

Result<std::string> TaskDatastore::load(const Pathspec& artifact, const CodecWant& want) {
  if (artifact.artifact.empty() || artifact.task_id() == 0 || artifact.run_id() == 0) {
    return invalid_argument("'" + artifact.str() + "' is not Flow/run/step/task/artifact");
  }
  Pathspec task = artifact;
  task.artifact.clear();
  Result<ArtifactRecord> rec = find(task, artifact.artifact);
  if (!rec.ok()) return rec.status();
  return load(*rec, task, want);
}

std::vector<Result<std::string>> TaskDatastore::load_batch(const std::vector<ArtifactRecord>& recs,
                                                           const Pathspec& task) {
  std::vector<std::string> digests;
  digests.reserve(recs.size());
  for (const auto& r : recs) digests.push_back(r.digest);
  std::vector<Result<std::string>> out = cas_.get_batch(digests);
  for (size_t i = 0; i < out.size(); ++i) {
    if (!out[i].ok()) out[i] = out[i].status().with_context(task.with_artifact(recs[i].name).str());
  }
  return out;
}

Result<std::vector<ArtifactRecord>> TaskDatastore::save_batch(
    const std::vector<EncodedArtifact>& values, const Pathspec& task) {
  std::vector<std::vector<std::string_view>> blobs;
  blobs.reserve(values.size());
  for (const auto& v : values) blobs.push_back(v.parts);
  std::vector<Result<BlobInfo>> infos = cas_.put_batch(blobs);
  std::vector<ArtifactRecord> out;
  out.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (!infos[i].ok()) {
      return infos[i].status().with_context("storing artifact '" + values[i].name + "' of " +
                                            task.str());
    }
    out.push_back({values[i].name, infos[i]->digest, values[i].codec, values[i].type, infos[i]->size});
  }
  return out;
}

}  // namespace trellis
