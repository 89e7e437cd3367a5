// trellis._core: the C++ client (trellis/client/client.h) for Python. Records come back
// as small read-only objects, JSON values as Python objects, artifact and blob bytes as a
// Blob that owns them and exposes them through the buffer protocol, so numpy views an NPY
// artifact in place. The Metaflow-shaped API on top is pure Python (trellis/__init__.py).
//
// The GIL is held throughout: a Client is not thread-safe, and holding the GIL is what
// makes one Client object safe to share between Python threads.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "trellis/client/client.h"
#include "trellis/core/pathspec.h"

namespace py = pybind11;
using namespace trellis;

namespace {

// Python exception types, created once at import (trellis._core.TrellisError ...).
struct Errors {
  py::object base, not_found, unavailable, corrupt;
};
Errors& errors() {
  static Errors* e = new Errors();  // never destroyed: outlives the interpreter's teardown
  return *e;
}

// Throws the Python exception for a failed Status. `invalid` is what an invalid
// argument becomes (ValueError, or TypeError where it means a codec mismatch).
[[noreturn]] void raise(const Status& s, PyObject* invalid = PyExc_ValueError) {
  PyObject* type = errors().base.ptr();
  switch (s.code()) {
    case Code::kNotFound:
      type = errors().not_found.ptr();
      break;
    case Code::kInvalidArgument:
      type = invalid;
      break;
    case Code::kUnavailable:
      type = errors().unavailable.ptr();
      break;
    case Code::kCorrupt:
      type = errors().corrupt.ptr();
      break;
    default:
      break;
  }
  PyErr_SetString(type, s.message().c_str());
  throw py::error_already_set();
}

template <typename T>
T take(Result<T> r, PyObject* invalid = PyExc_ValueError) {
  if (!r.ok()) raise(r.status(), invalid);
  return std::move(r).value();
}
void check(const Status& s) {
  if (!s.ok()) raise(s);
}

// nlohmann JSON -> Python objects (dict, list, str, int, float, bool, None).
py::object to_py(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
    case Json::value_t::discarded:
      return py::none();
    case Json::value_t::boolean:
      return py::bool_(j.get<bool>());
    case Json::value_t::number_integer:
      return py::int_(j.get<int64_t>());
    case Json::value_t::number_unsigned:
      return py::int_(j.get<uint64_t>());
    case Json::value_t::number_float:
      return py::float_(j.get<double>());
    case Json::value_t::string:
      return py::str(j.get_ref<const std::string&>());
    case Json::value_t::binary:
      return py::bytes(reinterpret_cast<const char*>(j.get_binary().data()), j.get_binary().size());
    case Json::value_t::array: {
      py::list out;
      for (const Json& v : j) out.append(to_py(v));
      return out;
    }
    case Json::value_t::object: {
      py::dict out;
      for (auto it = j.begin(); it != j.end(); ++it) out[py::str(it.key())] = to_py(it.value());
      return out;
    }
  }
  return py::none();
}

// Bytes owned by C++ (an artifact's value, a blob), exposed without a copy.
// Writable: the bytes are this object's own, so numpy arrays over them may be
// changed in a notebook without touching anything stored.
struct Blob {
  std::string bytes;
};

py::dict artifact_dict(const ArtifactRecord& a) {
  py::dict d;
  d["name"] = a.name;
  d["digest"] = a.digest;
  d["codec"] = a.codec;
  d["type"] = a.type;
  d["size"] = a.size;
  return d;
}

py::dict attempt_dict(const AttemptRecord& a) {
  py::dict d;
  d["attempt"] = a.attempt;
  d["started_ms"] = a.started_ms;
  d["finished_ms"] = a.finished_ms;
  d["ok"] = a.ok;
  d["exit_code"] = a.exit_code;
  d["signal"] = a.signal;
  d["reason"] = a.reason;
  d["log_digest"] = a.log_digest;
  d["executor"] = a.executor;
  d["job_id"] = a.job_id;
  d["host"] = a.host;
  return d;
}

py::dict media_dict(const MediaRecord& m) {
  py::dict d;
  d["name"] = m.name;
  d["kind"] = m.kind;
  d["step"] = m.step;
  d["digest"] = m.digest;
  d["meta"] = to_py(m.meta);
  d["time_ms"] = m.time_ms;
  return d;
}

py::dict pathspec_dict(const Pathspec& p) {
  py::dict d;
  d["flow"] = p.flow;
  d["run"] = p.run;
  d["step"] = p.step;
  d["task"] = p.task;
  d["artifact"] = p.artifact;
  return d;
}

py::dict setting_dict(const Setting& s) {
  py::dict d;
  d["value"] = redact_url(s.value);  // settings are for showing: never a password
  d["source"] = s.source;
  return d;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "Trellis client internals; use the `trellis` package";

  Errors& e = errors();
  e.base = py::reinterpret_steal<py::object>(
      PyErr_NewExceptionWithDoc("trellis._core.TrellisError", "A Trellis store answered with an error.",
                                PyExc_Exception, nullptr));
  // NotFound is a LookupError too, so `except LookupError` code keeps working.
  py::tuple nf_bases = py::make_tuple(e.base, py::handle(PyExc_LookupError));
  e.not_found = py::reinterpret_steal<py::object>(PyErr_NewExceptionWithDoc(
      "trellis._core.NotFound", "No such flow, run, step, task, artifact, alias or blob.",
      nf_bases.ptr(), nullptr));
  py::tuple un_bases = py::make_tuple(e.base, py::handle(PyExc_ConnectionError));
  e.unavailable = py::reinterpret_steal<py::object>(PyErr_NewExceptionWithDoc(
      "trellis._core.Unavailable", "A store could not be reached (worth retrying).",
      un_bases.ptr(), nullptr));
  e.corrupt = py::reinterpret_steal<py::object>(PyErr_NewExceptionWithDoc(
      "trellis._core.Corrupt", "Stored bytes failed their hash check or could not be decoded.",
      e.base.ptr(), nullptr));
  m.attr("TrellisError") = e.base;
  m.attr("NotFound") = e.not_found;
  m.attr("Unavailable") = e.unavailable;
  m.attr("Corrupt") = e.corrupt;

  py::class_<Blob>(m, "Blob", py::buffer_protocol())
      .def_buffer([](Blob& b) {
        return py::buffer_info(b.bytes.data(), 1, py::format_descriptor<uint8_t>::format(), 1,
                               {static_cast<py::ssize_t>(b.bytes.size())}, {1},
                               /*readonly=*/false);
      })
      .def("__len__", [](const Blob& b) { return b.bytes.size(); })
      .def("tobytes", [](const Blob& b) { return py::bytes(b.bytes); })
      .def("text", [](const Blob& b) {
        // Logs and JSON are UTF-8; anything else a task printed is shown, not refused.
        PyObject* s = PyUnicode_DecodeUTF8(b.bytes.data(), static_cast<py::ssize_t>(b.bytes.size()),
                                           "replace");
        if (!s) throw py::error_already_set();
        return py::reinterpret_steal<py::str>(s);
      });

  py::class_<RunRecord>(m, "RunRecord")
      .def_readonly("flow", &RunRecord::flow)
      .def_readonly("run_id", &RunRecord::run_id)
      .def_property_readonly("status", [](const RunRecord& r) { return std::string(to_string(r.status)); })
      .def_readonly("created_ms", &RunRecord::created_ms)
      .def_readonly("finished_ms", &RunRecord::finished_ms)
      .def_property_readonly("params", [](const RunRecord& r) { return to_py(r.params); })
      .def_property_readonly("code", [](const RunRecord& r) { return to_py(r.code); })
      .def_readonly("origin_run_id", &RunRecord::origin_run_id)
      .def_readonly("host", &RunRecord::host)
      .def_readonly("orchestrator_pid", &RunRecord::orchestrator_pid)
      .def_readonly("tags", &RunRecord::tags);

  py::class_<TaskRecord>(m, "TaskRecord")
      .def_readonly("flow", &TaskRecord::flow)
      .def_readonly("run_id", &TaskRecord::run_id)
      .def_readonly("task_id", &TaskRecord::task_id)
      .def_readonly("step", &TaskRecord::step)
      .def_property_readonly("status", [](const TaskRecord& t) { return std::string(to_string(t.status)); })
      .def_property_readonly("foreach_stack", [](const TaskRecord& t) { return to_py(t.foreach_stack); })
      .def_property_readonly("inputs", [](const TaskRecord& t) { return to_py(t.inputs); })
      .def_readonly("foreach_count", &TaskRecord::foreach_count)
      .def_readonly("created_ms", &TaskRecord::created_ms)
      .def_readonly("started_ms", &TaskRecord::started_ms)
      .def_readonly("finished_ms", &TaskRecord::finished_ms)
      .def_readonly("cloned_from", &TaskRecord::cloned_from)
      .def_readonly("resumed_from", &TaskRecord::resumed_from)
      .def_readonly("attempts", &TaskRecord::attempts)
      .def_property_readonly("pathspec", [](const TaskRecord& t) { return pathspec_of(t); });

  m.def("parse_pathspec", [](const std::string& text) { return pathspec_dict(take(Pathspec::parse(text))); },
        "Parts of Flow[/run[/step[/task[/artifact]]]]; ValueError naming what is wrong.");

  m.def(
      "resolve_settings",
      [](const std::string& root, const std::string& datastore, const std::string& metadata) {
        StoreSettings s = take(resolve_stores(StoreFlags{root, datastore, metadata}));
        py::dict d;
        d["datastore"] = setting_dict(s.datastore);
        d["metadata"] = setting_dict(s.metadata);
        d["config_path"] = s.config_path;
        return d;
      },
      "The stores these flags (and the environment, the config file) choose, opening nothing.");

  py::class_<Client>(m, "Client")
      .def(py::init([](const std::string& root, const std::string& datastore, const std::string& metadata) {
             return take(Client::open(ClientOptions{root, datastore, metadata}));
           }),
           py::arg("root") = "", py::arg("datastore") = "", py::arg("metadata") = "")
      .def("settings",
           [](Client& c) {
             py::dict d;
             d["datastore"] = setting_dict(c.settings().datastore);
             d["metadata"] = setting_dict(c.settings().metadata);
             d["config_path"] = c.settings().config_path;
             return d;
           })
      .def("flows", [](Client& c) { return take(c.flows()); })
      .def("runs", [](Client& c, const std::string& flow, const std::string& tag) { return take(c.runs(flow, tag)); },
           py::arg("flow"), py::arg("tag") = "")
      .def("run", [](Client& c, const std::string& flow, int64_t id) { return take(c.run(flow, id)); })
      .def("latest_run", [](Client& c, const std::string& flow) { return take(c.latest_run(flow)); })
      .def("latest_successful_run",
           [](Client& c, const std::string& flow) { return take(c.latest_successful_run(flow)); })
      .def("tasks", [](Client& c, const RunRecord& r) { return take(c.tasks(r)); })
      .def("step_tasks", [](Client& c, const RunRecord& r, const std::string& step) { return take(c.tasks(r, step)); })
      .def("task", [](Client& c, const RunRecord& r, int64_t id) { return take(c.task(r, id)); })
      .def("artifacts",
           [](Client& c, const TaskRecord& t) {
             py::list out;
             for (const ArtifactRecord& a : take(c.artifacts(t))) out.append(artifact_dict(a));
             return out;
           })
      .def("artifact", [](Client& c, const TaskRecord& t, const std::string& name) {
        return artifact_dict(take(c.artifact(t, name)));
      })
      .def(
          "artifact_bytes",
          [](Client& c, const TaskRecord& t, const std::string& name, const std::string& codec,
             const std::string& type) {
            // The stored codec is checked in C++ (one place); a mismatch is a TypeError.
            return Blob{take(c.artifact_bytes(t, name, {codec, type}), PyExc_TypeError)};
          },
          py::arg("task"), py::arg("name"), py::arg("codec") = "bytes", py::arg("type") = "bytes")
      .def("attempts",
           [](Client& c, const TaskRecord& t) {
             py::list out;
             for (const AttemptRecord& a : take(c.attempts(t))) out.append(attempt_dict(a));
             return out;
           })
      .def("logs", [](Client& c, const TaskRecord& t, int attempt) { return Blob{take(c.logs(t, attempt))}; },
           py::arg("task"), py::arg("attempt") = -1)
      .def("metrics",
           [](Client& c, const TaskRecord& t) {
             // Columns, not one dict per point: a long training run logs 100k points.
             std::vector<MetricPoint> points = take(c.metrics(t));
             py::list names, steps, values, times;
             for (const MetricPoint& p : points) {
               names.append(p.name);
               steps.append(p.step);
               values.append(p.value);
               times.append(p.time_ms);
             }
             py::dict d;
             d["name"] = names;
             d["step"] = steps;
             d["value"] = values;
             d["time_ms"] = times;
             return d;
           })
      .def("media",
           [](Client& c, const TaskRecord& t) {
             py::list out;
             for (const MediaRecord& r : take(c.media(t))) out.append(media_dict(r));
             return out;
           })
      .def("blob", [](Client& c, const std::string& digest) { return Blob{take(c.blob(digest))}; })
      .def("add_tag",
           [](Client& c, const RunRecord& r, const std::string& tag) {
             check(c.metadata().add_tag(r.flow, r.run_id, tag));
           })
      .def("remove_tag",
           [](Client& c, const RunRecord& r, const std::string& tag) {
             check(c.metadata().remove_tag(r.flow, r.run_id, tag));
           })
      .def("alias", [](Client& c, const std::string& alias) { return to_py(take(c.metadata().get_alias(alias))); })
      .def("aliases", [](Client& c) {
        py::list out;
        for (const auto& [name, value] : take(c.metadata().list_aliases())) {
          out.append(py::make_tuple(name, to_py(value)));
        }
        return out;
      });
}
