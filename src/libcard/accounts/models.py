from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """Staff and institution contact persons. Readers are not users: see libcard.readers."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
