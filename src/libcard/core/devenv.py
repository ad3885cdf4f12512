"""Print a fresh .env for a laptop: random keys, mail to files. ``make run`` writes it once."""

import base64
import secrets


def main() -> None:
    print("# Written by `make run` for this checkout only; see .env.example for every setting.")
    print(f"SECRET_KEY={secrets.token_urlsafe(50)}")
    print(f"LIBCARD_DATA_KEYS={base64.b64encode(secrets.token_bytes(32)).decode()}")
    print(f"LIBCARD_INDEX_KEY={base64.b64encode(secrets.token_bytes(32)).decode()}")
    print("EMAIL_BACKEND=file")
    print("DEBUG=1")


if __name__ == "__main__":
    main()
