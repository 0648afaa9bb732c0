"""Read by `gunicorn wsgi:app` from this folder: settings every deployment wants."""
# Threads, so that long downloads (sent with sendfile) never block the pages.
worker_class = "gthread"
threads = 16
# gunicorn's largest request line: nginx in front (deploy/nginx.conf) answers
# longer ones itself, with security headers, which gunicorn's own 414 lacks.
limit_request_line = 8190
logger_class = "portal.web.access_log.RedactingLogger"
# gunicorn 27's control socket lives at one path per user (~/.gunicorn/gunicorn.ctl),
# shared by every gunicorn that user runs; the portal is managed by signals and
# systemd, and each stop would wait on that socket's thread.
control_socket_disable = True
# gunicorn's usual line, plus the id the portal's own log lines carry for the same request.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" request_id=%({x-request-id}o)s'


def post_worker_init(worker):
    """Warn (log and /healthz) when several workers would each keep their own per-IP limit counts."""
    from portal.ops.health import check_workers

    # The same settings serve bench/bare_app.py, a bare Flask app without limits.
    if "RATELIMIT_STORAGE_URI" in worker.wsgi.config:
        check_workers(worker.wsgi, worker.cfg.workers)
