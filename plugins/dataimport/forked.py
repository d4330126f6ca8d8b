"""Work beside the caller: a function mapped over items in a forked child process.

An import spends about as long reading and checking cells (Python, no database) as it
spends writing them. :func:`forked_map` lets a child process do the first on the other
core while the caller does the second. The child is forked, so it has what the caller
built (the sheet as read, the compiled checks) without pickling; only the results travel
back, pickled through a pipe. A pipe holds little, so the child runs at most a result
or so ahead of the caller and memory stays flat.

The child must only compute: no database connection, file or lock of the caller's may
be used across the fork (the caller may have other threads, as a web process running jobs
in threads has; Python 3.12 and later warn about forking such a process for this reason).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import pickle
import signal
import traceback
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def can_fork() -> bool:
    """Whether this platform forks processes (Linux; not Windows)."""
    return "fork" in multiprocessing.get_all_start_methods()


def forked_map(function: Callable[[Item], Result], items: Iterable[Item]) -> Iterator[Result]:
    """``function(item)`` for each of ``items``, both run in a forked child process.

    An exception in the child is raised here (as itself where it survives pickling, else
    as a ``RuntimeError`` carrying the child's traceback). When the caller stops early —
    an exception, or closing the iterator — the child is stopped.
    """
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_serve, args=(send, function, items),
                            name="onward-forked-map", daemon=True)
    child.start()
    send.close()
    try:
        while True:
            try:
                kind, payload = receive.recv()
            except EOFError:
                child.join()
                raise RuntimeError("the child process ended without finishing "
                                   f"(exit code {child.exitcode})") from None
            if kind == "error":
                raise payload
            if kind == "end":
                return
            yield payload
    finally:
        receive.close()
        if child.is_alive():
            child.terminate()
        child.join()


def _serve(send, function: Callable[[Any], Any], items: Iterable[Any]) -> None:
    """The child: send each result, then the end (or the error that stopped it).

    It leaves signals to the caller: a terminal's Ctrl-C stops the caller, which stops the
    child; ``terminate()`` ends it whatever handler the caller had set (a job worker's).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        for item in items:
            send.send(("item", function(item)))
        send.send(("end", None))
    except BaseException as error:  # handed to the caller, whatever it is
        with contextlib.suppress(OSError):  # unless the caller has gone
            send.send(("error", _portable(error)))
    finally:
        send.close()


def _portable(error: BaseException) -> BaseException:
    """``error`` if it survives pickling, else a ``RuntimeError`` with its traceback."""
    try:
        pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes, just made
    except Exception:  # any failure to cross: send the text instead
        return RuntimeError("".join(traceback.format_exception(error)))
    return error
