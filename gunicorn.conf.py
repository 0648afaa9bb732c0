"""Read by `gunicorn wsgi:app` from this folder: settings every deployment wants."""
logger_class = "portal.access_log.RedactingLogger"
