"""The newsletter: consent, one-click unsubscribe, and sending through the outbox."""
