"""Accounts: register, verify, log in and out, reset a password."""
