from __future__ import annotations

import ipaddress

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Platform(models.Model):
    """An e-resource platform that asks libcard whether a reader may log in."""

    class Encoding(models.TextChoices):
        UTF8 = "utf-8", "UTF-8"
        CP850 = "cp850", "cp850"

    name = models.CharField(_("name"), max_length=100, unique=True)
    active = models.BooleanField(_("active"), default=True)
    # HTTP API: the key is shown once; only a prefix (to find it) and a keyed hash are kept.
    api_enabled = models.BooleanField(_("HTTP API"), default=False)
    api_key_prefix = models.CharField(max_length=16, blank=True, db_index=True)
    api_key_hash = models.CharField(max_length=64, blank=True)
    # SIP2: the platform's own login (93 CN/CO); the password is stored as argon2id.
    sip2_user = models.CharField(_("SIP2 user"), max_length=50, blank=True)
    sip2_password_hash = models.CharField(max_length=200, blank=True)
    sip2_encoding = models.CharField(
        _("SIP2 encoding"), max_length=8, choices=Encoding.choices, default=Encoding.UTF8
    )
    # Comma- or line-separated addresses and networks (CIDR); empty: nobody.
    allowed_networks = models.TextField(_("allowed addresses"), blank=True)
    # What the platform may learn about a reader besides "valid or not" and the card status.
    may_name = models.BooleanField(_("may see the name"), default=False)
    may_email = models.BooleanField(_("may see the e-mail"), default=False)
    may_card_type = models.BooleanField(_("may see the card type"), default=True)
    may_expiry = models.BooleanField(_("may see the expiry date"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["sip2_user"], condition=~models.Q(sip2_user=""), name="platform_sip2_user"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def sip2_enabled(self) -> bool:
        return bool(self.sip2_user and self.sip2_password_hash)

    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        result = []
        for part in self.allowed_networks.replace("\n", ",").split(","):
            part = part.strip()
            if part:
                try:
                    result.append(ipaddress.ip_network(part, strict=False))
                except ValueError:
                    continue
        return result

    def allows_address(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks())


class PlatformReader(models.Model):
    """The pseudonymous identifier a platform knows a reader by (a keyed hash of both)."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="+")
    reader = models.ForeignKey("readers.Reader", on_delete=models.CASCADE, related_name="+")
    pseudonym = models.CharField(max_length=40, unique=True)
    first_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "reader"], name="platform_reader_unique")
        ]

    def __str__(self) -> str:
        return self.pseudonym
