from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from libcard.accounts.reader_session import reader_from_session


class ReaderMiddleware:
    """Sets ``request.reader`` for a logged-in reader (readers are not Django users)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.reader = reader_from_session(request)  # type: ignore[attr-defined]
        return self.get_response(request)
