// open_metadata(): picks the backend by URL (docs/formats/metadata.md).
#include "metadata/store_common.h"

namespace trellis {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

Result<std::unique_ptr<MetadataStore>> open_metadata(std::string_view url) {
  if (starts_with(url, "postgresql://") || starts_with(url, "postgres://")) {
    return open_postgres_store(url);
  }
  if (url == "mem://") return open_sqlite_store(":memory:", std::string(url));
  if (starts_with(url, "sqlite://")) {
    return open_sqlite_store(std::string(url.substr(9)), std::string(url));
  }
  if (url.find("://") == std::string_view::npos) {
    return open_sqlite_store(std::string(url), std::string(url));
  }
  return invalid_argument("unsupported metadata URL '" + url_without_password(url) +
                          "' (expected sqlite:///path/to/metadata.db, mem:// or "
                          "postgresql://user@host/db)");
}

}  // namespace trellis
