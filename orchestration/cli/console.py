"""What a person sees of a long command: one line per step, a progress bar on a terminal, the logs in a file.

`captured_output` sends everything the process and its children write to stdout and stderr (Dagster's run logs,
dbt's lines, library warnings) to a log file, at the file-descriptor level, and hands back the terminal; `Step`
draws one step's line there: redrawn in place on a terminal (a bar with counts and the time left), printed once
when the step ends elsewhere (a CI log stays a few lines long).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

BAR_WIDTH = 20
REDRAW_SECONDS = 0.25


def duration(seconds: float) -> str:
    """`1:05` for 65 seconds, `1:01:05` past an hour."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Step:
    """One step of a command on one line: `label [####----] done/total unit  elapsed, ~left`.

    `update` redraws it on a terminal (at most every REDRAW_SECONDS); `finish` prints the step's last line
    everywhere. Off a terminal nothing is drawn before `finish`.
    """

    def __init__(self, out: TextIO, label: str, total: int | None = None, unit: str = "",
                 redraw: bool = True) -> None:
        self.out, self.label, self.total, self.unit = out, label, total, unit
        self.done_count = 0
        self.detail = ""
        self.started = time.monotonic()
        self.live = redraw and bool(getattr(out, "isatty", lambda: False)())
        self._drawn = 0.0
        self._lock = threading.Lock()
        self.update(0)

    def line(self) -> str:
        """The step's current line, without the terminal's carriage return."""
        elapsed = time.monotonic() - self.started
        parts = [self.label]
        if self.total:
            done = min(self.done_count, self.total)
            filled = int(BAR_WIDTH * done / self.total)
            parts.append(f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {done}/{self.total} {self.unit}".rstrip())
            timing = duration(elapsed)
            if 0 < done < self.total:
                timing += f", ~{duration(elapsed / done * (self.total - done))} left"
            parts.append(timing)
        else:
            parts.append(f"{self.done_count} {self.unit}".rstrip() if self.done_count else "")
            parts.append(duration(elapsed))
        if self.detail:
            parts.append(self.detail)
        return "  ".join(part for part in parts if part)

    def update(self, done: int | None = None, *, total: int | None = None, detail: str | None = None) -> None:
        """New counts (and detail); redrawn on a terminal."""
        with self._lock:
            if done is not None:
                self.done_count = done
            if total is not None:
                self.total = total
            if detail is not None:
                self.detail = detail
            now = time.monotonic()
            if self.live and now - self._drawn >= REDRAW_SECONDS:
                self._drawn = now
                width = shutil.get_terminal_size((100, 20)).columns - 1
                self.out.write("\r" + self.line()[:width] + "\x1b[K")
                self.out.flush()

    def finish(self, message: str) -> None:
        """End the step with `message` and its duration, on a line of its own."""
        with self._lock:
            text = f"{message}  ({duration(time.monotonic() - self.started)})"
            self.out.write(("\r\x1b[K" if self.live else "") + text + "\n")
            self.out.flush()

    @contextlib.contextmanager
    def polling(self, count: Callable[[], int], interval: float = 0.5) -> Iterator[None]:
        """Update the count from `count()` every `interval` seconds while the block runs."""
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(interval):
                with contextlib.suppress(Exception):  # a count read mid-write is retried next time
                    self.update(count())

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            with contextlib.suppress(Exception):
                self.update(count())


class _Tail(threading.Thread):
    """Reads the lines appended to a file and hands each complete one to `on_line`."""

    def __init__(self, path: Path, offset: int, on_line: Callable[[str], None]) -> None:
        super().__init__(daemon=True)
        self.path, self.offset, self.on_line = path, offset, on_line
        self.stopping = threading.Event()

    def drain(self, handle, pending: bytes) -> bytes:
        pending += handle.read()
        *lines, pending = pending.split(b"\n")
        for raw in lines:
            with contextlib.suppress(Exception):  # a parser error must not stop the command
                self.on_line(raw.decode("utf-8", "replace"))
        return pending

    def run(self) -> None:
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            pending = b""
            while not self.stopping.wait(0.2):
                pending = self.drain(handle, pending)
            self.drain(handle, pending + b"\n" if pending else pending)


@contextlib.contextmanager
def captured_output(log_path: Path | None, on_line: Callable[[str], None] | None = None) -> Iterator[TextIO]:
    """Send this process's stdout and stderr (and its children's) to `log_path`, appended; yield the terminal.

    `on_line` sees every line written meanwhile (read back from the file). With `log_path` None nothing is
    captured: the terminal is sys.stdout (`--verbose`).
    """
    if log_path is None:
        yield sys.stdout
        return
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    terminal = os.fdopen(os.dup(saved_out), "w", buffering=1, encoding="utf-8", errors="replace")
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    # Python's own writers too: sys.stdout need not be descriptor 1 (an embedding host or a test replaces it),
    # and a logging handler created meanwhile (Dagster's console logger, per run) binds sys.stderr as it is.
    log_text = os.fdopen(os.dup(log_fd), "w", buffering=1, encoding="utf-8", errors="replace")
    tail = None
    try:
        if on_line is not None:
            tail = _Tail(log_path, os.fstat(log_fd).st_size, on_line)
            tail.start()
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        with contextlib.redirect_stdout(log_text), contextlib.redirect_stderr(log_text):
            yield terminal
    finally:
        with contextlib.suppress(Exception):
            log_text.flush()
            sys.stdout.flush()
            sys.stderr.flush()
        os.dup2(saved_out, 1)
        os.dup2(saved_err, 2)
        for fd in (saved_out, saved_err, log_fd):
            os.close(fd)
        log_text.close()
        if tail is not None:
            tail.stopping.set()
            tail.join()
        terminal.close()


# dbt's progress lines (`12:00:01  12 of 57 OK created sql table model ...`) and Dagster's step starts.
DBT_NODE_DONE = re.compile(r"\b(\d+) of (\d+) (?:OK|PASS|WARN|ERROR|FAIL|SKIP|NO-OP)\b")
DAGSTER_STEP_START = re.compile(r' - STEP_START - Started execution of step "([^"]+)"')


class DbtProgress:
    """Follows a warehouse run's log lines: the dbt step running and how many of its nodes are done, shown on
    `step` once it is set."""

    def __init__(self, steps: int, step: Step | None = None) -> None:
        self.step, self.steps = step, steps
        self.started_steps: list[str] = []
        self.finished_before = 0  # nodes done in the steps before the current one
        self.current = (0, 0)

    def __call__(self, line: str) -> None:
        if self.step is None:
            return
        started = DAGSTER_STEP_START.search(line)
        if started:
            self.finished_before += self.current[0]
            self.current = (0, 0)
            self.started_steps.append(started.group(1))
            self.step.update(detail=f"{len(self.started_steps)}/{self.steps} {started.group(1)}")
            return
        node = DBT_NODE_DONE.search(line)
        if node:
            done, total = int(node.group(1)), int(node.group(2))
            self.current = (max(done, self.current[0]), total)
            self.step.update(self.finished_before + self.current[0])

    @property
    def nodes(self) -> int:
        return self.finished_before + self.current[0]
