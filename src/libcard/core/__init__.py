"""Shared pieces without a domain: audit log, crypto, working days, masking, mail, rate limits."""
