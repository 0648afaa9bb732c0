"""The mail server is down for a whole registration burst, then comes back."""
import pytest

from portal.mail.delivery import deliver_due

from conftest import Visitor, code_in

BURST = 50
WORKER_POLL = 2  # seconds between two runs of the delivery worker, as MAIL_POLL_INTERVAL


@pytest.fixture
def settings():
    # Fifty people behind one address (an office, a conference hall) may register at once.
    return {"CODE_SENDS_PER_IP_PER_HOUR": 1000}


def run_worker_for(app, clock, seconds: float) -> None:
    """The delivery worker's loop over `seconds` of portal time."""
    for _ in range(int(seconds / WORKER_POLL)):
        with app.app_context():
            while deliver_due():
                pass
        clock.advance(WORKER_POLL)


def test_every_code_of_a_burst_sent_while_smtp_is_down_arrives_once_in_order_within_a_minute(app, inbox, clock):
    inbox.go_down()
    addresses = [f"person{number:02d}@example.org" for number in range(BURST)]
    for address in addresses:
        assert "Check your inbox" in Visitor(app.test_client(), htmx=False).register(email=address).text
        run_worker_for(app, clock, 4)  # the worker keeps trying while people register
    run_worker_for(app, clock, 600)  # a long outage: every mail has reached its longest backoff
    assert inbox.messages == []

    inbox.come_back()
    run_worker_for(app, clock, 60)

    assert [message["To"] for message in inbox.messages] == addresses
    assert all(code_in(message) for message in inbox.messages)
