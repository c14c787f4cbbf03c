"""RQ worker for every queue (`sms`, `courier`, `print`, `sweep`), running jobs in the app context.

Usage: `python worker.py [--burst]` (or `flask jobs worker`). Needs REDIS_URL. Without --burst it
outlives Redis going away (app/worker.py starts a fresh RQ worker when RQ's quits) and stops on
SIGINT / SIGTERM after the job in hand; run it under a supervisor all the same (README).
"""

from __future__ import annotations

import sys

from app import create_app
from app.worker import work

if __name__ == "__main__":
    work(burst="--burst" in sys.argv, app=create_app())
