#include <openssl/opensslv.h>
#include <sqlite3.h>
#include <zstd.h>

#include "flow/runner.h"
#include "trellis/core/fs.h"
#include "trellis/core/hash.h"
#include "trellis_git_info.h"

namespace trellis {

Json code_identity(const Flow& flow) {
  Json id;
  const std::string exe = self_exe_path();
  id["binary"] = exe;
  Result<std::string> bytes = read_file(exe);
  id["binary_sha256"] = bytes.ok() ? sha256_hex(*bytes) : "";
  id["git_commit"] = TRELLIS_GIT_COMMIT;
  id["git_dirty"] = TRELLIS_GIT_DIRTY;
  id["compiler"] = std::string("g++ ") + __VERSION__;
  id["build_type"] = TRELLIS_BUILD_TYPE;
  id["trellis"] = TRELLIS_VERSION;
  Json libs = {{"sqlite", sqlite3_libversion()},
               {"zstd", ZSTD_versionString()},
               {"openssl", OPENSSL_VERSION_TEXT}};
  for (const auto& [name, version] : flow.libraries()) libs[name] = version;
  id["libraries"] = libs;
  return id;
}

}  // namespace trellis
