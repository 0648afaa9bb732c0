"""Which addresses may register: the admin's allowed and denied domains, and disposable mail services.

The rules are public (the README lists the settings), so the register form
says at once that a domain is refused: that tells nothing about an address.
A domain covers its subdomains, so checking the address's domain and each of
its parents matches every rule, the registrable domain of a disposable
service included.
"""
from disposable_email_domains import blocklist as DISPOSABLE_DOMAINS
from flask import current_app
from flask_babel import lazy_gettext as _l

REFUSED_DOMAIN = _l("Addresses at this domain can't register here.")


def ascii_form(domain: str) -> str:
    """bücher.example → xn--bcher-kva.example, so a rule holds whichever way a name is written."""
    domain = domain.strip().strip(".").lower()
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def configured_domains(setting: str) -> set[str]:
    """A setting's domains, written as "a.org, b.org" (an environment variable) or as a list."""
    value = current_app.config[setting] or []
    items = value.split(",") if isinstance(value, str) else value
    return {ascii_form(item) for item in items if item.strip().strip(".")}


def domain_and_parents(address: str) -> set[str]:
    """desk.news.example.org → itself, news.example.org, example.org and org."""
    labels = ascii_form(address.rpartition("@")[2]).split(".")
    return {".".join(labels[start:]) for start in range(len(labels))}


def may_register(address: str) -> bool:
    covering = domain_and_parents(address)
    allowed = configured_domains("REGISTRATION_ALLOWED_DOMAINS")
    if allowed and not covering & allowed:
        return False
    if covering & configured_domains("REGISTRATION_DENIED_DOMAINS"):
        return False
    return not (current_app.config["REGISTRATION_BLOCK_DISPOSABLE"] and covering & DISPOSABLE_DOMAINS)
