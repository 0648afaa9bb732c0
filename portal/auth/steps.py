"""The "Check your inbox" step and its "Send new code", for any code flow (each blueprint routes its own)."""
from flask import url_for

from portal.auth.code_flow import Accepted, CodeFlow, Step
from portal.auth.forms import ButtonForm, CodeForm
from portal.web.htmx import advance, render_form


def code_step(flow: CodeFlow):
    """The "Check your inbox" step, for any flow."""
    step = flow.resume()
    if step is None:
        return advance(url_for(flow.start_endpoint))
    form = CodeForm()
    if form.validate_on_submit():
        result = flow.check(form.code.data)
        if isinstance(result, Accepted):
            return advance(url_for(result.next_endpoint), trigger=result.trigger)
        form.code.errors.append(result)
    return show_code_step(step, form)


def show_code_step(step: Step, form):
    return render_form("auth/_code.html", form, step=step, resend_form=ButtonForm(), title=step.flow.title)


def resend_code(flow: CodeFlow):
    """Post/redirect/get: the step says what happened, and a reload posts nothing."""
    flow.resend()
    return advance(url_for(flow.step_endpoint))
