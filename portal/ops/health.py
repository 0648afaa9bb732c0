"""`GET /healthz` for monitors and load balancers, and warnings about how the portal is run.

Cheap (queries on indexed columns), no personal data, never rate-limited.
"""
import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from portal.auth import approval
from portal.clock import now
from portal.extensions import db, limiter
from portal.mail.models import OutboxMail

blueprint = Blueprint("health", __name__)
log = logging.getLogger("portal.ops.health")
WARNINGS_KEY = "portal.deployment_warnings"


@blueprint.get("/healthz")
@limiter.exempt
def healthz():
    try:
        waiting, oldest = db.session.execute(
            select(func.count(OutboxMail.id), func.min(OutboxMail.created_at))
            .where(OutboxMail.status.in_(("queued", "sending")))
        ).one()
        approval_queue = approval.queue_size()
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(database="unavailable"), 503
    body = {
        "database": "ok",
        "mail_queue": {"waiting": waiting, "oldest_seconds": int((now() - oldest).total_seconds()) if oldest else 0},
        "public_url": current_app.config["PUBLIC_URL"],
        "approval_queue": approval_queue,
    }
    if warnings := current_app.extensions.get(WARNINGS_KEY):
        body["warnings"] = warnings
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


def check_public_url(app) -> None:
    """Without PORTAL_PUBLIC_URL every mailed link names the default address: say which, once, as the app starts.

    A portal tried on another port or host would otherwise mail links that lead
    nowhere, with nothing to say why; the warning goes to the log and to `/healthz`.
    """
    if not app.config["PUBLIC_URL_IS_SET"]:
        warning = f"PORTAL_PUBLIC_URL is not set: links in mails will point to {app.config['PUBLIC_URL']}"
        app.extensions.setdefault(WARNINGS_KEY, []).append(warning)
        log.warning(warning)


def check_workers(app, workers: int) -> None:
    """Several worker processes with per-process limit counts multiply every per-IP limit: say so, loudly.

    Called by gunicorn.conf.py once a worker has loaded the app; the warning
    goes to the log and to `/healthz`.
    """
    storage = app.config["RATELIMIT_STORAGE_URI"]
    if workers > 1 and storage.startswith("memory"):
        warning = (f"{workers} worker processes keep their own per-IP limit counts ({storage}), so every "
                   f"per-IP limit is multiplied by {workers}: set PORTAL_RATELIMIT_STORAGE_URI to Redis")
        app.extensions.setdefault(WARNINGS_KEY, []).append(warning)
        log.warning(warning)
