#include "trellis/stores/stores.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>

#include "trellis/core/fs.h"
#include "trellis/datastore/s3_storage.h"

namespace trellis {
namespace {

const char* env_value(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

std::string absolute_path(const std::string& path) {
  std::error_code ec;
  return std::filesystem::absolute(path, ec).lexically_normal().string();
}

// "s3" for "s3://...", "" for a plain path. A scheme is letters, digits, + - .
// before a ':' that starts the text ("./a:b" and "/x:y" are paths).
std::string scheme_of(const std::string& url) {
  const size_t colon = url.find(':');
  if (colon == std::string::npos || colon == 0) return "";
  for (size_t i = 0; i < colon; ++i) {
    const char c = url[i];
    const bool ok = std::isalpha(static_cast<unsigned char>(c)) ||
                    (i > 0 && (std::isdigit(static_cast<unsigned char>(c)) || c == '+' ||
                               c == '-' || c == '.'));
    if (!ok) return "";
  }
  return url.substr(0, colon);
}

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

Status bad_url(const Setting& s, const std::string& what, const std::string& why) {
  return invalid_argument(what + " URL '" + redact_url(s.value) + "' (from " + s.source +
                          ") " + why);
}

Result<std::string> normalize_datastore(const Setting& s) {
  const std::string& url = s.value;
  const std::string scheme = scheme_of(url);
  if (scheme.empty()) return "file://" + absolute_path(url);
  if (scheme == "file") {
    if (!starts_with(url, "file:///")) {
      return bad_url(s, "datastore", "is not file:///absolute/path");
    }
    return "file://" + absolute_path(url.substr(7));
  }
  if (scheme == "mem") return std::string("mem://");
  if (scheme == "s3") {
    if (!starts_with(url, "s3://") || url.size() == 5 || url[5] == '/' || url[5] == '?') {
      return bad_url(s, "datastore", "is not s3://bucket[/prefix]");
    }
    return url;
  }
  return bad_url(s, "datastore",
                 "has an unknown scheme '" + scheme +
                     ":' (use a path, file:///path, s3://bucket/prefix or mem://)");
}

Result<std::string> normalize_metadata(const Setting& s) {
  const std::string& url = s.value;
  const std::string scheme = scheme_of(url);
  if (scheme.empty()) {
    if (url.size() > 3 && url.compare(url.size() - 3, 3, ".db") == 0) {
      return "sqlite://" + absolute_path(url);
    }
    return bad_url(s, "metadata", "is neither a URL nor a path ending in .db");
  }
  if (scheme == "sqlite") {
    if (!starts_with(url, "sqlite:///")) return bad_url(s, "metadata", "is not sqlite:///absolute/path.db");
    return "sqlite://" + absolute_path(url.substr(9));
  }
  if (scheme == "postgresql" || scheme == "postgres") {
    if (!starts_with(url, scheme + "://")) return bad_url(s, "metadata", "is not " + scheme + "://...");
    return url;
  }
  if (scheme == "mem") return std::string("mem://");
  return bad_url(s, "metadata",
                 "has an unknown scheme '" + scheme +
                     ":' (use sqlite:///path.db, a path ending in .db, postgresql://... or mem://)");
}

const std::vector<std::string>& config_keys() {
  static const std::vector<std::string> keys = {
      "datastore",       "metadata",       "s3.endpoint",     "s3.region",        "s3.addressing",
      "slurm.partition", "slurm.account",  "slurm.qos",       "slurm.constraint", "slurm.extra_args",
      "slurm.spool_dir", "slurm.bin_dir",  "slurm.poll_ms",   "slurm.max_jobs", "slurm.arrays",
      "slurm.array_throttle", "slurm.code", "slurm.trellis_bin", "slurm.node_cache"};
  return keys;
}

// s3://bucket/prefix[?endpoint=URL&region=R&addressing=path|virtual]: the AWS
// environment first, then the config's "s3" object, then the URL's own query.
Result<std::unique_ptr<Storage>> open_s3(const StoreSettings& settings) {
  const std::string& url = settings.datastore.value;
  const size_t q = url.find('?');
  Result<S3Options> options = s3_options_from_environment(url.substr(0, q));
  if (!options.ok()) return options.status();
  std::map<std::string, std::string> overrides;
  if (settings.config.contains("s3")) {
    for (const auto& [k, v] : settings.config["s3"].items()) overrides[k] = v.get<std::string>();
  }
  if (q != std::string::npos) {
    std::string_view query = std::string_view(url).substr(q + 1);
    while (!query.empty()) {
      const size_t amp = query.find('&');
      const std::string_view item = query.substr(0, amp);
      const size_t eq = item.find('=');
      const std::string key(item.substr(0, eq));
      if (eq == std::string_view::npos || (key != "endpoint" && key != "region" && key != "addressing")) {
        return invalid_argument("datastore URL '" + url + "': unknown or empty parameter '" +
                                std::string(item) + "' (known: endpoint, region, addressing)");
      }
      overrides[key] = std::string(item.substr(eq + 1));
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    }
  }
  for (const auto& [k, v] : overrides) {
    if (k == "endpoint") options->endpoint = v;
    if (k == "region") options->region = v;
    if (k == "addressing") {
      if (v == "path") options->addressing = S3Options::Addressing::kPath;
      else if (v == "virtual") options->addressing = S3Options::Addressing::kVirtualHost;
      else if (v == "auto") options->addressing = S3Options::Addressing::kAuto;
      else return invalid_argument("datastore URL '" + url + "': addressing '" + v + "' is not path, virtual or auto");
    }
  }
  return make_s3_storage(std::move(options).value());
}

}  // namespace

std::string redact_url(const std::string& url) {
  // scheme://user:password@host -> scheme://user:***@host
  const size_t start = url.find("://");
  if (start == std::string::npos) return url;
  const size_t at = url.find('@', start + 3);
  const size_t slash = url.find('/', start + 3);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) return url;
  const size_t colon = url.find(':', start + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

std::string config_file_path() {
  if (const char* p = env_value("TRELLIS_CONFIG")) return absolute_path(p);
  if (const char* x = env_value("XDG_CONFIG_HOME")) return std::string(x) + "/trellis/config.json";
  if (const char* h = env_value("HOME")) return std::string(h) + "/.config/trellis/config.json";
  return absolute_path(".trellis-config.json");
}

Result<Json> read_config(const std::string& path) {
  if (!path_exists(path)) return Json::object();
  Result<std::string> text = read_file(path);
  if (!text.ok()) return text.status();
  Result<Json> j = parse_json(*text, "config file " + path);
  if (!j.ok()) return j.status();
  if (!j->is_object()) return invalid_argument("config file " + path + " is not a JSON object");
  for (const auto& [key, value] : j->items()) {
    if (key == "s3" || key == "slurm") {
      if (!value.is_object()) {
        return invalid_argument("config file " + path + ": \"" + key + "\" is not an object");
      }
      for (const auto& [k, v] : value.items()) {
        const std::string full = key + "." + k;
        if (std::find(config_keys().begin(), config_keys().end(), full) == config_keys().end()) {
          return invalid_argument("config file " + path + ": unknown key \"" + full + "\"");
        }
        // The slurm section's types are checked where it is used (the flow's
        // executor options); every s3 value is a string.
        if (key == "s3" && !v.is_string()) {
          return invalid_argument("config file " + path + ": \"" + full + "\" is not a string");
        }
      }
    } else if (key != "datastore" && key != "metadata") {
      return invalid_argument("config file " + path + ": unknown key \"" + key +
                              "\" (known: datastore, metadata, s3, slurm)");
    } else if (!value.is_string()) {
      return invalid_argument("config file " + path + ": \"" + key + "\" is not a string");
    }
  }
  return j;
}

Status write_config_value(const std::string& path, const std::string& key, const std::string& value) {
  if (std::find(config_keys().begin(), config_keys().end(), key) == config_keys().end()) {
    std::string known;
    for (const auto& k : config_keys()) known += (known.empty() ? "" : ", ") + k;
    return invalid_argument("unknown config key '" + key + "' (known: " + known + ")");
  }
  Result<Json> j = read_config(path);
  if (!j.ok()) return j.status();
  const Setting s{value, "the new value of " + key};
  if (!value.empty() && key == "datastore") TRELLIS_RETURN_IF_ERROR(normalize_datastore(s));
  if (!value.empty() && key == "metadata") TRELLIS_RETURN_IF_ERROR(normalize_metadata(s));
  if (!value.empty() && key == "s3.addressing" && value != "path" && value != "virtual" &&
      value != "auto") {
    return invalid_argument("s3.addressing '" + value + "' is not path, virtual or auto");
  }
  const size_t dot = key.find('.');
  const std::string section = dot == std::string::npos ? "" : key.substr(0, dot);
  const std::string name = key.substr(dot == std::string::npos ? 0 : dot + 1);
  Json stored = value;
  if (!value.empty() && key == "slurm.code" && value != "shared" && value != "staged") {
    return invalid_argument(key + " '" + value + "' is not shared or staged");
  }
  if (!value.empty() && key == "slurm.arrays") {
    if (value != "true" && value != "false") return invalid_argument(key + " '" + value + "' is not true or false");
    stored = value == "true";
  }
  if (!value.empty() && key == "slurm.array_throttle") {
    char* end = nullptr;
    const long long n = std::strtoll(value.c_str(), &end, 10);
    if (*end != '\0' || n < 0) return invalid_argument(key + " '" + value + "' is not a non-negative integer");
    stored = n;
  }
  if (!value.empty() && (key == "slurm.poll_ms" || key == "slurm.max_jobs")) {
    char* end = nullptr;
    const long long n = std::strtoll(value.c_str(), &end, 10);
    if (*end != '\0' || n <= 0) return invalid_argument(key + " '" + value + "' is not a positive integer");
    stored = n;
  }
  if (!value.empty() && key == "slurm.extra_args") {  // a JSON array of strings: one per sbatch argument
    Result<Json> a = parse_json(value, "the new value of " + key);
    bool strings = a.ok() && a->is_array();
    for (const auto& x : strings ? *a : Json::array()) strings = strings && x.is_string();
    if (!strings) {
      return invalid_argument(key + " '" + value + "' is not a JSON array of strings, e.g. '[\"--exclusive\"]'");
    }
    stored = *a;
  }
  Json& target = section.empty() ? *j : (*j)[section];
  if (value.empty()) {
    target.erase(name);
    if (!section.empty() && (*j)[section].empty()) j->erase(section);
  } else {
    target[name] = stored;
  }
  TRELLIS_RETURN_IF_ERROR(make_dirs(std::filesystem::path(path).parent_path().string()));
  return atomic_write_file(path, j->dump(2) + "\n");
}

std::string StoreSettings::local_root() const {
  return starts_with(datastore.value, "file://") ? datastore.value.substr(7) : std::string();
}

std::vector<std::string> StoreSettings::args() const {
  return {"--datastore", datastore.value, "--metadata", metadata.value};
}

std::map<std::string, std::string> StoreSettings::env() const {
  std::map<std::string, std::string> e = {{"TRELLIS_DATASTORE", datastore.value},
                                          {"TRELLIS_METADATA", metadata.value}};
  // Step code that writes files beside the store (reports) finds the folder here.
  if (is_local()) e["TRELLIS_ROOT"] = local_root();
  if (!config_path.empty()) e["TRELLIS_CONFIG"] = config_path;
  return e;
}

Result<StoreSettings> resolve_stores(const StoreFlags& flags) {
  StoreSettings out;
  out.config_path = config_file_path();
  Result<Json> config = read_config(out.config_path);
  if (!config.ok()) return config.status();
  out.config = *config;
  if (!flags.root.empty() && !flags.datastore.empty()) {
    return invalid_argument("give --root DIR or --datastore URL, not both");
  }
  const char* env_root = env_value("TRELLIS_ROOT");
  const char* env_ds = env_value("TRELLIS_DATASTORE");
  const char* env_md = env_value("TRELLIS_METADATA");
  // A root is a local folder; a URL there would become a folder named "s3:".
  for (const auto& [root, name] : {std::pair<std::string, const char*>{flags.root, "--root"},
                                   {env_root ? env_root : "", "$TRELLIS_ROOT"}}) {
    if (const std::string scheme = scheme_of(root); !scheme.empty()) {
      return invalid_argument(std::string(name) + " '" + redact_url(root) +
                              "' is a URL, not a local folder: give it as --datastore URL "
                              "(or $TRELLIS_DATASTORE) with --metadata URL");
    }
  }
  const std::string from_config = "config " + out.config_path;
  // Datastore.
  std::string root_dir;  // a local folder given as a root: metadata defaults inside it
  if (!flags.datastore.empty()) out.datastore = {flags.datastore, "--datastore"};
  else if (!flags.root.empty()) out.datastore = {root_dir = flags.root, "--root"};
  else if (env_ds) out.datastore = {env_ds, "$TRELLIS_DATASTORE"};
  else if (env_root) out.datastore = {root_dir = env_root, "$TRELLIS_ROOT"};
  else if (config->contains("datastore")) out.datastore = {(*config)["datastore"], from_config};
  else out.datastore = {".trellis", "default"};
  Result<std::string> ds = normalize_datastore(out.datastore);
  if (!ds.ok()) return ds.status();
  out.datastore.value = *ds;
  // Metadata: an explicit root wins over settings made for another store.
  const bool flag_root = !flags.root.empty();
  if (!flags.metadata.empty()) out.metadata = {flags.metadata, "--metadata"};
  else if (flag_root) out.metadata = {"", "--root"};
  else if (env_md) out.metadata = {env_md, "$TRELLIS_METADATA"};
  else if (env_root && !env_ds) out.metadata = {"", "$TRELLIS_ROOT"};
  else if (config->contains("metadata")) out.metadata = {(*config)["metadata"], from_config};
  else out.metadata = {"", "default"};
  if (out.metadata.value.empty()) {
    if (!out.is_local()) {
      return invalid_argument("the datastore " + out.datastore.value + " (from " +
                              out.datastore.source +
                              ") is not a local folder, so metadata cannot default to a SQLite "
                              "file inside it: give --metadata URL, $TRELLIS_METADATA or "
                              "\"metadata\" in the config");
    }
    out.metadata.value = "sqlite://" + out.local_root() + "/metadata.db";
    if (out.metadata.source == "default") out.metadata.source = "default (inside the datastore)";
  }
  Result<std::string> md = normalize_metadata(out.metadata);
  if (!md.ok()) return md.status();
  out.metadata.value = *md;
  (void)root_dir;
  return out;
}

Result<Stores> open_stores(const StoreSettings& settings, OpenMode mode) {
  Stores s;
  s.settings = settings;
  if (settings.is_local()) {
    const std::string root = settings.local_root();
    if (mode == OpenMode::kCreate) {
      TRELLIS_RETURN_IF_ERROR(make_dirs(root));
    } else if (starts_with(settings.metadata.value, "sqlite://") &&
               !path_exists(settings.metadata.value.substr(9))) {
      return not_found("no trellis data in " + root + " (no " + settings.metadata.value.substr(9) +
                       "; run a flow first, or point --root / $TRELLIS_ROOT / --datastore at it)");
    }
  }
  Result<std::unique_ptr<Storage>> storage = starts_with(settings.datastore.value, "s3://")
                                                 ? open_s3(settings)
                                                 : open_storage(settings.datastore.value);
  if (!storage.ok()) return storage.status().with_context("datastore (from " + settings.datastore.source + ")");
  s.storage = std::move(storage).value();
  s.cas = std::make_unique<ContentStore>(*s.storage);
  Result<std::unique_ptr<MetadataStore>> md = open_metadata(settings.metadata.value);
  if (!md.ok()) return md.status().with_context("metadata (from " + settings.metadata.source + ")");
  s.md = std::move(md).value();
  s.tasks = std::make_unique<TaskDatastore>(*s.md, *s.cas);
  return s;
}

}  // namespace trellis
