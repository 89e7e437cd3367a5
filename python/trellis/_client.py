"""Runs, steps, tasks and artifacts in the shape of Metaflow's Client API.

Objects read lazily and cache what cannot change (a finished task's artifacts); a
run's status is re-read while it is running, so a Run handed out by the Runner shows
live progress. Everything goes through one C++ Client (trellis._core.Client), which
reads the same stores as the `trellis` CLI: --root/--datastore/--metadata given to
connect(), else TRELLIS_DATASTORE/TRELLIS_METADATA/TRELLIS_ROOT, the config file,
and the default ./.trellis.
"""

import datetime as _dt
import io as _io
import json as _json

from . import _core
from ._npy import array_from_npy

NotFound = _core.NotFound

_default_client = None
_options = ("", "", "")  # root, datastore, metadata, as connect() was given them
_namespace = None


def connect(root=None, datastore=None, metadata=None):
    """Chooses the stores every object created afterwards reads (like the CLI's flags).

    A bad URL is an error now; a store with no runs yet is opened when first read (so a
    notebook can connect, then start its first run with the Runner).
    """
    global _default_client, _options
    _options = (root or "", datastore or "", metadata or "")
    _default_client = None
    try:
        _default_client = _core.Client(*_options)
    except NotFound:
        pass


def _client(client=None):
    global _default_client
    if client is not None:
        return client
    if _default_client is None:
        _default_client = _core.Client(*_options)
    return _default_client


def settings(client=None):
    """Which datastore and metadata are read, and where each choice came from."""
    if client is None and _default_client is None:
        return _core.resolve_settings(*_options)  # nothing to open yet (no runs)
    return _client(client).settings()


def namespace(tag):
    """Lists (Flow.runs, iteration, latest_run) show only runs with `tag`; None shows all.

    A run named by its pathspec is always found: a pathspec names one run exactly.
    Returns the previous namespace.
    """
    global _namespace
    previous, _namespace = _namespace, tag
    return previous


def get_namespace():
    return _namespace


def default_namespace():
    """Back to showing every run."""
    return namespace(None)


def flows(client=None):
    """Every flow with recorded runs."""
    c = _client(client)
    return [Flow(name, client=c) for name in c.flows()]


def alias(name, client=None):
    """A registry entry ("plant/production"): what was promoted, from which run, with what mAP."""
    return _client(client).alias(name)


def aliases(client=None):
    """Every registry alias with its entry, as a dict."""
    return dict(_client(client).aliases())


def _datetime(ms):
    if not ms:
        return None
    return _dt.datetime.fromtimestamp(ms / 1000.0, tz=_dt.timezone.utc)


def _parse(pathspec, depth, what):
    """The parts of `pathspec`, requiring exactly `depth` of them (2 run, 3 step, 4 task)."""
    if not isinstance(pathspec, str):
        raise TypeError(f"{what} wants a pathspec string, not {type(pathspec).__name__}")
    p = _core.parse_pathspec(pathspec)
    have = sum(1 for k in ("flow", "run", "step", "task") if p[k])
    if have != depth or p["artifact"]:
        shapes = {2: "Flow/run", 3: "Flow/run/step", 4: "Flow/run/step/task"}
        raise ValueError(f"{what}: '{pathspec}' is not a {shapes[depth]} pathspec")
    return p


def _run_record(c, flow, run):
    try:
        if run == "latest":
            return c.latest_run(flow)
        return c.run(flow, int(run))
    except NotFound as e:
        pathspec = f"{flow}/{run}"
        raise (e if pathspec in str(e) else NotFound(f"{pathspec}: {e}")) from None


class Flow:
    """A flow: its runs, newest first.

        Flow("PlantDetection").latest_run
    """

    def __init__(self, name, client=None):
        if not isinstance(name, str) or not name or "/" in name:
            raise ValueError(f"Flow wants a flow name, not {name!r}")
        self._c = _client(client)
        if name not in self._c.flows():
            where = self._c.settings()["metadata"]["value"]
            raise NotFound(f"flow '{name}' has no runs in {where}")
        self.id = self.pathspec = name

    def runs(self, *tags):
        """Runs newest first, those carrying every tag given (and the namespace's)."""
        want = list(tags) + ([_namespace] if _namespace else [])
        records = self._c.runs(self.id, want[0] if want else "")
        for r in records:
            if all(t in r.tags for t in want[1:]):
                yield Run(None, client=self._c, _record=r)

    def __iter__(self):
        return self.runs()

    def __getitem__(self, run_id):
        return Run(f"{self.id}/{run_id}", client=self._c)

    @property
    def latest_run(self):
        return next(self.runs(), None)

    @property
    def latest_successful_run(self):
        return next((r for r in self.runs() if r.successful), None)

    def __repr__(self):
        return f"Flow('{self.id}')"


class Run:
    """One run: Run("PlantDetection/3") (or "PlantDetection/latest")."""

    def __init__(self, pathspec, client=None, _record=None):
        self._c = _client(client)
        if _record is None:
            p = _parse(pathspec, 2, "Run")
            _record = _run_record(self._c, p["flow"], p["run"])
        self._r = _record

    def _record(self):
        # A running run changes under us (status, end time, tags): re-read it.
        if self._r.status == "running":
            self._r = self._c.run(self._r.flow, self._r.run_id)
        return self._r

    def refresh(self):
        self._r = self._c.run(self._r.flow, self._r.run_id)
        return self

    @property
    def id(self):
        return str(self._r.run_id)

    @property
    def run_id(self):
        return self._r.run_id

    @property
    def flow_name(self):
        return self._r.flow

    @property
    def pathspec(self):
        return f"{self._r.flow}/{self._r.run_id}"

    @property
    def parent(self):
        return Flow(self._r.flow, client=self._c)

    @property
    def status(self):
        """'running', 'succeeded' or 'failed'."""
        return self._record().status

    @property
    def successful(self):
        return self._record().status == "succeeded"

    @property
    def finished(self):
        return self._record().status != "running"

    @property
    def finished_at(self):
        return _datetime(self._record().finished_ms)

    @property
    def created_at(self):
        return _datetime(self._r.created_ms)

    @property
    def parameters(self):
        return self._r.params

    @property
    def code(self):
        """Code identity: the flow binary's SHA-256, git commit, compiler, libraries."""
        return self._r.code

    @property
    def host(self):
        return self._r.host

    @property
    def tags(self):
        return frozenset(self._record().tags)

    @property
    def origin_run(self):
        """The run this one resumed, or None."""
        if not self._r.origin_run_id:
            return None
        return Run(f"{self._r.flow}/{self._r.origin_run_id}", client=self._c)

    def add_tag(self, tag):
        self._c.add_tag(self._r, tag)
        self.refresh()

    def remove_tag(self, tag):
        self._c.remove_tag(self._r, tag)
        self.refresh()

    def _tasks(self):
        return self._c.tasks(self._r)

    def steps(self):
        """Steps in the order they started."""
        seen = []
        for t in self._tasks():
            if t.step not in seen:
                seen.append(t.step)
        return [Step(None, client=self._c, _run=self, _name=s) for s in seen]

    def __iter__(self):
        return iter(self.steps())

    def __getitem__(self, step):
        # NotFound names the run and the steps it has.
        tasks = self._c.step_tasks(self._r, step)
        return Step(None, client=self._c, _run=self, _name=step, _tasks=tasks)

    def __contains__(self, step):
        try:
            return bool(self._c.step_tasks(self._r, step))
        except NotFound:
            return False

    @property
    def end_task(self):
        return self["end"].task if "end" in self else None

    @property
    def data(self):
        """The artifacts of the end step (as Metaflow's run.data)."""
        end = self.end_task
        if end is None:
            raise NotFound(f"{self.pathspec} has no end task (status: {self.status})")
        return end.data

    def __repr__(self):
        return f"Run('{self.pathspec}')"


class Step:
    """The tasks of one step of a run: Step("PlantDetection/3/train")."""

    def __init__(self, pathspec, client=None, _run=None, _name=None, _tasks=None):
        self._c = _client(client)
        if _run is None:
            p = _parse(pathspec, 3, "Step")
            _run = Run(None, client=self._c, _record=_run_record(self._c, p["flow"], p["run"]))
            _name = p["step"]
            _tasks = self._c.step_tasks(_run._r, _name)
        self._run, self.id, self._task_records = _run, _name, _tasks

    def _records(self):
        if self._task_records is None or not self._run.finished:
            self._task_records = self._c.step_tasks(self._run._r, self.id)
        return self._task_records

    @property
    def pathspec(self):
        return f"{self._run.pathspec}/{self.id}"

    @property
    def parent(self):
        return self._run

    def tasks(self):
        """Tasks in id order (a foreach's in item order)."""
        return [Task(None, client=self._c, _record=t, _run=self._run) for t in self._records()]

    def __iter__(self):
        return iter(self.tasks())

    @property
    def task(self):
        """The step's first task (its only one unless it is a foreach body)."""
        return self.tasks()[0]

    def __getitem__(self, task_id):
        for t in self._records():
            if str(t.task_id) == str(task_id):
                return Task(None, client=self._c, _record=t, _run=self._run)
        raise NotFound(f"{self.pathspec} has no task {task_id}")

    def __len__(self):
        return len(self._records())

    def __repr__(self):
        return f"Step('{self.pathspec}')"


class Task:
    """One task: Task("PlantDetection/3/train/2"). task["model"] is an artifact,
    task.data.model its value."""

    def __init__(self, pathspec, client=None, _record=None, _run=None):
        self._c = _client(client)
        if _record is None:
            p = _parse(pathspec, 4, "Task")
            _run = Run(None, client=self._c, _record=_run_record(self._c, p["flow"], p["run"]))
            _record = self._c.task(_run._r, int(p["task"]))
            if _record.step != p["step"]:
                raise NotFound(f"{pathspec}: task {p['task']} of {_run.pathspec} belongs to step "
                               f"'{_record.step}' ({_record.pathspec})")
        self._t, self._run, self._artifacts = _record, _run, None

    def _record(self):
        if self._t.status in ("pending", "running"):
            self._t = self._c.task(self.parent._r, self._t.task_id)
        return self._t

    @property
    def id(self):
        return str(self._t.task_id)

    @property
    def task_id(self):
        return self._t.task_id

    @property
    def step_name(self):
        return self._t.step

    @property
    def pathspec(self):
        return self._t.pathspec

    @property
    def parent(self):
        """The run (Metaflow's parent is the step; task.parent.parent works for either)."""
        if self._run is None:
            self._run = Run(f"{self._t.flow}/{self._t.run_id}", client=self._c)
        return self._run

    @property
    def run(self):
        return self.parent

    @property
    def status(self):
        """'pending', 'running', 'done' or 'failed'."""
        return self._record().status

    @property
    def successful(self):
        return self._record().status == "done"

    @property
    def finished(self):
        return self._record().status in ("done", "failed")

    @property
    def created_at(self):
        return _datetime(self._t.created_ms)

    @property
    def started_at(self):
        return _datetime(self._record().started_ms)

    @property
    def finished_at(self):
        return _datetime(self._record().finished_ms)

    @property
    def index(self):
        """Position in the innermost foreach, or None outside one."""
        stack = self._t.foreach_stack
        return stack[-1]["index"] if stack else None

    @property
    def foreach_stack(self):
        return self._t.foreach_stack

    @property
    def cloned_from(self):
        """Pathspec of the task a resume copied this one from, or None."""
        return self._t.cloned_from or None

    @property
    def attempts(self):
        """Every attempt: where it ran (executor, job_id, host), exit code, reason."""
        return self._c.attempts(self._t)

    def logs(self, attempt=-1):
        """What the task printed (stdout and stderr, interleaved) in one attempt (-1: the last)."""
        return self._c.logs(self._t, attempt).text()

    @property
    def stdout(self):
        return self.logs()

    def _artifact_records(self):
        if self._artifacts is None or not self.finished:
            self._artifacts = {a["name"]: a for a in self._c.artifacts(self._t)}
        return self._artifacts

    @property
    def artifacts(self):
        return [DataArtifact(self, a) for a in self._artifact_records().values()]

    def __iter__(self):
        return iter(self.artifacts)

    def __contains__(self, name):
        return name in self._artifact_records()

    def __getitem__(self, name):
        records = self._artifact_records()
        if name not in records:
            # The C++ lookup says why (task not done yet, no such name, what it has).
            return DataArtifact(self, self._c.artifact(self._t, name))
        return DataArtifact(self, records[name])

    @property
    def data(self):
        """Artifact values by attribute: task.data.history."""
        return _Data(self)

    @property
    def metrics(self):
        """Scalars the task logged, as a list of {name, step, value, time_ms} dicts."""
        return Metrics(self._c.metrics(self._t))

    @property
    def media(self):
        """Images and tables the task tracked (their records; images() and tables() decode)."""
        return self._c.media(self._t)

    def images(self, name=None):
        return [TrackedImage(self._c, m) for m in self.media
                if m["kind"] == "image" and (name is None or m["name"] == name)]

    def tables(self, name=None):
        return [Table(self._c, m) for m in self.media
                if m["kind"] == "table" and (name is None or m["name"] == name)]

    def table(self, name):
        """The last table logged under `name`."""
        found = self.tables(name)
        if not found:
            raise NotFound(f"{self.pathspec} logged no table '{name}'")
        return found[-1]

    def __repr__(self):
        return f"Task('{self.pathspec}')"


class _Data:
    def __init__(self, task):
        object.__setattr__(self, "_task", task)

    def __getattr__(self, name):
        task = object.__getattribute__(self, "_task")
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return task[name].data
        except NotFound as e:
            raise AttributeError(str(e)) from None

    def __dir__(self):
        return sorted(object.__getattribute__(self, "_task")._artifact_records())

    def __repr__(self):
        return f"<data of {object.__getattribute__(self, '_task').pathspec}: {', '.join(self.__dir__())}>"


# What each codec's value is read as, and the C++ type named in a mismatch error.
_CODEC_TYPE = {"json": "json value", "npy": "ndarray", "bytes": "bytes"}


class DataArtifact:
    """One stored value: name, codec, type, size, digest; .data decodes it by its codec."""

    def __init__(self, task, record):
        self._task, self._rec = task, record

    name = property(lambda self: self._rec["name"])
    codec = property(lambda self: self._rec["codec"])
    type = property(lambda self: self._rec["type"])
    size = property(lambda self: self._rec["size"])
    digest = property(lambda self: self._rec["digest"])
    sha = digest

    @property
    def pathspec(self):
        return f"{self._task.pathspec}/{self.name}"

    @property
    def task(self):
        return self._task

    def _blob(self, codec):
        return self._task._c.artifact_bytes(self._task._t, self.name, codec, _CODEC_TYPE[codec])

    @property
    def data(self):
        """JSON as Python objects, NPY as a numpy array over the read bytes, bytes as bytes."""
        if self.codec == "json":
            return self.as_json()
        if self.codec == "npy":
            return self.as_array()
        return self.as_bytes()

    def as_json(self):
        return _json.loads(self._blob("json").text())

    def as_array(self):
        """The NPY value as a numpy.ndarray viewing the bytes read (no copy); TypeError for other codecs."""
        return array_from_npy(self._blob("npy"), self.pathspec)

    def as_bytes(self):
        """The stored bytes, whatever the codec."""
        return self._task._c.artifact_bytes(self._task._t, self.name).tobytes()

    def as_image(self):
        """Encoded image bytes (PNG, JPEG) as an HxWx3 uint8 RGB array."""
        return decode_image(self.as_bytes(), self.pathspec)

    def __repr__(self):
        return f"DataArtifact('{self.pathspec}', codec={self.codec}, type={self.type}, size={self.size})"


def decode_image(data, what):
    try:
        import numpy as np
        from PIL import Image
    except ImportError as e:  # pragma: no cover - Debian's python3-pil is a dependency
        raise ImportError(f"decoding {what} needs Pillow (apt install python3-pil)") from e
    try:
        with Image.open(_io.BytesIO(data)) as im:
            return np.asarray(im.convert("RGB"))
    except Exception as e:
        raise ValueError(f"{what} is not an image Pillow can decode: {e}") from None


class Metrics(list):
    """Logged scalars: a list of {name, step, value, time_ms} dicts (summaries have step -1)."""

    def __init__(self, columns):
        self._columns = columns
        super().__init__(
            {"name": n, "step": s, "value": v, "time_ms": t}
            for n, s, v, t in zip(columns["name"], columns["step"], columns["value"], columns["time_ms"]))

    def names(self):
        return sorted(set(self._columns["name"]))

    def series(self, name):
        """(steps, values) of one metric, summaries left out."""
        pts = [(m["step"], m["value"]) for m in self if m["name"] == name and m["step"] >= 0]
        return [s for s, _ in pts], [v for _, v in pts]

    @property
    def summary(self):
        """The t.summary() values by name."""
        return {m["name"]: m["value"] for m in self if m["step"] == -1}

    def to_pandas(self):
        import pandas as pd
        return pd.DataFrame(self._columns)


class TrackedImage:
    """An image a task logged, with its boxes ({box: [x1, y1, x2, y2], label, score, group})."""

    def __init__(self, client, media):
        self._c, self._m = client, media

    name = property(lambda self: self._m["name"])
    step = property(lambda self: self._m["step"])
    meta = property(lambda self: self._m["meta"])
    caption = property(lambda self: self._m["meta"].get("caption", ""))
    boxes = property(lambda self: self._m["meta"].get("boxes", []))

    def bytes(self):
        return self._c.blob(self._m["digest"]).tobytes()

    @property
    def array(self):
        """HxWx3 uint8 RGB."""
        return decode_image(self.bytes(), f"image '{self.name}' ({self._m['digest'][:12]})")

    def __repr__(self):
        return f"TrackedImage('{self.name}', step={self.step}, boxes={len(self.boxes)})"


class Table(list):
    """A table a task logged: a list of rows (lists of cells), with .columns.

    An image cell is a dict with "image" (its digest) and its boxes; image(cell) decodes it.
    """

    def __init__(self, client, media):
        self._c, self.name, self.step = client, media["name"], media["step"]
        body = _json.loads(client.blob(media["digest"]).text())
        self.columns = body.get("columns", [])
        super().__init__(body.get("rows", []))

    def image(self, cell):
        if not isinstance(cell, dict) or "image" not in cell:
            raise TypeError(f"table '{self.name}': {cell!r} is not an image cell")
        return TrackedImage(self._c, {"name": self.name, "step": self.step, "digest": cell["image"],
                                      "meta": cell})

    def to_pandas(self):
        import pandas as pd
        return pd.DataFrame(list(self), columns=self.columns)

    def __repr__(self):
        return f"Table('{self.name}', columns={self.columns}, rows={len(self)})"
