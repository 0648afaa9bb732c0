"""`GET /healthz` for monitors and load balancers, and warnings about how the portal is run.

Cheap (queries on indexed columns), no personal data, never rate-limited.
"""
import logging
import os

from flask import Blueprint, current_app, jsonify
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from portal.auth import approval
from portal.clock import now
from portal.extensions import db, limiter
from portal.mail.models import OutboxMail
from portal.media import storage

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
    if current_app.config["MEDIA_STORAGE"] == "s3":
        # Not a 503: every host shares the bucket, so taking this one out of a load balancer would help nobody.
        body["bucket"] = "ok" if storage.bucket_answers() else "unavailable"
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
        _warn(app, f"PORTAL_PUBLIC_URL is not set: links in mails will point to {app.config['PUBLIC_URL']}")


def check_mail_server(app) -> None:
    """Without a mail server every mail, codes and links included, is printed to the log instead of sent.

    That is the local stand-in for a mailbox; on a server it would hand every
    code to whoever reads the log, so the start says so, and `/healthz` too.
    """
    if not app.config["MAIL_SERVER"]:
        _warn(app, "PORTAL_MAIL_SERVER is not set: mails, with their codes and links, are printed to the log "
                   "instead of sent")


def check_workers(app, workers: int) -> None:
    """Several worker processes with per-process limit counts multiply every per-IP limit: say so, loudly.

    Called by gunicorn.conf.py once a worker has loaded the app; the warning
    goes to the log and to `/healthz`.
    """
    limit_storage = app.config["RATELIMIT_STORAGE_URI"]
    if workers > 1 and limit_storage.startswith("memory"):
        _warn(app, f"{workers} worker processes keep their own per-IP limit counts ({limit_storage}), so every "
                   f"per-IP limit is multiplied by {workers}: set PORTAL_RATELIMIT_STORAGE_URI to Redis")


def check_breach_file(app) -> None:
    """`local` breach checks without a readable file fall back to the common passwords only: say so as the app starts,
    in the log and on `/healthz`, rather than leave the admin believing every breach is checked."""
    path = app.config["PASSWORD_BREACH_FILE"]
    if app.config["PASSWORD_BREACH_CHECK"] == "local" and not os.access(path, os.R_OK):
        _warn(app, f"PORTAL_PASSWORD_BREACH_CHECK is local but {path} can't be read: new passwords are "
                   "checked against the bundled common passwords only")


def _warn(app, warning: str) -> None:
    """Once, as the app starts: to the log, and under `warnings` on `/healthz`."""
    app.extensions.setdefault(WARNINGS_KEY, []).append(warning)
    log.warning(warning)
