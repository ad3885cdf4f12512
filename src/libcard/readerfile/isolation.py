"""Run the spreadsheet parser in a forked child with a hard memory and time limit.

A parser builds a dense grid and keeps shared strings in memory; whatever the
file, the operating system's address-space limit bounds what it can take, and
a crash or a runaway parse ends the child, not the web worker or the CLI. The
fork also buys speed: the child parses and judges on one core while the parent
inflates and scans the same file for the limits on the other.
"""

from __future__ import annotations

import os
import pickle
import resource
import select
import signal
import time
from collections.abc import Callable
from typing import Any

from libcard.readerfile.model import FileRefused

CAN_FORK = hasattr(os, "fork") and os.environ.get("READERFILE_ISOLATE", "1") != "0"


class ChildFailed(Exception):
    """The child ran out of memory or time, or died; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _address_space() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


class Child:
    def __init__(self, work: Callable[[], Any], *, memory_bytes: int, timeout: float) -> None:
        self.timeout = timeout
        read_fd, write_fd = os.pipe()
        limit = _address_space() + memory_bytes
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller's code
            os.close(read_fd)
            status = 0
            try:
                # A parser that dies prints its own panic; the parent says what happened.
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 2)
                if limit > memory_bytes:
                    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
                try:
                    payload: tuple[Any, ...] = ("ok", work())
                except FileRefused as refused:
                    payload = ("refused", refused.code, refused.message)
                except MemoryError:
                    payload = ("failed", "memory")
                except BaseException as exc:
                    payload = ("failed", type(exc).__name__)
                data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write_fd, "wb") as pipe:
                    pipe.write(data)
            except BaseException:
                status = 1
            finally:
                os._exit(status)
        os.close(write_fd)
        self.pid = pid
        self._fd = read_fd
        self._done = False

    def kill(self) -> None:
        if self._done:
            return
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._reap()

    def _reap(self) -> int:
        self._done = True
        try:
            os.close(self._fd)
        except OSError:
            pass
        try:
            _pid, status = os.waitpid(self.pid, 0)
        except ChildProcessError:
            return 0
        return status

    def result(self) -> Any:
        deadline = time.monotonic() + self.timeout
        chunks: list[bytes] = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise ChildFailed("time")
            ready, _w, _x = select.select([self._fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self._fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        status = self._reap()
        if not chunks:
            signalled = os.WIFSIGNALED(status)
            raise ChildFailed("memory" if signalled else "died")
        payload = pickle.loads(b"".join(chunks))  # noqa: S301 - our own child wrote it
        if payload[0] == "ok":
            return payload[1]
        if payload[0] == "refused":
            raise FileRefused(payload[1], payload[2])
        raise ChildFailed(payload[1])
