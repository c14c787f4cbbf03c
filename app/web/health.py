"""GET /healthz: is the database answering, and Redis (when configured)?"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from app.extensions import db
from app.jobs.queues import get_redis

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # report, never raise: this page is for monitors
        checks["database"] = f"error: {type(exc).__name__}"
    if current_app.config["REDIS_URL"]:
        try:
            get_redis().ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    else:
        checks["redis"] = "not configured (jobs run in-process)"
    healthy = checks["database"] == "ok" and checks["redis"] in ("ok",) + (
        ("not configured (jobs run in-process)",)
    )
    return jsonify(status="ok" if healthy else "degraded", **checks), 200 if healthy else 503
