"""One XLSX export in a fresh process, so that its peak memory is its own.

``python -m bench.export_child app|floor|baseline CYCLE_ID`` prints one JSON line:
seconds, rows, bytes written and the process's peak resident memory (``ru_maxrss``).
``baseline`` only sets Django up: the memory every mode starts from.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from typing import Any


def _floor(cycle_id: int) -> tuple[int, int]:
    """The same columns straight from a raw cursor into openpyxl's streaming writer."""
    import io

    from django.db import connection
    from openpyxl import Workbook

    from perfcycle.calibration.models import Result
    from perfcycle.org.models import Department, Employee

    r = Result._meta.db_table
    e = Employee._meta.db_table
    d = Department._meta.db_table
    sql = (
        f"SELECT e.employee_number, e.name, d.name, r.computed_score, r.computed_grade, "  # noqa: S608
        f"r.score, r.grade, r.potential, r.released_at, r.acknowledged_at "
        f"FROM {r} r JOIN {e} e ON e.id = r.employee_id LEFT JOIN {d} d ON d.id = r.department_id "
        f"WHERE r.cycle_id = %s ORDER BY e.name, r.id"
    )
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Results")
    sheet.append(["number", "name", "department", "computed", "grade", "score", "final", "pot"])
    count = 0
    with connection.cursor() as cursor:
        cursor.execute(sql, [cycle_id])
        while batch := cursor.fetchmany(2000):
            for row in batch:
                sheet.append([str(v) if v is not None else "" for v in row])
                count += 1
    buffer = io.BytesIO()
    book.save(buffer)
    return count, len(buffer.getvalue())


def _app(cycle_id: int) -> tuple[int, int]:
    """What the export view does for HR (``calibration.exports.results_xlsx_file``, a
    streamed temporary file)."""
    from perfcycle.calibration import exports
    from perfcycle.calibration.models import Result
    from perfcycle.cycles.models import Cycle

    cycle = Cycle.objects.get(pk=cycle_id)
    results = Result.objects.filter(cycle=cycle)
    with exports.results_xlsx_file(cycle, results) as handle:
        size = handle.seek(0, 2)
    return results.count(), size


def main() -> None:
    mode, cycle_id = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfcycle.settings.base")
    import django

    django.setup()
    start = time.perf_counter()
    rows, size = 0, 0
    if mode == "app":
        rows, size = _app(cycle_id)
    elif mode == "floor":
        rows, size = _floor(cycle_id)
    seconds = time.perf_counter() - start
    # VmHWM, not ru_maxrss: on Linux a child's ru_maxrss starts from its parent's RSS at
    # fork, while the high-water mark of the exec'd process is its own.
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                peak_kb = int(line.split()[1])
    out: dict[str, Any] = {
        "seconds": seconds,
        "rows": rows,
        "bytes": size,
        "peak_mb": peak_kb / 1024,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
