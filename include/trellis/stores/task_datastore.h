// TaskDatastore: artifacts of tasks by name, the layer between a Task (or the
// Client, or the server) and the content store:
//   Task -> TaskDatastore -> ContentStore -> Storage.
// Reading an artifact is one metadata lookup and one blob read; every typed
// read checks the codec the artifact was stored with; saving and loading many
// at once keeps many requests in flight (what an object store needs).
// Not thread-safe (the MetadataStore is not). Borrows both stores.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "trellis/core/pathspec.h"
#include "trellis/datastore/content_store.h"
#include "trellis/metadata/metadata_store.h"

namespace trellis {

// What a typed read asks for: a codec name ("json", "npy", ...) and the C++
// type for messages. The "bytes" codec reads any artifact as its raw bytes.
struct CodecWant {
  std::string_view codec;
  std::string_view type;
};

// A value to store: its serialized parts (no copy is made) and how it was encoded.
struct EncodedArtifact {
  std::string name;
  std::vector<std::string_view> parts;
  std::string codec, type;
};

class TaskDatastore {
 public:
  TaskDatastore(MetadataStore& md, ContentStore& cas) : md_(md), cas_(cas) {}

  // One index lookup. kNotFound naming the task and the artifacts it does have.
  Result<ArtifactRecord> find(const Pathspec& task, std::string_view name);
  // kInvalidArgument naming the artifact, its stored codec and the wanted type
  // when they do not match; "bytes" matches everything.
  static Status check_codec(const ArtifactRecord& rec, const Pathspec& task, const CodecWant& want);
  // The bytes of a recorded artifact of `task` (the name is used in messages).
  Result<std::string> load(const ArtifactRecord& rec, const Pathspec& task,
                           const CodecWant& want = {"bytes", "bytes"});
  // find + load: Flow/run/step/task/artifact with numeric ids.
  Result<std::string> load(const Pathspec& artifact, const CodecWant& want = {"bytes", "bytes"});
  // Blobs of many records at once, in order (one batch read).
  std::vector<Result<std::string>> load_batch(const std::vector<ArtifactRecord>& recs,
                                              const Pathspec& task);
  // Stores many values of `task` at once; the records to put in its index, in
  // order. A failure names the first artifact that could not be stored.
  Result<std::vector<ArtifactRecord>> save_batch(const std::vector<EncodedArtifact>& values,
                                                 const Pathspec& task);

  MetadataStore& metadata() { return md_; }
  ContentStore& content() { return cas_; }

 private:
  MetadataStore& md_;
  ContentStore& cas_;
};

}  // namespace trellis
