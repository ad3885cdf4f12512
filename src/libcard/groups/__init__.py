"""Institutions and their group applications: letters, the portal, the staff queue, issuance."""
