"""Real processes for the fault tests: Celery workers and beats on the real Redis, with
their output in files (a busy worker would fill a pipe nobody reads and stall)."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.workers import ROOT, _database_url


class Processes:
    """Starts processes for one test and stops whatever is left at its end."""

    def __init__(self, folder: Path, env: dict[str, str]):
        self.folder = folder
        self.env = env
        self.started: list[tuple[subprocess.Popen, Path]] = []

    def start(self, name: str, args: list[str], **env: str) -> subprocess.Popen:
        log = self.folder / f"{name}.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", *args],
                cwd=ROOT,
                env=os.environ | self.env | env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: a SIGKILL takes its children
            )
        self.started.append((process, log))
        return process

    def worker(self, name: str, *, pool: str = "solo", concurrency: int = 1, **env: str):
        return self.start(
            name,
            [
                "-A",
                "tests.reliability.faultapp",
                "worker",
                "--pool",
                pool,
                "--concurrency",
                str(concurrency),
                "--hostname",
                f"{name}@%h",
                "--loglevel",
                "WARNING",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            **env,
        )

    def stop_all(self) -> None:
        for process, _log in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process, _log in self.started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}" for _p, log in self.started
        )


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL a worker and its pool children at once, as the OOM killer or a power cut."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def children_of(pid: int) -> list[int]:
    """The pids whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid …; comm may hold spaces, so split after the last ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def database_url() -> str:
    return _database_url()
