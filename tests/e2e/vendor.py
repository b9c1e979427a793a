"""axe-core, the accessibility engine the end-to-end tests inject into each page.

Fetched once from the npm registry with npm itself (which checks the tarball against
the registry's metadata), checked again here against the integrity pinned below, and
unpacked to ``var/vendor/`` (git-ignored). ``make axe`` runs this; the e2e conftest runs
it on first use when the file is missing.

    python -m tests.e2e.vendor
"""

import base64
import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AXE_VERSION = "4.10.3"
# The registry's dist.integrity of axe-core 4.10.3 (npm view axe-core@4.10.3 dist.integrity).
AXE_INTEGRITY = (
    "sha512-Xm7bpRXnDSX2YE2YFfBk2FnF0ep6tmG7xPh8iHee8MIcrgq762Nk"
    "ce856dYtJYLkuIoYZvGfTs/PbZhideTcEg=="
)
AXE_PATH = ROOT / "var" / "vendor" / f"axe-core-{AXE_VERSION}.min.js"


def integrity_of(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def fetch_axe() -> Path:
    """The path of axe.min.js, fetching it first if it is not there yet."""
    if AXE_PATH.exists():
        return AXE_PATH
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("fetching axe-core needs npm (apt-get install npm)")
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(
            [npm, "pack", f"axe-core@{AXE_VERSION}", "--pack-destination", folder, "--silent"],
            check=True,
            cwd=folder,
            stdout=subprocess.DEVNULL,
        )
        tarball = Path(folder) / f"axe-core-{AXE_VERSION}.tgz"
        data = tarball.read_bytes()
    if integrity_of(data) != AXE_INTEGRITY:
        raise RuntimeError(f"axe-core {AXE_VERSION}: the tarball does not match the pinned hash")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        member = archive.extractfile("package/axe.min.js")
        if member is None:
            raise RuntimeError("axe-core tarball without package/axe.min.js")
        script = member.read()
    AXE_PATH.parent.mkdir(parents=True, exist_ok=True)
    partial = AXE_PATH.with_suffix(".part")
    partial.write_bytes(script)
    partial.replace(AXE_PATH)
    return AXE_PATH


if __name__ == "__main__":
    print(fetch_axe())
    sys.exit(0)
