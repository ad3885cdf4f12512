"""Login, password change and reset, throttling, roles, staff two-factor."""
