"""Flask extensions, created unbound and initialised in `create_app`."""
from flask_compress import Compress
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase

from portal.limits import client_network, form_limit, no_limit_applies


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
mail = Mail()
migrate = Migrate()
limiter = Limiter(key_func=client_network)
limiter.request_filter(no_limit_applies)
compress = Compress()


def insert_or_update(model):
    """An INSERT that can say what to do ON CONFLICT, in the dialect of the database in use."""
    return (postgresql if db.engine.dialect.name == "postgresql" else sqlite).insert(model)


# One budget per client network for posts to all the account forms together.
account_forms = limiter.shared_limit(form_limit, scope="account-forms", methods=["POST"])
