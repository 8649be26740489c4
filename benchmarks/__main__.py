"""`make bench`: the portal's requests on the large data set, one row each (median and p95 in process, SQL
statements), printed as a table and written as JSON to benchmarks/results/latency-<database>.json.

    .venv/bin/python -m benchmarks [--runs 40] [--seconds 10] [--profile ROW]
    WIR_DATABASE_URL=postgresql://root@127.0.0.1:5432/wir_bench .venv/bin/python -m benchmarks

Then the throughput under gunicorn and wrk as a ratio to a bare Flask app, the first visit's size and the memory
per worker (benchmarks/throughput.py; --seconds 0 leaves it out). The first run makes the large data set
(seed-demo --size large, a minute or two); every run works on a fresh copy of it. A benchmark, never a test: the figures depend on the machine and on what else runs on it.
"""

import argparse
import json
import os
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

from benchmarks import data, latency, throughput

RESULTS = Path(__file__).parent / "results"
TARGET_P95_MS = 50


def table(results: list[dict]) -> str:
    lines = ["| Anfrage | Median ms | p95 ms | SQL |", "|---|---:|---:|---:|"]
    for row in results:
        flag = "" if row["p95_ms"] <= TARGET_P95_MS else " ⚠"
        lines.append(f"| {row['name']} | {row['median_ms']:.1f} | {row['p95_ms']:.1f}{flag} | {row['queries']} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="timed requests per row")
    parser.add_argument("--profile", metavar="ROW", help="profile the row starting with ROW instead")
    parser.add_argument("--seconds", type=int, default=10, help="wrk's time per throughput row (0: none)")
    args = parser.parse_args(argv)
    # the database of a run is a copy; WIR_DATABASE_URL names the template and must not override the copy's URL
    template = os.environ.pop("WIR_DATABASE_URL", None)
    url = data.prepare(template)
    if args.profile:
        latency.Bench(url).profile(args.profile, args.runs)
        return 0
    results = latency.run(url, args.runs)
    served = throughput.run(url, args.seconds) if args.seconds else None
    backend = "postgresql" if url.startswith("postgres") else "sqlite"
    report = {
        "database": backend,
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f} at the start",
        "runs": args.runs,
        "rows": latency.count_rows(url),
        "requests": results,
        "throughput": served,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"latency-{backend}.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(f"{backend}, {report['machine']}, {args.runs} Läufe je Zeile, Daten: "
          + ", ".join(f"{name} {count:,}".replace(",", ".") for name, count in report["rows"].items()))
    print(table(results))
    if served:
        print()
        print(throughput.table(served))
    return 0


if __name__ == "__main__":
    sys.exit(main())
