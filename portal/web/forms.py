"""The one base class of the portal's forms."""
from flask import request
from flask_wtf import FlaskForm

_FROM_THE_REQUEST = object()


class PortalForm(FlaskForm):
    """A FlaskForm that reads only the ordinary fields of a posted form.

    Flask-WTF would also fill the fields from uploaded files and from a JSON
    body, so a file, a number, a list or a null reached validators written for
    text (WTForms' `Length` raised a TypeError: a 500). Browsers post forms; a
    body of any other kind leaves the fields empty, and the form says so.
    """

    def __init__(self, formdata=_FROM_THE_REQUEST, **kwargs):
        if formdata is _FROM_THE_REQUEST:
            formdata = request.form if self.is_submitted() else None
        super().__init__(formdata=formdata, **kwargs)
