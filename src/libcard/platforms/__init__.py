"""Platform clients (e-book platforms, databases) and the HTTP authentication API."""
