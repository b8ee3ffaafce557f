"""A throwaway PostgreSQL cluster for the tests: initdb and pg_ctl from Debian's postgresql, run
as an unprivileged user in a temp folder, listening on a Unix socket in that folder only."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.helpers import require

DATABASE, USER, PASSWORD = "portmap", "portmap", "pg-pass-marker"


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """A running cluster, as the URL `portmap --store` takes, its password in it: the cluster asks
    for it (SCRAM), also on its Unix socket."""
    binaries = _binaries()
    require(binaries is not None, "needs PostgreSQL (Debian: apt-get install postgresql)")
    assert binaries is not None
    folder = Path(tempfile.mkdtemp(prefix="portmap-pg-"))
    as_user: list[str] = []
    password_file = folder / "password"
    password_file.write_text(PASSWORD + "\n")
    password_file.chmod(0o600)
    if os.geteuid() == 0:  # never a server the test starts as root
        owner = pwd.getpwnam("postgres" if _has_user("postgres") else "nobody")
        for path in (folder, password_file):
            os.chown(path, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", owner.pw_name, "--"]
    data = folder / "data"

    def run(*command: str) -> None:
        subprocess.run([*as_user, *command], check=True, capture_output=True, text=True, timeout=60,
                       env={**os.environ, "PGPASSWORD": PASSWORD})

    run(str(binaries / "initdb"), "-D", str(data), "-U", USER, "--auth=scram-sha-256", f"--pwfile={password_file}", "--no-sync")
    run(str(binaries / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w",
        "-o", f"-k {folder} -c listen_addresses='' -c fsync=off", "start")
    try:
        run(str(binaries / "createdb"), "-h", str(folder), "-U", USER, DATABASE)
        yield f"postgresql://{USER}:{PASSWORD}@/{DATABASE}?host={folder}"
    finally:
        if (data / "postmaster.pid").exists():  # a test may have stopped it (stop_server)
            run(str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def stop_server(url: str) -> None:
    """The cluster of `url` (postgres_cluster's) stopped at once, as a crash or a cut would leave its clients."""
    binaries, folder = _binaries(), Path(url.split("host=")[1])
    assert binaries is not None
    owner = pwd.getpwuid(folder.stat().st_uid).pw_name
    as_user = ["runuser", "-u", owner, "--"] if os.geteuid() == 0 else []
    subprocess.run([*as_user, str(binaries / "pg_ctl"), "-D", str(folder / "data"), "-m", "immediate", "-w", "stop"],
                   check=True, capture_output=True, timeout=60)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False
