// Reading and writing detection datasets: COCO JSON (primary), Pascal VOC XML
// folders and YOLO txt labels with a class-names file. Every reader returns one
// in-memory Dataset (boxes in absolute pixels x1, y1, x2, y2); every writer takes
// one. Readers check structure only (malformed files are errors naming the file
// and the reason); content checks (boxes, sizes, images) live in validate.h.
// Formats and conventions: docs/vision-data.md.
#pragma once

#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "trellis/core/status.h"
#include "trellis/vision/types.h"

namespace trellis::vision {

enum class DatasetFormat { kCoco, kVoc, kYolo };

// "coco", "voc", "yolo"; kInvalidArgument for anything else.
Result<DatasetFormat> parse_dataset_format(const std::string& name);
const char* format_name(DatasetFormat format);

struct CocoReadOptions {
  // Folder the image file names are relative to; empty: the JSON file's folder.
  std::string image_dir;
};

// Reads a COCO detection file. Errors: kNotFound (no file), kInvalidArgument
// (not JSON, missing fields, an annotation naming an unknown image, repeated ids),
// each message starting with the path. Unknown category ids are kept (see validate.h).
Result<Dataset> read_coco(const std::string& json_path, const CocoReadOptions& options = {});
Result<Dataset> parse_coco(const std::string& json_text, const std::string& source_name);

// Writes COCO JSON (bbox [x, y, w, h], area, iscrowd). File names are written as
// they are in the dataset (relative to its image_dir).
std::string to_coco_json(const Dataset& dataset);
Status write_coco(const Dataset& dataset, const std::string& json_path);

struct VocReadOptions {
  // Category names in id order (ids 1..N). Empty: the sorted set of names found.
  std::vector<std::string> class_names;
  // Where images are; empty: DIR/JPEGImages when it exists, else the XML folder.
  std::string image_dir;
};

// Reads every *.xml in DIR/Annotations (or DIR itself when that does not exist),
// sorted by name: <filename>, <size><width|height>, <object><name|difficult|bndbox>.
// Image ids are 1..N in file-name order. Boxes are taken as written (VOC's
// 1-based corner coordinates are not shifted). Errors name the XML file.
Result<Dataset> read_voc(const std::string& dir, const VocReadOptions& options = {});
struct VocObject {
  std::string name;  // class name
  Box box;           // as written
};
// One VOC annotation file's content, as read_voc() takes it from each file.
struct VocAnnotation {
  std::string file_name;  // <filename>; empty when absent
  int width = 0, height = 0;
  std::vector<VocObject> objects;
};
// Parses the text of one annotation file. kInvalidArgument starting with `where` (the file):
// XML errors, elements nested deeper than 64 levels, a missing <annotation>, <size>, <name> or
// <bndbox>, non-numbers, image sizes outside [0, 2^31 - 1].
Result<VocAnnotation> parse_voc_annotation(const std::string& xml, const std::string& where);

// Writes one XML per image into DIR (created if needed).
Status write_voc(const Dataset& dataset, const std::string& dir);

struct YoloReadOptions {
  std::string images_dir;  // images; one label file per image
  std::string labels_dir;  // IMAGE_STEM.txt: "class cx cy w h" per line, normalised
  std::string names_file;  // one class name per line; class k -> category id k + 1
};

// Reads YOLO labels. Image sizes come from the image files' headers (YOLO stores
// no size), so images must exist. An image without a label file has no boxes.
// Errors name the label file and line.
Result<Dataset> read_yolo(const YoloReadOptions& options);
// Writes LABELS_DIR/<stem>.txt per image and NAMES_FILE. Category ids are mapped
// to class indices in the order of dataset.categories.
Status write_yolo(const Dataset& dataset, const std::string& labels_dir,
                  const std::string& names_file);

// Reads a class-names file (one name per line, blank lines skipped).
Result<std::vector<std::string>> read_class_names(const std::string& path);

// Image width/height from a JPEG or PNG header (no decoding); other formats and
// corrupt headers fall back to decoding with OpenCV. kNotFound / kCorrupt.
struct ImageSize {
  int width = 0, height = 0;
};
Result<ImageSize> read_image_size(const std::string& path);
// The size a JPEG (first SOFn frame) or PNG (IHDR) header states; nullopt for anything else.
std::optional<ImageSize> image_size_from_header(std::istream& in);

// The annotations in one YOLO label file's text for an image of `size` with `num_classes`
// class names (annotation ids 0; read_yolo numbers them). Errors name `where` and the line.
Result<std::vector<Annotation>> parse_yolo_labels(const std::string& text, ImageSize size,
                                                  int num_classes, const std::string& where);

// image_dir joined with file_name (file_name used as is when absolute).
std::string image_path(const Dataset& dataset, const ImageRecord& image);

}  // namespace trellis::vision
