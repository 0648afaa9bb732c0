"""The media area's one form: accepting the terms of use."""
from flask_babel import lazy_gettext as _l
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from portal.media import terms
from portal.web.forms import PortalForm


class AcceptTermsForm(PortalForm):
    stated_use = RadioField(_l("What will you use the files for?"),
                            choices=[SelectChoice(value, label) for value, label in terms.STATED_USES],
                            validators=[InputRequired(_l("Choose what you will use the files for."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not terms.asks_stated_use():
            del self.stated_use
