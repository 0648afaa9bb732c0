"""Read by `gunicorn wsgi:app` from this folder: settings every deployment wants."""
# Threads, so that long downloads (sent with sendfile) never block the pages.
worker_class = "gthread"
threads = 16
logger_class = "portal.access_log.RedactingLogger"


def post_worker_init(worker):
    """Warn (log and /healthz) when several workers would each keep their own per-IP limit counts."""
    from portal.health import check_workers

    # The same settings serve bench/bare_app.py, a bare Flask app without limits.
    if "RATELIMIT_STORAGE_URI" in worker.wsgi.config:
        check_workers(worker.wsgi, worker.cfg.workers)
