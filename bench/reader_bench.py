"""How fast the data import's XLSX reader is, beside a bare python-calamine read.

    .venv/bin/python bench/reader_bench.py [--rows 100000] [--engines calamine,openpyxl]

Generates (once, cached in the temp folder) a workbook of N rows x 12 columns: strings,
emails, dates, date-times, integers, decimals, booleans and choices, written by
openpyxl's write-only mode. Then times, each in a fresh forked child of this process so
that each gets its own peak: the bare python-calamine read of every row, the sheet scan
alone (error cells, last row), and ``workbook.read`` with each engine, all rows in
chunks. It prints wall-clock seconds and CPU seconds (user+system: steadier on a busy
machine). Peak RSS is ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the child (it
includes the interpreter and imports, shown as the baseline; tracemalloc would miss
calamine's Rust allocations).
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import random
import resource
import tempfile
import time
import zipfile
from pathlib import Path

HEADERS = [
    "Name", "Email", "Company", "Birth date", "Started at", "Employees", "Revenue",
    "Active", "Tier", "City", "Phone", "Notes",
]  # fmt: skip
TIERS = ["gold", "silver", "bronze", "trial"]


def generate(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    rnd = random.Random(6)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Contacts")
    sheet.append(HEADERS)
    base, start = dt.date(1960, 1, 1), dt.datetime(2024, 1, 1, 8, 0)
    for i in range(rows):
        sheet.append([
            f"Person {i}",
            f"person{i}@example.com",
            f"Company {i % 800}",
            base + dt.timedelta(days=rnd.randrange(20000)),
            start + dt.timedelta(minutes=rnd.randrange(500_000)),
            rnd.randrange(1, 20_000),
            round(rnd.random() * 1_000_000, 2),
            rnd.random() < 0.5,
            rnd.choice(TIERS),
            f"City {i % 300}",
            f"+44 20 {rnd.randrange(10**7):07d}",
            None if i % 3 else f"Note for row {i}",
        ])  # fmt: skip
    tmp = path.with_suffix(".tmp")
    workbook.save(tmp)
    tmp.rename(path)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def bare_calamine(path: str) -> int:
    import python_calamine

    with python_calamine.load_workbook(path) as workbook:
        sheet = workbook.get_sheet_by_name("Contacts")
    return sum(1 for _ in sheet.iter_rows()) - 1


def scan_only(path: str) -> int:
    from onward.plugins.dataimport.reader.sheetscan import scan_sheet

    with zipfile.ZipFile(path) as archive:
        return (scan_sheet(archive, "xl/worksheets/sheet1.xml").last_row or 1) - 1


def reader(engine: str):
    def run(path: str) -> int:
        from onward.plugins.dataimport.reader.workbook import read

        count = 0
        with read(path, engine=engine, max_bytes=1 << 30) as table:
            for chunk in table.chunks():
                count += len(chunk)
        return count

    return run


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child(task, path, queue) -> None:
    start, cpu = time.perf_counter(), cpu_seconds()
    rows = task(path)
    queue.put((rows, time.perf_counter() - start, cpu_seconds() - cpu, peak_mb()))


def measure(task, path: Path) -> tuple[int, float, float, float]:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_child, args=(task, str(path), queue))
    child.start()
    result = queue.get()
    child.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--engines", default="calamine,openpyxl")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()

    path = args.cache / f"onward-reader-bench-{args.rows}x12.xlsx"
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        started = time.perf_counter()
        generate(path, args.rows)
        print(f"  generated in {time.perf_counter() - started:.1f} s", flush=True)
    with zipfile.ZipFile(path) as archive:
        sheet_bytes = archive.getinfo("xl/worksheets/sheet1.xml").file_size
    print(f"file: {path.stat().st_size / 2**20:.1f} MB, sheet XML {sheet_bytes / 2**20:.1f} MB")
    import python_calamine  # noqa: F401

    import onward.plugins.dataimport.reader.workbook  # noqa: F401 -- the children start warm

    print(f"baseline RSS (interpreter and imports): {peak_mb():.0f} MB")
    tasks = [("bare python-calamine", bare_calamine), ("sheet scan alone", scan_only)]
    tasks += [(f"read(engine={e!r})", reader(e)) for e in args.engines.split(",") if e]
    bare = None
    print(
        f"{'':24} {'rows':>9} {'seconds':>8} {'rows/s':>10} {'vs bare':>8} {'CPU s':>7} "
        f"{'peak RSS':>9}"
    )
    for label, task in tasks:
        rows, seconds, cpu, peak = measure(task, path)
        bare = bare or seconds
        print(
            f"{label:24} {rows:>9} {seconds:>8.2f} {rows / seconds:>10,.0f} "
            f"{seconds / bare:>7.2f}x {cpu:>7.2f} {peak:>6.0f} MB",
            flush=True,
        )
    print(f"load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} CPUs (seconds are wall-clock; CPU s is user+system)")


if __name__ == "__main__":
    main()
