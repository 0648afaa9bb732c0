"""Mail: the outbox requests write to, and the delivery that empties it."""
