// Where the served model comes from: `trellis serve MODEL` names a checkpoint file, a folder
// holding one (SageMaker's /opt/ml/model), an engine artifact pathspec
// (Flow/run/step[/task]/artifact) or a registry alias ("plant/production"). Resolving reads the
// checkpoint bytes and names the version they are; the server calls it again on reload, so an
// alias moved by a new deploy is picked up.
#pragma once

#include <string>

#include "trellis/client/client.h"
#include "trellis/core/status.h"

namespace trellis::serve {

inline constexpr const char* kSageMakerModelDir = "/opt/ml/model";

enum class SourceKind { kFile, kDirectory, kArtifact, kAlias };

struct ModelSpec {
  SourceKind kind = SourceKind::kFile;
  std::string text;  // as given: path, pathspec or alias
};

// What resolve_model() read.
struct ModelBytes {
  std::string bytes;    // checkpoint (docs/formats/checkpoint.md)
  std::string version;  // "PlantDetection/3", "model.safetensors", ...
  std::string digest;   // sha256 hex of `bytes`
  std::string source;   // what was resolved, for logs and /version: "alias plant/production -> ..."
};

// Decides what `text` names, without reading anything but the file system: an existing file or
// folder is a path; a name with 4-5 '/'-separated parts whose second is a run number is a
// pathspec; anything else is an alias. An empty `text` means /opt/ml/model when it exists
// (kNotFound otherwise).
Result<ModelSpec> parse_model_spec(const std::string& text);

// Reads the checkpoint bytes. Engine sources open a Client with `client_options` (each call,
// so a reload sees what other processes wrote). Errors: kNotFound (file, folder without a
// checkpoint, unknown alias or artifact), kInvalidArgument (alias JSON without "pathspec"),
// kIoError; messages name the path, pathspec or alias.
Result<ModelBytes> resolve_model(const ModelSpec& spec, const ClientOptions& client_options = {});

// The checkpoint inside a model folder: the first *.safetensors in name order, else a file
// named "model" or "model.bin"/"model.pt". kNotFound when there is none.
Result<std::string> find_checkpoint_in_dir(const std::string& dir);

}  // namespace trellis::serve
