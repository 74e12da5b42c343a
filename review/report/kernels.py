"""The report's kernels: this interpreter's ipykernel, each kept for several notebooks.

A kernel start and the imports every report notebook makes (pandas, SQLAlchemy, matplotlib,
SciPy) cost about a second of CPU each time; on the worked example that was a third of the
report. So `review report` starts one kernel per job and runs its notebooks one after the other
in it, with papermill as before (the same `parameters` cell contract, injected-parameters cell,
error-marker cell and metadata), and clears the kernel's namespace before each notebook
(IPython's `reset`, a new session, every figure closed): a notebook sees none of the names the
one before it made, only the modules already imported."""
from __future__ import annotations

import functools
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["ENGINE", "ReportKernel", "import_papermill", "kernel_manager", "peak_rss"]

#: The papermill engine that runs a notebook in a kernel it is given and leaves it running.
ENGINE = "review-kept-kernel"

#: Run before each notebook in a kept kernel: close the figures a notebook left open and forget
#: every name (IPython's own `%reset -f`, execution count back to 1).
_CLEAR = ("import sys as _sys\n"
          "_plt = _sys.modules.get('matplotlib.pyplot')\n"
          "if _plt is not None:\n"
          "    _plt.close('all')\n"
          "get_ipython().reset(new_session=True)\n")

#: The folder holding the `review` package this command runs (put first on the kernel's path).
_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


def import_papermill():
    """papermill, imported without building rfc3987_syntax's grammar: nbformat imports jsonschema,
    whose optional IRI format check imports rfc3987_syntax when installed (a Lark grammar built
    at import, 0.7-1 s, before any kernel starts). A notebook's JSON schema checks no IRI format,
    so jsonschema is loaded as if that optional package were absent; it stays importable."""
    if "papermill" in sys.modules or "jsonschema" in sys.modules or \
            "rfc3987_syntax" in sys.modules:
        import papermill
        return papermill
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        import papermill
    finally:
        del sys.modules["rfc3987_syntax"]
    return papermill


def peak_rss(pid: int | None) -> int | None:
    """A process's peak resident memory in bytes (Linux /proc), or None."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def kernel_manager(peaks: list[int | None]):
    """A kernel manager that starts this interpreter's ipykernel, talks to it over Unix sockets
    in a private temporary folder where there are any (no TCP port open to other users), and
    notes the kernel's peak memory just before shutting it down."""
    from jupyter_client.manager import AsyncKernelManager, KernelManager

    class ThisInterpreterKernel(AsyncKernelManager):
        def __init__(self, **kwargs):
            self._socket_dir = None
            if os.name == "posix":
                self._socket_dir = tempfile.mkdtemp(prefix="review-kernel-")
                kwargs.setdefault("transport", "ipc")
                kwargs.setdefault("ip", os.path.join(self._socket_dir, "kernel"))
            super().__init__(**kwargs)

        async def _async_pre_start_kernel(self, **kw):
            # The kernel runs user code with its working directory first on sys.path: run from
            # the folder above a checkout named `review`, that folder would shadow the package
            # as an empty namespace package. The package's own folder on PYTHONPATH wins over
            # a namespace package (and is the very copy this command runs).
            env = dict(kw.pop("env", None) or os.environ)
            env["PYTHONPATH"] = os.pathsep.join(
                [_PACKAGE_PARENT] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                                     if p and p != _PACKAGE_PARENT])
            kw["env"] = env
            return await super()._async_pre_start_kernel(**kw)

        def format_kernel_cmd(self, extra_arguments=None):
            return [sys.executable, "-m", "ipykernel_launcher", "-f",
                    os.path.realpath(self.connection_file), *(extra_arguments or [])]

        async def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
            peaks.append(peak_rss(getattr(self.provisioner, "pid", None)))
            await KernelManager._async_shutdown_kernel(self, now=now, restart=restart)
            if self._socket_dir and not restart:
                shutil.rmtree(self._socket_dir, ignore_errors=True)

    return ThisInterpreterKernel


@functools.cache
def _register_engine() -> None:
    """Register ENGINE with papermill (once): nbclient given a kernel manager (`km`) starts its
    kernel if it is not running and leaves it running; this client also clears the kernel before
    the notebook and closes its own connection afterwards."""
    from nbclient.util import ensure_async, run_sync
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    class KeptKernelClient(PapermillNotebookClient):
        async def async_start_new_kernel_client(self):
            client = await super().async_start_new_kernel_client()
            reply = await self.async_wait_for_reply(await ensure_async(
                client.execute(_CLEAR, silent=True, store_history=False)))
            if reply is None or reply["content"].get("status") != "ok":
                raise RuntimeError("the kernel could not be cleared for the next notebook")
            return client

        # nbclient's synchronous wrapper is bound to its own coroutine: bind it to this one
        start_new_kernel_client = run_sync(async_start_new_kernel_client)

    class KeptKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False,
                                     stdout_file=None, stderr_file=None, start_timeout=60,
                                     execution_timeout=None, **kwargs):
            from papermill.engines import logger
            for unused in ("input_path", "timeout", "startup_timeout"):
                kwargs.pop(unused, None)
            client = KeptKernelClient(
                nb_man, timeout=execution_timeout, startup_timeout=start_timeout,
                kernel_name=kernel_name, log=logger, log_output=log_output,
                stdout_file=stdout_file, stderr_file=stderr_file, **kwargs)
            try:
                return client.execute()
            finally:
                if client.kc is not None:
                    client.kc.stop_channels()

    papermill_engines.register(ENGINE, KeptKernelEngine)


class ReportKernel:
    """One kernel of this interpreter that runs report notebooks one after the other. It starts
    with the first notebook and runs until `shutdown`; use it from one thread only (its client
    lives on that thread's event loop)."""

    def __init__(self) -> None:
        self.peaks: list[int | None] = []
        self.manager = kernel_manager(self.peaks)(kernel_name="python3")
        self.notebooks = 0

    def execute(self, path: Path, executed: Path, parameters: dict[str, Any]) -> None:
        """Execute one notebook with papermill in this kernel (PapermillExecutionError on a
        failing cell, as papermill.execute_notebook raises it)."""
        papermill = import_papermill()
        _register_engine()
        self.notebooks += 1
        papermill.execute_notebook(
            str(path), str(executed), parameters=parameters, kernel_name="python3",
            progress_bar=False, engine_name=ENGINE, km=self.manager)

    def peak_memory(self) -> int | None:
        """The kernel's peak resident memory so far, in bytes (None where unknown)."""
        return peak_rss(getattr(self.manager.provisioner, "pid", None))

    def shutdown(self) -> None:
        """Stop the kernel at once: every notebook it ran has replied to its last cell, so its
        files are closed (a graceful shutdown only waited 1-1.5 s for nothing)."""
        from jupyter_core.utils import run_sync
        if self.manager.has_kernel:
            run_sync(self.manager.shutdown_kernel)(now=True)
        elif self.manager._socket_dir:
            shutil.rmtree(self.manager._socket_dir, ignore_errors=True)
