from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    return {"library_name": settings.LIBRARY_NAME, "library_contact": settings.LIBRARY_CONTACT}
