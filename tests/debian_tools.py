"""Command-line tools from Debian's packages that tests run, fetched on first need.

A tool already on ``PATH`` is used as it is. Otherwise its package is downloaded with
``apt-get download`` (no installation, no root-owned service started) and unpacked into a
cache folder that later runs reuse.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CACHE = Path(os.environ.get("SHIPYARD_TEST_TOOLS", Path.home() / ".cache" / "shipyard-tests"))


def debian_tool(command: str, package: str) -> Path:
    """The path of ``command``, from ``PATH`` or unpacked from Debian's ``package``."""
    found = shutil.which(command)
    if found:
        return Path(found)
    unpacked = CACHE / package
    tool = unpacked / "usr" / "bin" / command
    if tool.exists():
        return tool
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise RuntimeError(
            f"{command} is not installed and apt-get is not available to fetch it: "
            f"install Debian's {package} package (or put {command} on PATH)"
        )
    with tempfile.TemporaryDirectory() as download:
        fetched = subprocess.run(["apt-get", "download", package], cwd=download, check=False)
        if fetched.returncode != 0:  # a fresh machine may not have read the package lists yet
            subprocess.run(["apt-get", "update", "-qq"], check=True)
            subprocess.run(["apt-get", "download", package], cwd=download, check=True)
        (deb,) = Path(download).glob(f"{package}_*.deb")
        unpacked.mkdir(parents=True, exist_ok=True)
        subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
    return tool


def installed_debian_command(command: str, package: str) -> Path:
    """The path of ``command``, installing Debian's ``package`` first when it is missing and
    this user may (a browser has too many libraries to unpack beside the tests)."""
    found = shutil.which(command)
    if found:
        return Path(found)
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        raise RuntimeError(
            f"{command} is not installed: install Debian's {package} package "
            f"(sudo apt-get install -y {package}); .ci/run does"
        )
    quiet = {"DEBIAN_FRONTEND": "noninteractive", **os.environ}
    install = ["apt-get", "install", "-y", "-qq", package]  # fonts come as recommends
    if subprocess.run(install, env=quiet, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=quiet, check=True)
        subprocess.run(install, env=quiet, check=True)
    found = shutil.which(command)
    if not found:
        raise RuntimeError(f"{package} was installed but {command} is not on PATH")
    return Path(found)
