// The plant-detection steps, shared by plant_detection and plant_detection_sweep.
#include "plant_steps.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <signal.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "device.h"
#include "trellis/client/client.h"
#include "trellis/core/fs.h"
#include "trellis/tracking/report.h"
#include "trellis/vision/checkpoint.h"
#include "trellis/vision/coco_eval.h"
#include "trellis/vision/dataset_io.h"
#include "trellis/vision/dataset_tools.h"
#include "trellis/vision/detector.h"
#include "trellis/vision/draw.h"
#include "trellis/vision/runtime.h"
#include "trellis/vision/trainer.h"
#include "trellis/vision/validate.h"

namespace plant {
namespace {



std::string data_dir(const std::string& d) {
  std::error_code ec;
  return std::filesystem::absolute(d, ec).lexically_normal().string();
}

tv::Dataset must_read(const std::string& dir, const std::string& file) {
  Result<tv::Dataset> ds = tv::read_coco(dir + "/" + file);
  if (!ds.ok()) throw TaskError(ds.status().message());
  return std::move(ds).value();
}

// --testing: the reference's quick mode, one batch of training images.
tv::Dataset head(tv::Dataset ds, size_t n) {
  if (ds.images.size() > n) ds.images.resize(n);
  return ds;
}

// A split as the run uses it: --testing keeps one batch (train) or 4 images
// (test); --max-images N keeps the first N.
tv::Dataset load_split(const Json& cfg, const std::string& split, size_t batch) {
  tv::Dataset ds = must_read(cfg["data_dir"], split + ".json");
  if (cfg.value("testing", false)) ds = head(std::move(ds), split == "train" ? batch : 4);
  if (const int64_t n = cfg.value("max_images", int64_t{0}); n > 0) ds = head(std::move(ds), static_cast<size_t>(n));
  return ds;
}


// The test split scored by `detector`: COCO results and the evaluation.
struct Scored {
  std::vector<tv::ImageDetections> detections;
  tv::EvalResult eval;
};

Scored score(tv::Detector& detector, const tv::Dataset& test) {
  Scored s;
  tv::DetectOptions opts;
  opts.score_threshold = 0.05f;  // evaluation wants the low-scoring tail too
  opts.max_detections = 100;
  for (const auto& im : test.images) {
    Result<std::string> bytes = read_file(tv::image_path(test, im));
    if (!bytes.ok()) throw TaskError(bytes.status().message());
    Result<std::vector<tv::Detection>> dets = detector.detect_encoded(*bytes, opts);
    if (!dets.ok()) throw TaskError(tv::image_path(test, im) + ": " + dets.status().message());
    s.detections.push_back({im.id, std::move(dets).value()});
  }
  Result<tv::EvalResult> eval = tv::evaluate_coco(tv::make_eval_input(test, s.detections));
  if (!eval.ok()) throw TaskError("evaluation: " + eval.status().message());
  s.eval = std::move(eval).value();
  return s;
}

std::string png_of(const cv::Mat& m) {
  std::vector<uchar> buf;
  cv::imencode(".png", m, buf);
  return std::string(buf.begin(), buf.end());
}

std::string label_of(const tv::Dataset& ds, int id) {
  for (const auto& c : ds.categories) {
    if (c.id == id) return c.name;
  }
  return "class " + std::to_string(id);
}

// Test hook: PLANT_TEST_FAIL_STEP=STEP fails that step (the end-to-end test
// forces a failure in evaluate, then resumes without the variable).
void test_hook(const Task& t) {
  const char* step = std::getenv("PLANT_TEST_FAIL_STEP");
  if (step && t.step_name() == step) throw TaskError("forced failure (PLANT_TEST_FAIL_STEP)");
}

// Scoring runs in its own task process with the training config's thread count (all cores,
// or the sweep's share of them when configurations run side by side).
tv::DetectorOptions detector_options(const Json& cfg) {
  return {.num_threads = tv::intra_op_threads(cfg.value("num_threads", 0))};
}

}  // namespace

tv::TrainConfig make_train_config(const ConfigOptions& o) {
  tv::TrainConfig c;
  c.backbone = o.backbone;
  c.image_size = static_cast<int>(o.image_size);
  c.lr = o.lr;
  c.epochs = o.testing ? 2 : static_cast<int>(o.epochs);
  c.batch_size = static_cast<int>(o.batch_size);
  c.seed = static_cast<int>(o.seed);
  c.device = o.device;
  c.num_threads = o.num_threads;
  c.optimizer = "adamw";
  c.grad_clip_norm = 10.0;  // the reference: global clipping at norm 10
  c.early_stopping_patience = 6;
  c.early_stopping_metric = "val_loss";
  c.warmup_iters = o.testing ? 1 : 20;
  c.progress = true;
  c.augment = o.augment;
  return c;
}

Json check_and_configure(Task& t, const ConfigOptions& o) {
  const std::string dir = data_dir(o.data);
  for (const char* f : {"train.json", "test.json"}) {
    if (!path_exists(dir + "/" + f)) {
      throw TaskError("--data " + dir + " has no " + f + " (expected a COCO folder: train.json, " +
                      "test.json, images/); see docs/plant-detection.md");
    }
  }
  if (std::string why = check_device(o.device); !why.empty()) throw TaskError(why);
  tv::TrainConfig config = make_train_config(o);
  if (Status s = tv::validate(config); !s.ok()) throw TaskError("config: " + s.message());
  Json stats;
  for (const char* split : {"train", "test"}) {
    tv::Dataset ds = must_read(dir, std::string(split) + ".json");
    std::vector<tv::DataIssue> issues = tv::check_dataset(ds);
    if (!issues.empty()) {
      std::string msg = std::to_string(issues.size()) + " problem(s) in " + dir + "/" + split + ".json:";
      for (size_t i = 0; i < issues.size() && i < 20; ++i) {
        msg += "\n  " + issues[i].file + ": " + issues[i].message;
      }
      throw TaskError(msg + "\n(run `trellis data check` for all; fix or skip them)");
    }
    Result<Json> j = parse_json(tv::stats_json(ds, tv::compute_stats(ds)), "stats");
    stats[split] = j.ok() ? *j : Json();
    t.summary(std::string(split) + "_images", static_cast<double>(ds.images.size()));
    std::printf("%s: %zu images, %zu classes\n", split, ds.images.size(), ds.categories.size());
  }
  t.put(kDataStats, stats);
  return run_config(config, dir, o);
}

Json run_config(const tv::TrainConfig& config, const std::string& dir, const ConfigOptions& o) {
  Json cfg = Json::parse(tv::train_config_to_json(config));
  cfg["data_dir"] = dir;
  cfg["testing"] = o.testing;
  cfg["max_images"] = o.max_images;
  return cfg;
}

void train_model(Task& t, const Json& cfg) {
  tv::tune_cpu_allocator();
  Result<tv::TrainConfig> config = tv::train_config_from_json(
      [&] {
        Json c = cfg;
        for (const char* k : {"data_dir", "testing", "max_images"}) c.erase(k);
        return c.dump();
      }());
  if (!config.ok()) throw TaskError(config.status().message());
  tv::Dataset train = load_split(cfg, "train", static_cast<size_t>(config->batch_size));
  tv::Dataset val = load_split(cfg, "test", 0);
  // Continue from the last finished epoch of an earlier attempt or run.
  std::string last = t.load_checkpoint(kLastCheckpoint).value_or(Bytes{}).data;
  std::string best = t.load_checkpoint(kBestCheckpoint).value_or(Bytes{}).data;
  Json history = Json::array();
  if (!last.empty()) {
    Result<tv::Checkpoint> ck = tv::decode_checkpoint(last);
    if (ck.ok()) std::printf("continuing after epoch %d (checkpoint of an earlier attempt)\n", ck->epoch);
  }
  if (auto h = t.load_checkpoint(Key<Json>{"history_so_far"})) history = *h;
  for (;;) {
    tv::TrainOptions opts;
    opts.resume_checkpoint = last;
    opts.stop_after_epochs = 1;
    opts.on_iteration = [&](int64_t it, double loss) {
      if (it % 5 == 0) t.log("train/loss_iter", loss, it);
    };
    Result<tv::TrainResult> r = tv::train_detector(*config, train, val, opts);
    if (!r.ok()) throw TaskError(r.status().message());
    if (r->history.empty()) break;  // the checkpoint had finished every epoch
    const tv::EpochStats& e = r->history.back();
    last = r->last_checkpoint;
    if (e.is_best || best.empty()) best = last;
    t.log("train_loss", e.train_loss, e.epoch);
    t.log("val_loss", e.val_loss, e.epoch);
    t.log("val_map", e.val_map, e.epoch);
    t.log("val_map50", e.val_map50, e.epoch);
    t.log("lr", e.lr, e.epoch);
    t.log("images_per_second", e.images_per_second, e.epoch);
    history.push_back({{"epoch", e.epoch}, {"train_loss", e.train_loss}, {"val_loss", e.val_loss},
                       {"val_map", e.val_map}, {"val_map50", e.val_map50},
                       {"seconds", e.seconds}, {"best", e.is_best}});
    t.save_checkpoint(kLastCheckpoint, Bytes{last});
    t.save_checkpoint(kBestCheckpoint, Bytes{best});
    t.save_checkpoint(Key<Json>{"history_so_far"}, history);
    std::printf("epoch %d/%d: train_loss %.4f val_loss %.4f val_mAP %.4f val_mAP@0.5 %.4f "
                "(%.1f img/s)%s\n",
                e.epoch, config->epochs, e.train_loss, e.val_loss, e.val_map, e.val_map50,
                e.images_per_second, e.is_best ? " best" : "");
    // Test hook: the end-to-end test kills the task here (only in the run it
    // starts with this variable) to check that resume continues at the next epoch.
    if (const char* die = std::getenv("PLANT_TEST_KILL_AFTER_EPOCH");
        die && std::atoi(die) == e.epoch) {
      raise(SIGKILL);
    }
    if (r->stopped_early || e.epoch >= config->epochs) {
      if (r->stopped_early) std::printf("early stopping after epoch %d\n", e.epoch);
      break;
    }
  }
  if (best.empty()) throw TaskError("training produced no checkpoint");
  t.put(kModel, Bytes{best});
  t.put(kHistory, history);
  if (!history.empty()) t.summary("epochs_trained", history.back()["epoch"].get<double>());
}

void evaluate_model(Task& t, const Json& cfg, int64_t gallery) {
  test_hook(t);
  tv::Dataset test = load_split(cfg, "test", 0);
  Result<std::unique_ptr<tv::Detector>> det = tv::Detector::load(t.get(kModel).data, detector_options(cfg));
  if (!det.ok()) throw TaskError("model: " + det.status().message());
  Scored s = score(**det, test);
  std::printf("%s", tv::format_summary(s.eval).c_str());
  Result<Json> metrics = parse_json(tv::format_json(s.eval), "metrics");
  t.put(kMetrics, metrics.ok() ? *metrics : Json());
  t.put(kMap, s.eval.stats[0]);
  t.put(kMap50, s.eval.stats[1]);
  // -1 marks a size bucket without ground truth: not a score, so not a summary.
  for (size_t i = 0; i < tv::kStatNames.size(); ++i) {
    if (s.eval.stats[i] >= 0) t.summary(tv::kStatNames[i], s.eval.stats[i]);
  }
  Json results = Json::array();
  for (const auto& im : s.detections) {
    for (const auto& d : im.detections) {
      results.push_back({{"image_id", im.image_id}, {"category_id", d.category_id},
                         {"bbox", {d.box.x1, d.box.y1, d.box.width(), d.box.height()}},
                         {"score", d.score}});
    }
  }
  t.put(kDetections, results);

  TrackedTable per_class;
  per_class.columns = {"class", "ground-truth boxes", "detections", "AP", "AP@0.5"};
  for (const auto& c : s.eval.per_class) {
    per_class.rows.push_back({c.name, double(c.num_ground_truth), double(c.num_detections), c.ap, c.ap50});
  }
  t.log_table("per_class_ap", per_class);

  // The reference's qualitative table: ground truth next to predictions.
  TrackedTable table;
  table.columns = {"image", "ground truth", "predictions"};
  const size_t n = std::min<size_t>(static_cast<size_t>(gallery), test.images.size());
  for (size_t i = 0; i < n; ++i) {
    const tv::ImageRecord& im = test.images[i];
    Result<std::string> bytes = read_file(tv::image_path(test, im));
    if (!bytes.ok()) continue;
    TrackedImage cell{*bytes, "jpeg", im.width, im.height, {}, im.file_name};
    std::string gt_names, pred_names;
    for (const auto& a : im.annotations) {
      cell.boxes.push_back({a.box.x1, a.box.y1, a.box.x2, a.box.y2, label_of(test, a.category_id), -1, "gt"});
      gt_names += (gt_names.empty() ? "" : ", ") + label_of(test, a.category_id);
    }
    for (const auto& d : s.detections[i].detections) {
      if (d.score < 0.3f) continue;
      const std::string name = label_of(test, d.category_id);
      cell.boxes.push_back({d.box.x1, d.box.y1, d.box.x2, d.box.y2, name, d.score, "pred"});
      char buf[32];
      std::snprintf(buf, sizeof buf, " %.2f", d.score);
      pred_names += (pred_names.empty() ? "" : ", ") + name + buf;
    }
    table.rows.push_back({cell, gt_names, pred_names.empty() ? std::string("(none above 0.3)") : pred_names});
  }
  t.log_table("predictions", table);

  // Precision-recall curves of the classes with the most ground truth.
  std::vector<size_t> order(s.eval.per_class.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return s.eval.per_class[a].num_ground_truth > s.eval.per_class[b].num_ground_truth;
  });
  for (size_t i = 0; i < order.size() && i < 4; ++i) {
    if (s.eval.per_class[order[i]].num_ground_truth == 0) continue;
    cv::Mat plot = tv::plot_pr_curve(s.eval, static_cast<int>(order[i]), 360);
    t.log_image("pr_curve", {png_of(plot), "png", plot.cols, plot.rows, {},
                             "PR: " + s.eval.per_class[order[i]].name});
  }
}

void deploy_model(Task& t, const Json& cfg, const std::string& alias, double min_map,
                  const std::string& model_pathspec) {
  const double map = t.get(kMap);
  Json decision = {{"alias", alias}, {"candidate", model_pathspec}, {"map", map}, {"deployed", false}};
  std::string why;
  if (map < min_map) {
    why = "mAP " + std::to_string(map) + " is below --min-map " + std::to_string(min_map);
  } else if (auto current = t.get_alias(alias)) {
    // Beat the current model on the same test data, scored now.
    const std::string cur = current->value("pathspec", "") + "/" + current->value("artifact", "model");
    tv::Dataset test = load_split(cfg, "test", 0);
    double cur_map = -1;
    try {
      Result<std::unique_ptr<tv::Detector>> det = tv::Detector::load(t.read_artifact(cur), detector_options(cfg));
      if (det.ok()) cur_map = score(**det, test).eval.stats[0];
    } catch (const TaskError& e) {
      std::printf("current model %s cannot be read (%s): replacing it\n", cur.c_str(), e.what());
    }
    decision["current"] = cur;
    decision["current_map"] = cur_map;
    if (cur_map >= 0 && map <= cur_map) {
      why = "mAP " + std::to_string(map) + " does not beat the current model's " +
            std::to_string(cur_map) + " on the same test data";
    }
  }
  if (!why.empty()) {
    decision["reason"] = why;
    std::printf("not deployed: %s; %s keeps its model\n", why.c_str(), alias.c_str());
  } else {
    Pathspec model_task = Pathspec::parse_exact(model_pathspec, 5).value();
    model_task.artifact.clear();
    t.set_alias(alias, {{"pathspec", model_task.str()},
                        {"artifact", "model"}, {"version", Pathspec::of_run(t.flow_name(), t.run_id()).str()},
                        {"map", map}, {"map50", t.get(kMap50)}});
    decision["deployed"] = true;
    std::printf("deployed %s as %s (mAP %.4f)\n", model_pathspec.c_str(), alias.c_str(), map);
    // Servers of this alias follow it (trellis serve watches the metadata), on any host.
  }
  t.put(kDeployment, decision);
  std::printf("serve it:  trellis serve %s --port 8080\n", alias.c_str());
  std::printf("try it:    curl -s -H 'Content-Type: image/jpeg' --data-binary @%s "
              "http://127.0.0.1:8080/invocations\n",
              (cfg["data_dir"].get<std::string>() + "/images/test/00001.jpg").c_str());
}


std::string store_report(Task& t) {
  Result<std::unique_ptr<Client>> client = Client::open();  // TRELLIS_ROOT/METADATA of this run
  if (!client.ok()) throw TaskError("report: " + client.status().message());
  Result<RunRecord> run = (*client)->run(t.flow_name(), t.run_id());
  if (!run.ok()) throw TaskError("report: " + run.status().message());
  Result<std::string> html = render_run_report(**client, *run);
  if (!html.ok()) throw TaskError("report: " + html.status().message());
  t.put(Key<Bytes>{"report"}, Bytes{*html});
  const std::string name = t.flow_name() + "-" + std::to_string(t.run_id()) + ".html";
  // A local store keeps a copy beside the runs; any store has the artifact.
  const std::string root = (*client)->settings().local_root();
  if (root.empty()) {
    return "artifact " + t.pathspec() + "/report (trellis get " + t.pathspec() + "/report --out " + name + ")";
  }
  const std::string path = root + "/reports/" + name;
  if (Status s = atomic_write_file(path, *html); !s.ok()) throw TaskError("report: " + s.message());
  return path;
}

}  // namespace plant
