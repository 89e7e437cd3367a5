// The one place that chooses where runs are kept, for flows, `trellis`,
// `trellis serve`, the report and the dashboard. Each setting comes from, in
// order: a command-line flag, an environment variable, the config file, a default.
//
//   datastore  --datastore URL | --root DIR   $TRELLIS_DATASTORE | $TRELLIS_ROOT   "datastore"
//   metadata   --metadata URL  | --root DIR   $TRELLIS_METADATA  | $TRELLIS_ROOT   "metadata"
//
// Datastore URLs: a plain path or file:///abs/path (a local folder, default
// ./.trellis), s3://bucket/prefix (any S3-compatible store; optional
// ?endpoint=URL&region=R&addressing=path|virtual, else the config's "s3" object,
// else the AWS environment), mem:// (one process). Metadata URLs:
// sqlite:///abs/path.db or a path ending in .db (default: metadata.db inside a
// local datastore), postgresql://user@host:port/db (libpq URIs; PG* variables
// fill the rest), mem://. Anything else is an error naming the URL.
// Config file: $TRELLIS_CONFIG, else $XDG_CONFIG_HOME/trellis/config.json, else
// ~/.config/trellis/config.json (docs/user-guide.md).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "trellis/core/json.h"
#include "trellis/datastore/content_store.h"
#include "trellis/metadata/metadata_store.h"
#include "trellis/stores/task_datastore.h"

namespace trellis {

// What a command line said; empty means "not given".
struct StoreFlags {
  std::string root;       // --root DIR: datastore DIR and metadata DIR/metadata.db
  std::string datastore;  // --datastore URL
  std::string metadata;   // --metadata URL
};

struct Setting {
  std::string value;
  std::string source;  // "--datastore", "$TRELLIS_METADATA", "config /path", "default"
};

struct StoreSettings {
  Setting datastore;  // normalized: file:///abs, s3://bucket/prefix[?...], mem://
  Setting metadata;   // normalized: sqlite:///abs.db, postgresql://..., mem://
  std::string config_path;  // the config file consulted (it may not exist)
  Json config = Json::object();  // its contents

  // The datastore's folder when it is local ("" otherwise): the space reserve,
  // stale temp files and reports live there.
  std::string local_root() const;
  bool is_local() const { return !local_root().empty(); }
  // Flags and environment that make a child process open the same stores.
  std::vector<std::string> args() const;
  std::map<std::string, std::string> env() const;
};

// kInvalidArgument naming the URL (and where it came from) for an unusable one,
// e.g. "s3:bucket" or "gs://x"; conflicting flags (--root with --datastore).
Result<StoreSettings> resolve_stores(const StoreFlags& flags);

// The path of the config file in force: $TRELLIS_CONFIG, $XDG_CONFIG_HOME/..., ~/.config/...
std::string config_file_path();
// Reads it; an absent file is an empty object, a malformed one an error naming it.
Result<Json> read_config(const std::string& path);
// Sets (value non-empty) or removes one key ("datastore", "metadata",
// "s3.endpoint", "s3.region", "s3.addressing"), validating it, atomically.
Status write_config_value(const std::string& path, const std::string& key, const std::string& value);

// A URL fit for messages: any password removed.
std::string redact_url(const std::string& url);

enum class OpenMode {
  kCreate,    // a flow run: a local datastore folder is created
  kExisting,  // readers: a local store that holds no runs is an error saying so
};

struct Stores {
  StoreSettings settings;
  std::unique_ptr<Storage> storage;
  std::unique_ptr<ContentStore> cas;
  std::unique_ptr<MetadataStore> md;
  std::unique_ptr<TaskDatastore> tasks;
};

Result<Stores> open_stores(const StoreSettings& settings, OpenMode mode);

}  // namespace trellis
