// Pascal VOC XML folders: one <annotation> file per image.
#include <expat.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "trellis/vision/dataset_io.h"

namespace trellis::vision {
namespace {

namespace fs = std::filesystem;

// A minimal element tree; VOC files are small and flat.
struct XmlNode {
  std::string name;
  std::string text;
  std::vector<std::unique_ptr<XmlNode>> children;
  XmlNode* parent = nullptr;

  const XmlNode* child(std::string_view n) const {
    for (const auto& c : children)
      if (c->name == n) return c.get();
    return nullptr;
  }
};

std::string trim(std::string s) {
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

// VOC annotations are four levels deep; anything far deeper is not VOC, and an unbounded tree
// would overflow the stack when it is freed (300,000 levels did).
constexpr int kMaxXmlDepth = 64;

struct XmlParse {
  XML_Parser parser = nullptr;
  XmlNode* current = nullptr;
  int depth = 0;
  bool too_deep = false;
};

Result<std::unique_ptr<XmlNode>> parse_xml(const std::string& text, const std::string& path) {
  auto root = std::make_unique<XmlNode>();
  XmlParse state;
  state.current = root.get();
  XML_Parser parser = XML_ParserCreate(nullptr);
  state.parser = parser;
  XML_SetUserData(parser, &state);
  XML_SetElementHandler(
      parser,
      [](void* data, const XML_Char* name, const XML_Char**) {
        auto* st = static_cast<XmlParse*>(data);
        if (st->too_deep) return;
        if (++st->depth > kMaxXmlDepth) {
          st->too_deep = true;
          XML_StopParser(st->parser, XML_FALSE);
          return;
        }
        auto node = std::make_unique<XmlNode>();
        node->name = name;
        node->parent = st->current;
        XmlNode* raw = node.get();
        st->current->children.push_back(std::move(node));
        st->current = raw;
      },
      [](void* data, const XML_Char*) {
        auto* st = static_cast<XmlParse*>(data);
        if (st->too_deep) return;
        --st->depth;
        st->current->text = trim(st->current->text);
        st->current = st->current->parent;
      });
  XML_SetCharacterDataHandler(parser, [](void* data, const XML_Char* s, int len) {
    auto* st = static_cast<XmlParse*>(data);
    if (!st->too_deep) st->current->text.append(s, static_cast<size_t>(len));
  });
  const bool ok =
      XML_Parse(parser, text.data(), static_cast<int>(text.size()), 1) != XML_STATUS_ERROR;
  std::string error;
  if (state.too_deep) {
    error = fmt::format("{}:{}: XML nested deeper than {} elements", path,
                        XML_GetCurrentLineNumber(parser), kMaxXmlDepth);
  } else if (!ok) {
    error = fmt::format("{}:{}: XML error: {}", path, XML_GetCurrentLineNumber(parser),
                        XML_ErrorString(XML_GetErrorCode(parser)));
  }
  XML_ParserFree(parser);
  if (!error.empty()) return invalid_argument(error);
  return root;
}

Result<double> number_of(const XmlNode* parent, std::string_view name, const std::string& where) {
  const XmlNode* n = parent ? parent->child(name) : nullptr;
  if (!n) return invalid_argument(fmt::format("{}: missing <{}>", where, name));
  double v = 0;
  const char* b = n->text.data();
  auto [p, ec] = std::from_chars(b, b + n->text.size(), v);
  if (ec != std::errc() || p != b + n->text.size())
    return invalid_argument(fmt::format("{}: <{}> is not a number: \"{}\"", where, name, n->text));
  return v;
}

// An image side: an integer in [0, 2^31 - 1] (a larger one used to wrap: 4294967396 -> 100).
Result<int> size_of(const XmlNode* parent, std::string_view name, const std::string& where) {
  auto v = number_of(parent, name, where);
  if (!v.ok()) return v.status();
  if (!(*v >= 0 && *v <= std::numeric_limits<int>::max()))
    return invalid_argument(
        fmt::format("{}: <{}> {} is not an image size in [0, 2147483647]", where, name, *v));
  return static_cast<int>(*v);
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

Result<VocAnnotation> parse_voc_annotation(const std::string& xml, const std::string& where) {
  auto root = parse_xml(xml, where);
  if (!root.ok()) return root.status();
  const XmlNode* ann = (*root)->child("annotation");
  if (!ann) return invalid_argument(fmt::format("{}: no <annotation> root", where));
  VocAnnotation out;
  if (const XmlNode* fname = ann->child("filename")) out.file_name = fname->text;
  const XmlNode* size = ann->child("size");
  auto w = size_of(size, "width", where + ": <size>");
  auto h = size_of(size, "height", where + ": <size>");
  if (!w.ok()) return w.status();
  if (!h.ok()) return h.status();
  out.width = *w;
  out.height = *h;
  int index = 0;
  for (const auto& c : ann->children) {
    if (c->name != "object") continue;
    const std::string owhere = fmt::format("{}: object {}", where, index++);
    const XmlNode* name = c->child("name");
    if (!name || name->text.empty())
      return invalid_argument(fmt::format("{}: missing <name>", owhere));
    const XmlNode* bb = c->child("bndbox");
    if (!bb) return invalid_argument(fmt::format("{}: missing <bndbox>", owhere));
    std::array<double, 4> v{};
    const char* keys[] = {"xmin", "ymin", "xmax", "ymax"};
    for (int k = 0; k < 4; ++k) {
      auto n = number_of(bb, keys[k], owhere);
      if (!n.ok()) return n.status();
      v[k] = *n;
    }
    out.objects.push_back({name->text, Box{static_cast<float>(v[0]), static_cast<float>(v[1]),
                                           static_cast<float>(v[2]), static_cast<float>(v[3])}});
  }
  return out;
}

Result<Dataset> read_voc(const std::string& dir, const VocReadOptions& options) {
  fs::path xml_dir = fs::path(dir) / "Annotations";
  if (!fs::is_directory(xml_dir)) xml_dir = dir;
  if (!fs::is_directory(xml_dir)) return not_found(fmt::format("{}: no such folder", dir));
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(xml_dir))
    if (e.is_regular_file() && e.path().extension() == ".xml") files.push_back(e.path());
  std::sort(files.begin(), files.end());

  Dataset ds;
  if (!options.image_dir.empty())
    ds.image_dir = options.image_dir;
  else if (fs::is_directory(fs::path(dir) / "JPEGImages"))
    ds.image_dir = (fs::path(dir) / "JPEGImages").string();
  else
    ds.image_dir = xml_dir.string();

  std::vector<std::vector<VocObject>> objects;
  for (const fs::path& file : files) {
    const std::string where = file.string();
    std::ifstream in(file, std::ios::binary);
    if (!in) return io_error(fmt::format("{}: cannot open", where));
    std::ostringstream ss;
    ss << in.rdbuf();
    auto ann = parse_voc_annotation(ss.str(), where);
    if (!ann.ok()) return ann.status();
    ImageRecord rec;
    rec.id = static_cast<int64_t>(ds.images.size()) + 1;
    rec.file_name = !ann->file_name.empty() ? ann->file_name : file.stem().string() + ".jpg";
    rec.width = ann->width;
    rec.height = ann->height;
    ds.images.push_back(std::move(rec));
    objects.push_back(std::move(ann->objects));
  }

  // Categories: the given list, else every name seen, sorted.
  std::vector<std::string> names = options.class_names;
  if (names.empty()) {
    for (const auto& objs : objects)
      for (const auto& o : objs) names.push_back(o.name);
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
  }
  std::map<std::string, int> id_of;
  for (size_t i = 0; i < names.size(); ++i) {
    ds.categories.push_back({static_cast<int>(i) + 1, names[i]});
    id_of.emplace(names[i], static_cast<int>(i) + 1);
  }
  int64_t ann_id = 1;
  for (size_t i = 0; i < objects.size(); ++i) {
    for (const VocObject& o : objects[i]) {
      auto it = id_of.find(o.name);
      if (it == id_of.end())
        return invalid_argument(
            fmt::format("{}: class \"{}\" is not in the class list", files[i].string(), o.name));
      Annotation a;
      a.id = ann_id++;
      a.box = o.box;
      a.category_id = it->second;
      ds.images[i].annotations.push_back(a);
    }
  }
  return ds;
}

Status write_voc(const Dataset& ds, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return io_error(fmt::format("{}: cannot create folder: {}", dir, ec.message()));
  std::map<int, std::string> names;
  for (const Category& c : ds.categories) names[c.id] = c.name;
  std::set<std::string> stems;
  for (const ImageRecord& im : ds.images) {
    const std::string stem = im.file_name.empty() ? fmt::format("image_{}", im.id)
                                                  : fs::path(im.file_name).stem().string();
    if (!stems.insert(stem).second)
      return invalid_argument(
          fmt::format("{}: two images would share one XML file name", im.file_name));
    std::string xml = "<annotation>\n";
    if (!im.file_name.empty())
      xml += fmt::format("  <filename>{}</filename>\n", xml_escape(im.file_name));
    xml += fmt::format(
        "  <size>\n    <width>{}</width>\n    <height>{}</height>\n"
        "    <depth>3</depth>\n  </size>\n",
        im.width, im.height);
    for (const Annotation& a : im.annotations) {
      auto it = names.find(a.category_id);
      if (it == names.end())
        return invalid_argument(fmt::format("image {}: annotation {} has unknown category {}",
                                            im.file_name, a.id, a.category_id));
      xml += fmt::format(
          "  <object>\n    <name>{}</name>\n    <difficult>0</difficult>\n    <bndbox>\n"
          "      <xmin>{}</xmin>\n      <ymin>{}</ymin>\n      <xmax>{}</xmax>\n"
          "      <ymax>{}</ymax>\n    </bndbox>\n  </object>\n",
          xml_escape(it->second), a.box.x1, a.box.y1, a.box.x2, a.box.y2);
    }
    xml += "</annotation>\n";
    const fs::path out_path = fs::path(dir) / (stem + ".xml");
    std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
    out << xml;
    out.close();
    if (!out) return io_error(fmt::format("{}: write failed", out_path.string()));
  }
  return {};
}

}  // namespace trellis::vision
