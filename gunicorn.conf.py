"""Read by `gunicorn wsgi:app` from this folder: settings every deployment wants."""
# Threads, so that long downloads (sent with sendfile) never block the pages.
worker_class = "gthread"
threads = 16
logger_class = "portal.access_log.RedactingLogger"
