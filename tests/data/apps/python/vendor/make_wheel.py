#!/usr/bin/env python3
"""Rebuild vendor/slipway_greeting-1.0-py3-none-any.whl from vendor/src.

Writes a pure-python wheel by hand (zip + dist-info with RECORD hashes), so
no build tool nor package index is needed. The output is reproducible: file
dates are fixed.
"""

import base64
import hashlib
import pathlib
import zipfile

NAME = "slipway_greeting"
VERSION = "1.0"
HERE = pathlib.Path(__file__).resolve().parent
SRC = HERE / "src"
DIST_INFO = f"{NAME}-{VERSION}.dist-info"
WHEEL_PATH = HERE / f"{NAME}-{VERSION}-py3-none-any.whl"
DATE = (2024, 1, 1, 0, 0, 0)

METADATA = f"""Metadata-Version: 2.1
Name: {NAME}
Version: {VERSION}
Summary: Greeting used by the Slipway Python sample app
Requires-Python: >=3.7
"""

WHEEL = """Wheel-Version: 1.0
Generator: slipway make_wheel.py
Root-Is-Purelib: true
Tag: py3-none-any
"""


def digest(data):
    raw = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def main():
    entries = []
    for path in sorted(SRC.rglob("*.py")):
        entries.append((path.relative_to(SRC).as_posix(), path.read_bytes()))
    entries.append((f"{DIST_INFO}/METADATA", METADATA.encode("utf-8")))
    entries.append((f"{DIST_INFO}/WHEEL", WHEEL.encode("utf-8")))

    record = "".join(f"{name},{digest(data)},{len(data)}\n" for name, data in entries)
    record += f"{DIST_INFO}/RECORD,,\n"
    entries.append((f"{DIST_INFO}/RECORD", record.encode("utf-8")))

    with zipfile.ZipFile(WHEEL_PATH, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(info, data)
    print(f"wrote {WHEEL_PATH.name}")


if __name__ == "__main__":
    main()
