"""A function mapped over items in a forked child process: results, errors, stopping."""

import multiprocessing
import os
import signal

import pytest

from onward.plugins.dataimport.forked import forked_map
from onward.plugins.dataimport.reader.upload import WorkbookRefused


def test_each_result_comes_back_in_order_from_another_process():
    def items():
        for n in range(5):
            yield n, os.getpid()  # the items are made in the child too

    results = list(forked_map(lambda item: (item[0] * item[0], item[1], os.getpid()), items()))
    assert [square for square, _, _ in results] == [0, 1, 4, 9, 16]
    assert {made for _, made, _ in results} == {worked for _, _, worked in results} != {
        os.getpid()}


def test_an_error_in_the_child_is_raised_as_itself():
    def damaged():
        yield 1
        raise WorkbookRefused("damaged", "Sheet1 is damaged after row 7.")

    results = forked_map(lambda item: item, damaged())
    assert next(results) == 1
    with pytest.raises(WorkbookRefused) as refused:
        next(results)
    assert (refused.value.reason, refused.value.message) == (
        "damaged", "Sheet1 is damaged after row 7.")


def test_an_error_that_cannot_be_pickled_comes_back_as_its_traceback():
    class Unpicklable(Exception):
        def __reduce__(self):
            raise TypeError("not picklable")

    def failing(item):
        raise Unpicklable(f"item {item} failed")

    with pytest.raises(RuntimeError, match=r"(?s)Traceback.*Unpicklable: item 1 failed"):
        list(forked_map(failing, [1]))


def test_a_child_that_dies_is_an_error_not_a_hang():
    with pytest.raises(RuntimeError, match="ended without finishing"):
        list(forked_map(lambda item: os._exit(3), [1]))


def test_stopping_early_stops_the_child():
    results = forked_map(lambda item: item, iter(range(10**9)))
    assert next(results) == 0
    results.close()  # the child, far from done, is terminated and reaped
    assert not [child for child in multiprocessing.active_children()
                if child.name == "onward-forked-map"]


def test_the_child_leaves_signals_to_the_caller():
    previous = signal.signal(signal.SIGTERM, lambda *_: None)  # a worker's own handler
    try:
        handlers = next(forked_map(
            lambda _: (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)), [1]))
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert handlers == (signal.SIG_DFL, signal.SIG_IGN)  # terminate() ends it; Ctrl-C is ours
