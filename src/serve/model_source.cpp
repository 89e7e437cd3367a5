#include "serve/model_source.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include "trellis/core/fs.h"
#include "trellis/core/hash.h"

namespace trellis::serve {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t end = s.find(sep, start);
    parts.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

bool is_number(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool looks_like_artifact_pathspec(const std::string& text) {
  const auto parts = split(text, '/');
  if (parts.size() != 4 && parts.size() != 5) return false;
  if (std::any_of(parts.begin(), parts.end(), [](const auto& p) { return p.empty(); })) {
    return false;
  }
  return is_number(parts[1]) || parts[1] == "latest";
}

Result<ModelBytes> read_checkpoint_file(const std::string& path, const std::string& source) {
  auto bytes = read_file(path);
  if (!bytes.ok()) return bytes.status().with_context("model " + path);
  ModelBytes m;
  m.digest = sha256_hex(*bytes);
  m.bytes = std::move(bytes).value();
  m.version = fs::path(path).filename().string() + "@" + m.digest.substr(0, 12);
  m.source = source;
  return m;
}

// Flow/run/step[/task]/artifact -> bytes of that artifact.
Result<ModelBytes> read_artifact(Client& client, const std::string& pathspec) {
  auto p = Pathspec::parse(pathspec);
  if (!p.ok()) return p.status();
  if (p->artifact.empty()) {
    return invalid_argument("model pathspec '" + pathspec +
                            "' names no artifact (expected Flow/run/step[/task]/artifact)");
  }
  auto task = client.resolve_task(*p);
  if (!task.ok()) return task.status().with_context("model " + pathspec);
  auto bytes = client.artifact_bytes(*task, p->artifact);
  if (!bytes.ok()) return bytes.status().with_context("model " + pathspec);
  ModelBytes m;
  m.digest = sha256_hex(*bytes);
  m.bytes = std::move(bytes).value();
  m.version = pathspec_of(*task) + "/" + p->artifact;
  m.source = "artifact " + m.version;
  return m;
}

// Alias JSON as the plant-detection flow writes it:
// {"pathspec": "PlantDetection/3/train/2", "artifact": "model", "version": "PlantDetection/3"}
Result<ModelBytes> read_alias(Client& client, const std::string& alias) {
  auto entry = client.metadata().get_alias(alias);
  if (!entry.ok()) return entry.status().with_context("model alias " + alias);
  const Json& j = *entry;
  if (!j.is_object() || !j.contains("pathspec") || !j["pathspec"].is_string()) {
    return invalid_argument("model alias " + alias +
                            ": entry has no \"pathspec\" string: " + j.dump());
  }
  std::string pathspec = j["pathspec"].get<std::string>();
  if (j.contains("artifact") && j["artifact"].is_string()) {
    pathspec += "/" + j["artifact"].get<std::string>();
  } else {
    // Flow/run/step[/task] names no artifact: the flow's conventional name is "model".
    const auto parts = split(pathspec, '/');
    if (parts.size() < 4 || is_number(parts.back())) pathspec += "/model";
  }
  auto m = read_artifact(client, pathspec);
  if (!m.ok()) return m.status().with_context("model alias " + alias);
  if (j.contains("version") && j["version"].is_string())
    m->version = j["version"].get<std::string>();
  m->source = "alias " + alias + " -> " + pathspec;
  return m;
}

}  // namespace

Result<std::string> find_checkpoint_in_dir(const std::string& dir) {
  std::vector<std::string> safetensors, others;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".safetensors") safetensors.push_back(entry.path().string());
    if (name == "model" || name == "model.bin" || name == "model.pt") {
      others.push_back(entry.path().string());
    }
  }
  if (ec) return io_error("model folder " + dir + ": " + ec.message());
  std::sort(safetensors.begin(), safetensors.end());
  std::sort(others.begin(), others.end());
  if (!safetensors.empty()) return safetensors.front();
  if (!others.empty()) return others.front();
  return not_found("model folder " + dir + " holds no *.safetensors or model file");
}

Result<ModelSpec> parse_model_spec(const std::string& text) {
  if (text.empty()) {
    if (!fs::is_directory(kSageMakerModelDir)) {
      return not_found(std::string("no model named and ") + kSageMakerModelDir + " does not exist");
    }
    return ModelSpec{SourceKind::kDirectory, kSageMakerModelDir};
  }
  std::error_code ec;
  if (fs::is_directory(text, ec)) return ModelSpec{SourceKind::kDirectory, text};
  if (fs::exists(text, ec)) return ModelSpec{SourceKind::kFile, text};
  if (looks_like_artifact_pathspec(text)) return ModelSpec{SourceKind::kArtifact, text};
  // "/srv/m.safetensors", "./m", "model.safetensors" that are not there: a typo'd path, not an
  // alias (aliases and pathspecs have no leading '/' or '.', and no extension).
  const std::string last = text.substr(text.rfind('/') + 1);
  if (text[0] == '/' || text[0] == '.' || text[0] == '~' || last.find('.') != std::string::npos) {
    return not_found("model file " + text + " does not exist");
  }
  return ModelSpec{SourceKind::kAlias, text};
}

Result<ModelBytes> resolve_model(const ModelSpec& spec, const ClientOptions& client_options) {
  switch (spec.kind) {
    case SourceKind::kFile:
      return read_checkpoint_file(spec.text, "file " + spec.text);
    case SourceKind::kDirectory: {
      auto path = find_checkpoint_in_dir(spec.text);
      if (!path.ok()) return path.status();
      return read_checkpoint_file(*path, "file " + *path);
    }
    case SourceKind::kArtifact:
    case SourceKind::kAlias: {
      auto client = Client::open(client_options);
      if (!client.ok()) return client.status().with_context("model " + spec.text);
      return spec.kind == SourceKind::kArtifact ? read_artifact(**client, spec.text)
                                                : read_alias(**client, spec.text);
    }
  }
  return internal_error("unknown model source kind");
}

}  // namespace trellis::serve
