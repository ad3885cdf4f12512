"""Every setting libcard reads from the environment is documented in .env.example."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READERS = r"(?:env|envbool|envint|envlist)\(\s*\"([A-Z0-9_]+)\""


def test_every_environment_variable_is_in_env_example():
    sources = [
        ROOT / "src/libcard/settings.py",
        ROOT / "src/libcard/readerfile/container.py",
        ROOT / "src/libcard/readerfile/isolation.py",
    ]
    names = set()
    for source in sources:
        text = source.read_text(encoding="utf-8")
        names |= set(re.findall(READERS, text))
        names |= set(re.findall(r"environ\.get\(\"([A-Z0-9_]+)\"", text))
        names |= set(re.findall(r'number\("([A-Z0-9_]+)"', text))
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^([A-Z0-9_]+)=", example, re.M))
    missing = sorted(names - documented - {"LIBCARD_TESTING", "LIBCARD_TEST_TASKS"})
    assert not missing, f"add to .env.example: {missing}"
