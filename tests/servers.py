"""Real ASGI servers (uvicorn processes) on the test database, for browser and live tests."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(settings_dict: dict) -> str:
    """The URL of the database the test runner uses, for the server processes to share it."""
    if "sqlite" in settings_dict["ENGINE"]:
        return f"sqlite:///{settings_dict['NAME']}"
    user = quote(settings_dict.get("USER") or "")
    password = f":{quote(settings_dict['PASSWORD'])}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


def process_env(database: str, redis_url: str | None) -> dict[str, str]:
    """This process's environment for a child on the given database (and Redis, if any)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["DATABASE_URL"] = database
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def log_file(name: str):
    """A log file for a child process, under the var directory (left there for post-mortems)."""
    log_dir = Path(os.environ.get("JOURNEYBOARD_VAR_DIR", ROOT / "var"))
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / f"{name}.log"
    return path, open(path, "w")  # closed by the owner's stop()


class Server:
    """One uvicorn process serving Journeyboard, stopped with ``stop()``.

    ``port``: a given port, to start a server again where a stopped one was (a restart)."""

    def __init__(
        self,
        *,
        database: str,
        redis_url: str | None,
        app: str = "config.asgi:application",
        extra_env: dict | None = None,
        port: int | None = None,
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        env = {**process_env(database, redis_url), **(extra_env or {})}
        self.log_path, self.log = log_file(f"server-{self.port}-{time.monotonic_ns()}")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                app,
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--ws-per-message-deflate",
                "false",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited: {self.log_path.read_text()}")
            try:
                urllib.request.urlopen(f"{self.url}/accounts/login/", timeout=2)
                return
            except urllib.error.HTTPError:
                return  # it answers (the relay floor has no HTTP pages)
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("uvicorn did not start within 30 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()

    def kill(self) -> None:
        """As if the machine lost the process: no shutdown, no goodbyes to its sockets."""
        self.process.kill()
        self.process.wait(timeout=10)
        self.log.close()


def redis_available(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


class CeleryWorker:
    """A real Celery worker process on the test database and broker, stopped with ``stop()``."""

    def __init__(self, *, database: str, redis_url: str | None, extra_env: dict | None = None):
        env = {**process_env(database, redis_url), **(extra_env or {})}
        self.log_path, self.log = log_file(f"celery-{time.monotonic_ns()}")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--loglevel=info",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"celery exited: {self.log_path.read_text()}")
            if "ready." in self.log_path.read_text():
                return
            time.sleep(0.2)
        raise RuntimeError(f"celery did not start within 60 s: {self.log_path.read_text()}")

    def kill(self) -> None:
        """As if the machine lost the process: no warm shutdown, no acknowledgement."""
        self.process.kill()
        self.process.wait(timeout=10)
        self.log.close()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
