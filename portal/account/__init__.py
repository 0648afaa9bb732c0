"""My account: the person's details and newsletter choice."""
