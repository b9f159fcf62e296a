"""The load both production images get in the comparison (python-upgrade/load.py, `tox -e load`).

Rendered once by copier-python-upgrade and then yours: `copier update` leaves this file alone. The
paths and the Host header come from python-upgrade/load.json (the answers load_paths, health_path and
probe_host), so answering again changes what is requested without touching your edits here.

Add real scenarios as more @task methods: a login in on_start, a POST with a body, a page and the
API calls it makes. Both versions get exactly the same users, so a difference is the interpreter's.
https://docs.locust.io/en/stable/writing-a-locustfile.html
"""

import json
from pathlib import Path

from locust import HttpUser, between, task

DATA = json.loads(Path(__file__).with_name("load.json").read_text())
PATHS = [entry if isinstance(entry, dict) else {"path": entry} for entry in DATA["paths"]]
HEADERS = {"Host": DATA["probe_host"]}


class ProductionUser(HttpUser):
    wait_time = between(0.05, 0.2)

    @task(1)
    def health(self):
        self.client.get(DATA["health_path"], headers=HEADERS, name="health", allow_redirects=False)

    @task(5)
    def paths(self):
        for entry in PATHS:
            for _ in range(int(entry.get("weight", 1))):
                self.client.request(str(entry.get("method", "GET")).upper(), entry["path"], headers=HEADERS,
                                    name=entry["path"])
