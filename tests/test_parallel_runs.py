"""`make test` runs the suite in parallel processes (pytest-xdist): what one test process does must not reach
another's. The rate-limit counters in Redis (CI's PostgreSQL pass) are what the processes share; each process
counts under a key prefix of its own (tests/databases.py), so the reset before every test clears only its own."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from limits import parse

from tests import databases
from tests.test_tasks import redis_or_skip
from wir import create_app, db
from wir.extensions import limiter

REDIS_URL = os.environ.get("WIR_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")  # CI's db for the counters
KEYS = "*parallel-check*"

# another test process: an app on the test configuration that counts one hit and ends
_OTHER_PROCESS = (
    "import sys\n"
    "from limits import parse\n"
    "from tests import databases\n"
    "from wir import create_app\n"
    "from wir.extensions import limiter\n"
    "create_app({**databases.TEST_CONFIG, 'DATABASE_URL': sys.argv[1]}, instance_path=sys.argv[2])\n"
    "limiter.limiter.hit(parse('5 per hour'), 'parallel-check')\n"
)


@pytest.fixture
def counters():
    redis_or_skip(REDIS_URL)
    connection = redis.Redis.from_url(REDIS_URL)
    yield connection
    if left := connection.keys(KEYS):
        connection.delete(*left)
    connection.close()


def test_a_test_process_resets_only_its_own_rate_limit_counters(counters, tmp_path):
    subprocess.run(
        [sys.executable, "-c", _OTHER_PROCESS, f"sqlite:///{tmp_path / 'other.db'}", str(tmp_path / "other")],
        env={**os.environ, "WIR_TEST_REDIS_URL": REDIS_URL}, cwd=Path(__file__).resolve().parents[1], check=True,
    )
    create_app({**databases.TEST_CONFIG, "RATELIMIT_STORAGE_URL": REDIS_URL,
                "DATABASE_URL": f"sqlite:///{tmp_path / 'own.db'}"}, instance_path=str(tmp_path / "own"))
    try:
        limiter.limiter.hit(parse("5 per hour"), "parallel-check")
        assert len(counters.keys(KEYS)) == 2, "both processes count under the same key"
        limiter.reset()
    finally:
        db.close_all()
    left = [key.decode() for key in counters.keys(KEYS)]
    assert len(left) == 1 and f"-{os.getpid()}:" not in left[0], left
