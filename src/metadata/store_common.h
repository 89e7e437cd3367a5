// Private to src/metadata: what the SQLite and PostgreSQL stores share (status names,
// JSON columns, message helpers) and the factories open_metadata() dispatches to.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "trellis/metadata/metadata_store.h"

namespace trellis {

RunStatus run_status_from(std::string_view s);
TaskStatus task_status_from(std::string_view s);

// "F/3/task 7", as named in error messages.
std::string task_name(std::string_view flow, int64_t run_id, int64_t task_id);
// "F/3".
std::string run_name(std::string_view flow, int64_t run_id);

// JSON columns are stored as text: dumped compactly (invalid UTF-8 becomes U+FFFD instead of
// throwing) and read back with null for text that does not parse.
std::string json_column(const Json& value);
Json json_from_column(std::string_view text);

// `url` without a password: the one in "scheme://user:password@host" and any
// "password=" query parameter are dropped.
std::string url_without_password(std::string_view url);

// `path` is a file path or ":memory:"; `url` is what url() reports.
Result<std::unique_ptr<MetadataStore>> open_sqlite_store(const std::string& path,
                                                         std::string url);
// `url` is a postgresql:// or postgres:// libpq connection URI.
Result<std::unique_ptr<MetadataStore>> open_postgres_store(std::string_view url);

}  // namespace trellis
