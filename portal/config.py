"""Settings: defaults here, then `instance/config.py`, then `PORTAL_*` environment.

Environment variables lose their prefix: `PORTAL_CODE_LIFETIME` sets
`CODE_LIFETIME`, `PORTAL_MAIL_SERVER` sets Flask-Mail's `MAIL_SERVER`. Values
are parsed as JSON where they can be (`PORTAL_SESSION_COOKIE_SECURE=true`).
Nothing else in the portal reads `os.environ`.
"""
import os
import secrets
from email.headerregistry import Address
from pathlib import Path

from cryptography.fernet import Fernet

from portal import limits

HOUR = 3600
# Where `make run` serves by default; never the Host a request names, which its sender chooses.
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
BREACH_CHECK_MODES = ("off", "range", "local")
MEDIA_STORAGES = ("local", "s3")
# Who may send a download's bytes instead of the portal, per storage (None: the portal streams them).
DOWNLOAD_ACCELS = {"local": (None, "nginx", "sendfile"), "s3": (None, "redirect")}
# The longest a SigV4 presigned URL may live: a week.
MAX_PRESIGN_SECONDS = 7 * 24 * 3600


class Defaults:
    # The limits of the account flows are in `limits.LIMITS`.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # How many proxies in front set X-Forwarded-For / -Proto (0: none).
    PROXY_COUNT = 0
    # The portal's log lines: "keyvalue" (key=value pairs) or "json" (one object a line).
    LOG_FORMAT = "keyvalue"

    # argon2id cost: RFC 9106's low-memory profile (argon2-cffi's defaults).
    # Changing any of them rehashes each password at its owner's next log-in.
    PASSWORD_HASH_TIME_COST = 3
    PASSWORD_HASH_MEMORY_COST = 64 * 1024  # KiB
    PASSWORD_HASH_PARALLELISM = 4
    # How many argon2 computations one process runs at once (the others
    # queue); None: as many as the process has cores.
    PASSWORD_HASH_CONCURRENCY = None
    # Refuse new passwords known from data breaches (`auth.breaches`): "off", "range"
    # (the k-anonymity range API at PASSWORD_BREACH_RANGE_URL) or "local" (a sorted file
    # of SHA-1 hashes at PASSWORD_BREACH_FILE; None: `instance/pwned-passwords.txt`).
    PASSWORD_BREACH_CHECK = "off"
    PASSWORD_BREACH_RANGE_URL = "https://api.pwnedpasswords.com/range/"
    # Seconds the range API has to answer before the bundled common passwords are used instead.
    PASSWORD_BREACH_TIMEOUT = 2
    PASSWORD_BREACH_FILE = None

    # Admins' TOTP keys are stored encrypted (`admin.totp_keys`) with TOTP_ENCRYPTION_KEY
    # (a Fernet key; unset: `instance/totp_encryption_key`, made on first start), never
    # kept in the database. Older keys listed here still decrypt, while
    # `portal users reencrypt-2fa-keys` moves every stored key to the current one.
    TOTP_ENCRYPTION_KEY_FALLBACKS = []

    # Sessions and cookies.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # None: Secure exactly when PUBLIC_URL is https://; true or false overrides.
    SESSION_COOKIE_SECURE = None
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 14 * 24 * HOUR
    # Adding or removing a passkey and the export ask for the password again after this many seconds.
    REAUTHENTICATION_SECONDS = 300
    MAX_CONTENT_LENGTH = 64 * 1024

    # Compression of what the browser fetches (Flask-Compress): scripts and styles
    # only. Pages are not compressed: they carry CSRF tokens beside text a
    # visitor typed (the search), which is what BREACH attacks need.
    COMPRESS_MIMETYPES = ["text/css", "text/javascript", "application/javascript"]
    COMPRESS_MIN_SIZE = 500
    # Static files are streamed (sendfile), so the streaming choice applies to them.
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_ALGORITHM_STREAMING = ["br", "gzip"]

    # Mail. No MAIL_SERVER: every mail is printed to the log instead.
    MAIL_SERVER = None
    # smtplib's debug output would print every mail, codes included.
    MAIL_DEBUG = False
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    # None: the site's name with no-reply@localhost, e.g. "Media portal <no-reply@localhost>".
    MAIL_DEFAULT_SENDER = None
    MAIL_REPLY_TO = None
    MAIL_TIMEOUT = 30
    # The delivery worker: a thread in every app process unless turned off.
    MAIL_WORKER = True
    MAIL_POLL_INTERVAL = 2.0
    MAIL_LEASE = 120
    MAIL_RETRY_FOR = 24 * HOUR
    MAIL_RETRY_MAX_DELAY = 300
    MAIL_RECOVERY_PROBE = 30
    # How often each process's worker forgets stale throttle records, spent
    # codes, dead login sessions (see `housekeeping`).
    HOUSEKEEPING_INTERVAL = HOUR

    SITE_NAME = "Media portal"
    # The address people reach the portal at; every link in a mail is built on it.
    # None: DEFAULT_PUBLIC_URL, and the portal says so as it starts (log and /healthz).
    PUBLIC_URL = None

    # SQLite: seconds a write waits for another's lock before the request gets a 503.
    SQLITE_BUSY_TIMEOUT = 15

    # The media library: "local" (files under MEDIA_ROOT; None: `instance/media`) or "s3"
    # (objects in S3_BUCKET; credentials from boto3's chain: environment, profile, instance role).
    MEDIA_STORAGE = "local"
    MEDIA_ROOT = None
    S3_BUCKET = None
    # None: AWS; else the address of an S3-compatible store (Ceph RGW, Garage, SeaweedFS, MinIO).
    S3_ENDPOINT_URL = None
    S3_REGION = None
    # Put before every object's name, so one bucket can hold more than the library.
    S3_PREFIX = None
    # How long a presigned URL (`DOWNLOAD_ACCEL = "redirect"`) works.
    S3_PRESIGN_SECONDS = 300
    CATALOGUE_PAGE_SIZE = 24
    # How stale another process's change to the library may look on a page.
    CATALOGUE_CACHE_SECONDS = 2.0
    DOWNLOAD_LINK_LIFETIME = 24 * HOUR
    # The most videos one "Link list for these results" covers.
    LINK_LIST_MAX_VIDEOS = 500
    # Requests of one account for one file within this many seconds of the
    # counted one (resumed, ranged) are the same download.
    DOWNLOAD_RECORD_WINDOW = HOUR
    # None: the portal streams files; "nginx": X-Accel-Redirect; "sendfile": X-Sendfile (both: local
    # storage only, for now); "redirect": a 302 to a presigned URL of the bucket (s3 storage only).
    DOWNLOAD_ACCEL = None
    DOWNLOAD_ACCEL_PREFIX = "/protected-media/"
    # The admin's desk: how many distinct searches that found nothing are kept.
    UNFOUND_SEARCHES_KEPT = 1000
    # Shown on the contact page (and, through it, the privacy notice); None: no address.
    CONTACT_EMAIL = None
    # The notice beside every download and the default terms page; None: the
    # portal's own default, in the page's language (`terms.notice`).
    TERMS_OF_USE = None
    # Raise it when the terms change: each account's next download asks to accept them again.
    TERMS_VERSION = "1"
    # What changed in the current version, in a sentence or two; shown to those who accepted an earlier one.
    TERMS_CHANGES = None
    # Ask, with the acceptance, what the files are for; each download records the answer.
    ASK_STATED_USE = False

    # Who may register (`auth.domains`): domains, each covering its subdomains, as a list or "a.org, b.org".
    # No allowed domains: every domain but the denied ones.
    REGISTRATION_ALLOWED_DOMAINS = []
    REGISTRATION_DENIED_DOMAINS = []
    # Refuse the throwaway-mail services of the `disposable-email-domains` package.
    REGISTRATION_BLOCK_DISPOSABLE = False
    # "auto": a verified account may download at once; "admin": it waits for an admin's approval.
    REGISTRATION_APPROVAL = "auto"


def instance_path(default: Path) -> str:
    """Runtime data lives here; PORTAL_INSTANCE_PATH moves it (before any config is read)."""
    return os.environ.get("PORTAL_INSTANCE_PATH") or str(default)


def load(app, overrides: dict) -> None:
    """Fill `app.config`: defaults, instance file, environment, then `overrides`."""
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_object(Defaults)
    app.config.update(limits.defaults())
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(
        app.instance_path, "portal.sqlite3"
    )
    app.config.from_pyfile(os.path.join(app.instance_path, "config.py"), silent=True)
    app.config.from_prefixed_env("PORTAL")
    app.config.update(overrides)
    app.config["MAIL_SUPPRESS_SEND"] = not app.config["MAIL_SERVER"]
    app.config["PUBLIC_URL_IS_SET"] = bool(app.config["PUBLIC_URL"])
    app.config["PUBLIC_URL"] = app.config["PUBLIC_URL"] or DEFAULT_PUBLIC_URL
    if not app.config["MAIL_DEFAULT_SENDER"]:
        app.config["MAIL_DEFAULT_SENDER"] = default_sender(app.config["SITE_NAME"])
    if app.config["SESSION_COOKIE_SECURE"] is None:
        app.config["SESSION_COOKIE_SECURE"] = app.config["PUBLIC_URL"].lower().startswith("https://")
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    # Failed statements are logged; their parameters (hashes, tokens) must not be.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        "hide_parameters": True,
        **database_options(app.config),
        **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
    }
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret(Path(app.instance_path))
    if not app.config.get("TOTP_ENCRYPTION_KEY"):
        app.config["TOTP_ENCRYPTION_KEY"] = instance_secret(Path(app.instance_path), "totp_encryption_key",
                                                            lambda: Fernet.generate_key().decode())
    if app.config["REGISTRATION_APPROVAL"] not in ("auto", "admin"):
        raise ValueError(f"PORTAL_REGISTRATION_APPROVAL is auto or admin, not {app.config['REGISTRATION_APPROVAL']!r}")
    for key in [app.config["TOTP_ENCRYPTION_KEY"], *app.config["TOTP_ENCRYPTION_KEY_FALLBACKS"]]:
        Fernet(key)  # a mistyped key stops the start (ValueError), not an admin's log-in later
    if app.config["PASSWORD_BREACH_CHECK"] not in BREACH_CHECK_MODES:
        raise ValueError(f"PASSWORD_BREACH_CHECK must be one of {', '.join(BREACH_CHECK_MODES)}, "
                         f"not {app.config['PASSWORD_BREACH_CHECK']!r}")
    check_media_storage(app.config)
    if not app.config["PASSWORD_BREACH_FILE"]:
        app.config["PASSWORD_BREACH_FILE"] = os.path.join(app.instance_path, "pwned-passwords.txt")


def check_media_storage(config) -> None:
    """A storage and an accelerator that can't work together stop the start, not a download later."""
    storage, accel = config["MEDIA_STORAGE"], config["DOWNLOAD_ACCEL"] or None
    if storage not in MEDIA_STORAGES:
        raise ValueError(f"PORTAL_MEDIA_STORAGE is local or s3, not {storage!r}")
    if storage == "s3" and not config["S3_BUCKET"]:
        raise ValueError("PORTAL_MEDIA_STORAGE is s3 but PORTAL_S3_BUCKET is not set")
    if accel not in DOWNLOAD_ACCELS[storage]:
        choices = ", ".join(name for name in DOWNLOAD_ACCELS[storage] if name)
        raise ValueError(f"PORTAL_DOWNLOAD_ACCEL with PORTAL_MEDIA_STORAGE={storage} is unset or {choices}, "
                         f"not {accel!r}")
    config["DOWNLOAD_ACCEL"] = accel
    # The environment's JSON reading makes PORTAL_S3_BUCKET=2024 a number: names are text.
    for name in ("S3_BUCKET", "S3_ENDPOINT_URL", "S3_REGION", "S3_PREFIX"):
        config[name] = str(config[name]) if config[name] else None
    seconds = config["S3_PRESIGN_SECONDS"]
    if not isinstance(seconds, int) or not 1 <= seconds <= MAX_PRESIGN_SECONDS:
        raise ValueError(f"PORTAL_S3_PRESIGN_SECONDS is a number of seconds from 1 to {MAX_PRESIGN_SECONDS}, "
                         f"not {seconds!r}")


def database_options(config) -> dict:
    """A server's pooled connections are checked before use, so a database restart
    costs no request; a SQLite file has no server, only a lock to wait for
    (Python's `timeout` is SQLite's busy timeout)."""
    if not config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return {"pool_pre_ping": True}
    return {"pool_pre_ping": False, "connect_args": {"timeout": config["SQLITE_BUSY_TIMEOUT"]}}


def default_sender(site_name: str) -> str:
    """The From: of every mail when none is set: the site's name, quoted where it must be."""
    return str(Address(display_name=site_name, addr_spec="no-reply@localhost"))


def instance_secret(instance: Path, name: str = "secret_key", new_secret=lambda: secrets.token_hex(32)) -> str:
    """Read a secret from `instance/<name>`, creating it (mode 0600) once with `new_secret()`.

    Several workers may start at the same moment: each writes a private
    temporary file and links it into place; `os.link` fails for all but the
    first, and the others read the winner's secret.
    """
    target = instance / name
    if not target.exists():
        instance.mkdir(parents=True, exist_ok=True)
        temporary = instance / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(new_secret())
        try:
            os.link(temporary, target)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return target.read_text().strip()
