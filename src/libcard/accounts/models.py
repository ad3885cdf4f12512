from django.contrib.auth.models import AbstractUser
from django.db import models

from libcard.core.fields import EncryptedTextField


class User(AbstractUser):
    """Staff and institution contact persons. Readers are not users: see libcard.readers."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"


class LoginThrottle(models.Model):
    """Failed logins per account (its blind index) and per client address, shared by the web
    login, the API and SIP2. Delays grow with each failure but never exceed a cap, so an
    attacker can slow a reader down but never lock them out for good."""

    key = models.CharField(max_length=100, unique=True)  # "account:<index>" or "ip:<address>"
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    blocked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["blocked_until"])]

    def __str__(self) -> str:
        return f"{self.key}: {self.failures}"


class StaffDevice(models.Model):
    """A staff member's TOTP authenticator (the secret is encrypted)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp")
    secret = EncryptedTextField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_counter = models.BigIntegerField(default=0)  # a code is accepted once

    def __str__(self) -> str:
        return f"TOTP of {self.user}"
