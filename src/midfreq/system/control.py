"""Control of a running `midfreq run` from another process: the run writes its pid file; the
`midfreq kill-switch` command leaves a request (reason and who asked) next to it and signals
the process (SIGUSR1), which triggers the kill switch and removes the request."""

from __future__ import annotations

import getpass
import json
import os
import signal
from pathlib import Path

from midfreq.core.errors import UserError

KILL_SIGNAL = signal.SIGUSR1


def request_path(pid_file: str | Path) -> Path:
    """Where a kill-switch request for the run owning ``pid_file`` is left."""
    return Path(f"{pid_file}.kill.json")


def write_pid_file(pid_file: str | Path) -> Path:
    """Record this process's pid (atomically); refuse if another live run holds the file.

    Raises
    ------
    UserError
        If ``pid_file`` names a running process other than this one.
    """
    path = Path(pid_file)
    other = _read_pid(path)
    if other is not None and other != os.getpid() and _alive(other):
        raise UserError(
            f"--pid-file: expected a file no running midfreq holds, was {str(path)!r} "
            f"(process {other} is running; stop it or pick another --pid-file)"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_text(f"{os.getpid()}\n")
    os.replace(temp, path)
    return path


def remove_pid_file(pid_file: str | Path) -> None:
    """Remove the pid file (and any unread request) if it is still this process's."""
    path = Path(pid_file)
    if _read_pid(path) == os.getpid():
        path.unlink(missing_ok=True)
        request_path(path).unlink(missing_ok=True)


def request_kill_switch(pid_file: str | Path, reason: str, actor: str | None = None) -> int:
    """Ask the run that owns ``pid_file`` to fire its kill switch; return its pid.

    Raises
    ------
    UserError
        If there is no pid file or its process is not running.
    """
    path = Path(pid_file)
    pid = _read_pid(path)
    if pid is None:
        raise UserError(
            f"--pid-file: expected the file a running `midfreq run` writes, was {str(path)!r} "
            "(no such file: is it running, with this --pid-file?)"
        )
    if not _alive(pid):
        raise UserError(
            f"--pid-file: expected a running process, was {str(path)!r} naming process {pid}, "
            "which is not running"
        )
    who = actor or _user()
    request = request_path(path)
    temp = request.with_name(f".{request.name}.{os.getpid()}.tmp")
    temp.write_text(json.dumps({"reason": reason, "actor": who}))
    os.replace(temp, request)
    os.kill(pid, KILL_SIGNAL)
    return pid


def take_kill_request(pid_file: str | Path) -> tuple[str, str]:
    """Read and remove the pending request: ``(reason, actor)``; defaults when there is none
    (a bare SIGUSR1)."""
    path = request_path(pid_file)
    try:
        data = json.loads(path.read_text())
        path.unlink(missing_ok=True)
        return str(data.get("reason") or "kill switch signal"), str(data.get("actor") or "signal")
    except (OSError, ValueError):
        return "kill switch signal (SIGUSR1)", "signal"


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"
