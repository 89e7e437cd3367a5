"""Starting and resuming flows from Python, as Metaflow's Runner and NBRunner do.

A flow is its own binary (build/flows/plant_detection); the Runner runs it as a
child process with the same store flags as the client, reads the run id from its
first line ("PlantDetection/7: run started") and hands back a Run that reads the
run's live state from the metadata.

    run = trellis.Runner("build/flows/plant_detection").run(epochs=2, image_size=256)
    run.successful, run["evaluate"].task.data.map

    ex = trellis.Runner("build/flows/plant_detection").async_run(epochs=8)
    ex.run.status            # 'running'
    ex.wait(); ex.run.successful
"""

import os
import re
import signal
import subprocess
import sys
import threading

from . import _core
from . import _client as _clientmod
from ._client import Run

_STARTED = re.compile(r"^([A-Za-z0-9_.-]+)/(\d+): run started")


class RunnerError(_core.TrellisError):
    """The flow process ended before it started a run (bad parameter, unusable store)."""


def _option(name):
    return "--" + name.replace("_", "-")


def _value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


class ExecutingRun:
    """A flow process started by Runner.async_run/async_resume (or finished by run()).

    .run is the Run once the process has created it; .output what it printed so far.
    """

    def __init__(self, argv, env, client, show_output):
        self.argv = argv
        self._client = client  # () -> the Client to read the run with
        self._show = show_output
        self._lines = []
        self._lock = threading.Lock()
        self._started = threading.Event()
        self._run_id = None
        self._flow = None
        self._proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True)
        self._reader = threading.Thread(target=self._read, name="trellis-runner", daemon=True)
        self._reader.start()

    def _read(self):
        for raw in self._proc.stdout:
            line = raw.decode("utf-8", "replace")
            with self._lock:
                self._lines.append(line)
            if self._show:
                sys.stdout.write(line)
                sys.stdout.flush()
            if self._run_id is None:
                m = _STARTED.match(line)
                if m:
                    self._flow, self._run_id = m.group(1), int(m.group(2))
                    self._started.set()
        self._proc.stdout.close()
        self._proc.wait()
        self._started.set()

    @property
    def output(self):
        """Everything the flow printed so far (orchestrator lines and each task's output)."""
        with self._lock:
            return "".join(self._lines)

    @property
    def pid(self):
        return self._proc.pid

    @property
    def returncode(self):
        """None while the process runs; 0 when the run succeeded, 1 when it failed, 2 usage."""
        return self._proc.poll()

    @property
    def finished(self):
        return self._proc.poll() is not None and not self._reader.is_alive()

    @property
    def run(self):
        """The Run (waits until the process has created it); RunnerError when it never did."""
        self._started.wait()
        if self._run_id is None:
            self._reader.join()
            raise RunnerError(f"{' '.join(self.argv)} exited with code {self._proc.returncode} "
                              f"before starting a run:\n{self.output.rstrip()}")
        return Run(f"{self._flow}/{self._run_id}", client=self._client())

    @property
    def status(self):
        """'running' while the process lives, then the run's status."""
        if not self.finished:
            return "running"
        return self.run.status

    def wait(self, timeout=None):
        """Waits for the process to end (TimeoutError after `timeout` seconds); returns self."""
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"{self.argv[0]} still running after {timeout} s") from None
        self._reader.join()
        return self

    def terminate(self, timeout=30):
        """Interrupts the run as Ctrl-C does (running tasks are stopped, Slurm jobs cancelled)."""
        if self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGINT)
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait()
        self._reader.join()
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.terminate()

    def __repr__(self):
        where = f"{self._flow}/{self._run_id}" if self._run_id else "starting"
        return f"ExecutingRun({where}, returncode={self.returncode})"


class Runner:
    """Runs a flow binary with this module's stores (or root=/datastore=/metadata=)."""

    def __init__(self, flow, *, root=None, datastore=None, metadata=None, max_workers=None,
                 tags=(), executor=None, env=None, client=None):
        if not os.path.isfile(flow) or not os.access(flow, os.X_OK):
            raise FileNotFoundError(f"flow binary '{flow}' does not exist or is not executable")
        self.flow = os.path.abspath(flow)
        self._extra = []
        if max_workers:
            self._extra += ["--max-workers", str(max_workers)]
        for t in tags:
            self._extra += ["--tag", str(t)]
        if executor:
            self._extra += ["--executor", executor]
        self._env = dict(os.environ, **(env or {}))
        own = (root or "", datastore or "", metadata or "")
        self._own_client = client
        self._stores = own if any(own) else None

    def _client(self):
        # Opened when a run exists to read: the store may be empty until then.
        if self._own_client is None:
            self._own_client = _core.Client(*self._stores) if self._stores else _clientmod._client()
        return self._own_client

    def _store_args(self):
        # Its own stores, else what trellis.connect() chose, else the flow's defaults
        # (TRELLIS_* variables, the config file), which the client reads too.
        stores = self._stores or _clientmod._options
        args = []
        for name, value in zip(("root", "datastore", "metadata"), stores):
            if value:
                args += [_option(name), str(value)]
        return args

    def _argv(self, command, positional, options):
        argv = [self.flow, command, *positional, *self._store_args(), *self._extra]
        for k, v in options.items():
            # --name=value: booleans take no separate value, and a value may start with "--".
            argv.append(f"{_option(k)}={_value(v)}")
        return argv

    def async_run(self, show_output=False, **params):
        """Starts a run with these parameters (epochs=2 -> --epochs 2) and returns at once."""
        return ExecutingRun(self._argv("run", [], params), self._env, self._client, show_output)

    def run(self, show_output=True, **params):
        """Runs to the end, printing its output, and returns the Run (successful or not)."""
        ex = self.async_run(show_output=show_output, **params)
        try:
            ex.wait()
        except BaseException:  # KeyboardInterrupt in a notebook: stop the run too
            ex.terminate()
            raise
        return ex.run

    def async_resume(self, step=None, origin_run_id=None, show_output=False):
        """Resumes a failed run (default: the latest) from `step` (default: its first failure)."""
        options = {"origin_run_id": origin_run_id} if origin_run_id else {}
        return ExecutingRun(self._argv("resume", [step] if step else [], options), self._env,
                            self._client, show_output)

    def resume(self, step=None, origin_run_id=None, show_output=True):
        ex = self.async_resume(step, origin_run_id, show_output)
        try:
            ex.wait()
        except BaseException:
            ex.terminate()
            raise
        return ex.run
