"""The admin's desk: `portal users` commands, the second factor of admins, and `/admin`."""
