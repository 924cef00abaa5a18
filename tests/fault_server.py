"""Test helpers: a real HTTP server on 127.0.0.1 (in a thread) that honours Range/If-Range and injects faults,
and generators of small genomes and narrowPeak files.

Faults are queued per path and used up one per request:

* ``"drop"``: headers announce the whole (remaining) body, half of it is sent, then the connection is closed;
* ``"500"``: HTTP 500;
* ``"stall"``: the server waits 3 s before answering (longer than the client's time-out in the tests).

A file's content can be swapped (``replace``), which changes its ETag, so a resume with a stale ``If-Range``
gets the whole new file.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import re
import threading
import time
from collections import deque
from pathlib import Path

import numpy as np


class _Handler(http.server.BaseHTTPRequestHandler):
    server_version = "FaultServer/1.0"

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):
        srv = self.server.owner
        route = srv.routes.get(self.path.split("?")[0])
        rng = self.headers.get("Range")
        fault = route["faults"].popleft() if route and route["faults"] else None
        srv.log.append({"path": self.path, "range": rng, "if_range": self.headers.get("If-Range"),
                        "fault": fault})
        if route is None:
            self.send_error(404, "Not Found")
            return
        if fault == "500":
            self.send_error(500, "Injected failure")
            return
        if fault == "stall":
            time.sleep(3)
        data, etag = route["data"], route["etag"]
        start, status = 0, 200
        if rng and route["ranges"]:
            stale = self.headers.get("If-Range") not in (None, etag)
            m = re.fullmatch(r"bytes=(\d+)-", rng.strip())
            if m and not stale:
                start = int(m.group(1))
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status = 206
        body = data[start:]
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        if route["ranges"]:
            self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        if fault == "drop":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)
        srv.served[self.path] = srv.served.get(self.path, 0) + len(body)


class FaultServer:
    """``with FaultServer() as srv: srv.add("/x", b"...", faults=["drop"]); url = srv.url("/x")``."""

    def __init__(self):
        self.routes: dict[str, dict] = {}
        self.log: list[dict] = []
        self.served: dict[str, int] = {}
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def add(self, path: str, data: bytes, faults=(), ranges: bool = True) -> str:
        self.routes[path] = {"data": data, "faults": deque(faults), "ranges": ranges,
                             "etag": '"' + hashlib.md5(data).hexdigest() + '"'}
        return self.url(path)

    def replace(self, path: str, data: bytes) -> None:
        route = self.routes[path]
        route["data"], route["etag"] = data, '"' + hashlib.md5(data).hexdigest() + '"'

    def fail(self, path: str, *faults: str) -> None:
        self.routes[path]["faults"].extend(faults)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def requests(self, path: str) -> list[dict]:
        return [r for r in self.log if r["path"] == path]


def random_genome(sizes: dict[str, int], seed: int = 0, n_blocks: dict[str, list[tuple[int, int]]] | None = None,
                  lowercase: bool = True) -> dict[str, str]:
    """Random sequences (GC varying along each chromosome), soft-masked stretches, and N blocks."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, size in sizes.items():
        gc = np.clip(0.4 + 0.2 * np.sin(np.arange(size) / 3000.0), 0.2, 0.8)
        u = rng.random(size)
        codes = np.where(u < gc / 2, 1, np.where(u < gc, 2, np.where(u < gc + (1 - gc) / 2, 0, 3)))
        seq = np.frombuffer(b"ACGT", dtype=np.uint8)[codes].copy()
        if lowercase:
            for s in rng.integers(0, size - 500, size=3):
                seq[s:s + 300] |= 0x20  # ASCII upper → lower case
        for s, e in (n_blocks or {}).get(name, []):
            seq[s:e] = ord("N")
        out[name] = seq.tobytes().decode()
    return out


def fasta_text(genome: dict[str, str], width: int = 60) -> str:
    lines = []
    for name, seq in genome.items():
        lines.append(f">{name} generated\n")
        lines.extend(seq[i:i + width] + "\n" for i in range(0, len(seq), width))
    return "".join(lines)


def write_fasta(path: Path, genome: dict[str, str], width: int = 60, gz: bool = False) -> Path:
    text = fasta_text(genome, width).encode()
    path.write_bytes(gzip.compress(text) if gz else text)
    return path


def narrowpeak_line(chrom, start, end, signal, peak, name=".", strand=".", p=5.0, q=3.0) -> str:
    return f"{chrom}\t{start}\t{end}\t{name}\t1000\t{strand}\t{signal}\t{p}\t{q}\t{peak}\n"


def random_peaks(genome: dict[str, str], n: int, seed: int = 1, width: int = 200,
                 extra_contigs=("chrM",)) -> str:
    """narrowPeak text: ``n`` peaks spread over ``genome`` with distinct signal values, plus one peak on each
    of ``extra_contigs`` (in the original genome, but cut away)."""
    rng = np.random.default_rng(seed)
    names = list(genome)
    lines = []
    for i in range(n):
        chrom = names[i % len(names)]
        start = int(rng.integers(200, len(genome[chrom]) - width - 200))
        lines.append(narrowpeak_line(chrom, start, start + width, round(float(rng.uniform(5, 500)), 3),
                                     int(rng.integers(20, width - 20)), name=f"peak{i}"))
    for chrom in extra_contigs:
        lines.append(narrowpeak_line(chrom, 100, 300, 50.0, 100))
    return "".join(lines)
