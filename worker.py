"""RQ worker for every queue (`sms`, `courier`, `print`, `sweep`), running jobs in the app context.

Usage: `python worker.py [--burst]` (or `flask jobs worker`). Needs REDIS_URL.
"""

from __future__ import annotations

import sys

from app import create_app
from app.worker import work

if __name__ == "__main__":
    work(burst="--burst" in sys.argv, app=create_app())
