"""Robust downloads: streamed to a partial file, retried with back-off, resumed with HTTP ``Range``,
checked against an md5/sha256 and (for gzip files) decompressed once end to end, then renamed atomically.

HTTP goes through the standard library's ``urllib.request``, not ``requests``: it is always present
(``requests`` is only a transitive dependency of Snakemake, not one of ours), it opens http(s)://, ftp:// and
file:// URLs alike and honours ``http_proxy`` / ``https_proxy`` / ``no_proxy`` from the environment, and what
we need beyond a plain GET (Range/If-Range resume, retries, checksums) is a few lines either way.

Where files live while they download: ``partial_dir`` (default ``.cache/downloads``), never the output's
folder, so ``resources/`` only ever holds complete, verified files. A download that ran out of retries
keeps its partial file there and the next call resumes it; a file that fails its checksum or gzip check is
deleted. A finished download is also hard-linked there (no extra disk space), so that rerunning the fetch
after Snakemake has deleted the output (e.g. because a checksum was added to the config) needs no network.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import os
import re
import shutil
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from pathlib import Path
from typing import Sequence

from deepmotif.errors import InputError
from deepmotif.io_utils import atomic_path

USER_AGENT = "deepmotif-fetch/0.1 (+https://github.com/; python-urllib)"
CHUNK = 1 << 20
# Status codes worth another try: timeouts, rate limits, and server-side failures.
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
ALGORITHMS = ("md5", "sha256")
PROGRESS_MIN_BYTES = 8 << 20  # progress lines only for files at least this large (or of unknown size)


class _Retry(Exception):
    """A failure that another attempt may cure (dropped connection, HTTP 5xx, short read)."""


def parse_checksum(text: str | None, path=None, line: int | None = None,
                   field: str | None = None) -> tuple[str, str] | None:
    """Parse a checksum given in a config or sheet.

    Parameters
    ----------
    text : str or None
        ``md5:<32 hex>``, ``sha256:<64 hex>``, or bare hex (32 digits = md5, 64 = sha256); blank or None
        means no checksum.
    path, line, field
        Where the text came from, for the error message.

    Returns
    -------
    tuple of (str, str) or None
        ``(algorithm, lower-case hex digest)``.
    """
    if text is None or not str(text).strip():
        return None
    text = str(text).strip()
    algo, _, digest = text.rpartition(":")
    digest = digest.lower()
    if not algo:
        algo = {32: "md5", 64: "sha256"}.get(len(digest), "")
    algo = algo.lower()
    want = {"md5": 32, "sha256": 64}.get(algo)
    if want is None or len(digest) != want or not re.fullmatch(r"[0-9a-f]+", digest):
        raise InputError(f"checksum {text!r} is not 'md5:<32 hex digits>', 'sha256:<64 hex digits>' or "
                         "bare hex of either length", path=path, line=line, field=field)
    return algo, digest


def checksum_option(md5: str | None = None, sha256: str | None = None,
                    checksum: str | None = None) -> tuple[str, str] | None:
    """The expected checksum of ``deepmotif fetch``: at most one of ``--md5``, ``--sha256`` and
    ``--checksum`` (text for :func:`parse_checksum`), as ``(algorithm, hex)``; None where none is given."""
    given = [(algo, value) for algo, value in (("md5", md5), ("sha256", sha256), (None, checksum)) if value]
    if len(given) > 1:
        raise InputError("give at most one of --md5, --sha256, --checksum")
    if not given:
        return None
    algo, value = given[0]
    return parse_checksum(f"{algo}:{value}" if algo else value, field="checksum")


def file_digests(path: str | Path) -> dict[str, str]:
    """md5 and sha256 of a file, read once in 1 MiB chunks."""
    md5, sha = hashlib.md5(), hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            md5.update(chunk)
            sha.update(chunk)
    return {"md5": md5.hexdigest(), "sha256": sha.hexdigest()}


def is_gzip(path: str | Path) -> bool:
    """True if the file starts with the gzip magic bytes."""
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def check_gzip(path: str | Path) -> int:
    """Decompress a gzip (or BGZF, any number of members) file to the end, checking every CRC.

    Returns
    -------
    int
        Decompressed size in bytes.

    Raises
    ------
    ValueError
        If the file is truncated or corrupt, with zlib's reason.
    """
    size = 0
    try:
        with gzip.open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(4 * CHUNK), b""):
                size += len(chunk)
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as err:
        raise ValueError(str(err) or type(err).__name__) from None
    return size


def local_path(url: str) -> Path | None:
    """The file a ``file://`` URL or plain path points at, None for network URLs."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme == "file":
        return Path(urllib.request.url2pathname(parsed.path))
    if parsed.scheme in ("", ) or (len(parsed.scheme) == 1 and os.name == "nt"):
        return Path(url)
    return None


class _Progress:
    """Progress lines on stderr for large files: at most one every ``interval`` seconds."""

    def __init__(self, name: str, done: int, total: int | None, enabled: bool, interval: float = 5.0):
        self.name, self.done, self.total, self.interval = name, done, total, interval
        self.enabled = enabled and (total is None or total >= PROGRESS_MIN_BYTES)
        self.t0 = self.last = time.monotonic()
        self.start = done

    def update(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and now - self.last >= self.interval:
            self.last = now
            self._line(now)

    def finish(self) -> None:
        if self.enabled:
            self._line(time.monotonic())

    def _line(self, now: float) -> None:
        rate = (self.done - self.start) / max(now - self.t0, 1e-9) / 1e6
        of = f" of {self.total / 1e6:.1f} MB ({100 * self.done / self.total:.0f}%)" if self.total else ""
        print(f"{self.name}: {self.done / 1e6:.1f} MB{of}, {rate:.1f} MB/s", file=sys.stderr, flush=True)


def _content_range(value: str | None) -> tuple[int | None, int | None]:
    """(first byte, total size) from ``Content-Range: bytes a-b/total`` or ``bytes */total``."""
    m = re.fullmatch(r"\s*bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)\s*", value or "")
    if not m:
        return None, None
    first = int(m.group(1)) if m.group(1) is not None else None
    total = int(m.group(2)) if m.group(2) != "*" else None
    return first, total


def _load_meta(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _save_meta(path: Path, meta: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(meta))
    os.replace(tmp, path)


def _discard(*paths: Path) -> None:
    for p in paths:
        try:
            p.unlink()
        except FileNotFoundError:
            pass


def _http_attempt(url: str, part: Path, meta_path: Path, timeout: float, progress: bool) -> None:
    """One GET of ``url`` appended to ``part`` (resuming with Range when ``part`` has bytes)."""
    meta = _load_meta(meta_path)
    have = part.stat().st_size if part.exists() else 0
    if have and meta.get("url") != url:  # a partial file of another URL (mirror): start over
        _discard(part)
        have, meta = 0, {}
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
        if meta.get("validator"):  # the server sends everything again if the file changed meanwhile
            headers["If-Range"] = meta["validator"]
    try:
        resp = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416 and have:  # nothing left past our partial: complete already, or stale
            total = _content_range(err.headers.get("Content-Range"))[1]
            if total is not None and total == have:
                return
            _discard(part)
            raise _Retry("server refused the resume range; restarting from byte 0") from None
        if err.code in RETRY_STATUS:
            raise _Retry(f"HTTP {err.code} {err.reason}") from None
        raise InputError(f"HTTP {err.code} {err.reason}", path=url) from None
    except (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError) as err:
        reason = getattr(err, "reason", err)
        raise _Retry(f"{type(err).__name__}: {reason}") from None
    with resp:
        status = getattr(resp, "status", None) or resp.getcode()
        validator = resp.headers.get("ETag") or resp.headers.get("Last-Modified")
        if status == 206:
            first, total = _content_range(resp.headers.get("Content-Range"))
            if first != have:
                _discard(part)
                raise _Retry(f"server resumed at byte {first}, not {have}; restarting from byte 0")
            mode = "ab"
            print(f"{url}: resuming at byte {have:,}", file=sys.stderr, flush=True)
        else:  # 200: the whole file (server ignored Range, or the file changed)
            if have:
                print(f"{url}: server sent the whole file again; restarting", file=sys.stderr, flush=True)
            have, mode = 0, "wb"
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
        _save_meta(meta_path, {"url": url, "validator": validator, "total": total})
        bar = _Progress(Path(urllib.parse.urlparse(url).path).name or url, have, total, progress)
        with open(part, mode) as fh:
            while True:
                try:
                    chunk = resp.read(CHUNK)
                except (http.client.HTTPException, ConnectionError, TimeoutError, OSError) as err:
                    raise _Retry(f"connection lost after {fh.tell():,} bytes ({type(err).__name__})") from None
                if not chunk:
                    break
                try:
                    fh.write(chunk)
                except OSError as err:
                    raise InputError(f"cannot write download: {err.strerror}", path=part) from None
                bar.update(len(chunk))
        bar.finish()
    size = part.stat().st_size
    if total is not None and size < total:
        raise _Retry(f"connection closed after {size:,} of {total:,} bytes")
    if total is not None and size > total:
        _discard(part)
        raise _Retry(f"received {size:,} bytes, more than the announced {total:,}; restarting")


def _copy_local(src: Path, url: str, part: Path, progress: bool) -> None:
    """Copy a local file to ``part`` (resuming after the bytes already there)."""
    if not src.is_file():
        raise InputError("file not found" if not src.exists() else "not a regular file", path=url)
    total = src.stat().st_size
    have = part.stat().st_size if part.exists() else 0
    if have > total:
        _discard(part)
        have = 0
    bar = _Progress(src.name, have, total, progress)
    with open(src, "rb") as fin, open(part, "ab" if have else "wb") as fout:
        fin.seek(have)
        for chunk in iter(lambda: fin.read(CHUNK), b""):
            fout.write(chunk)
            bar.update(len(chunk))
    bar.finish()


def _download(url: str, part: Path, meta_path: Path, retries: int, backoff: float, timeout: float,
              progress: bool) -> int:
    """Fill ``part`` with ``url``, retrying; returns the number of attempts used."""
    src = local_path(url)
    if src is not None:
        _copy_local(src, url, part, progress)
        return 1
    last = None
    for attempt in range(retries + 1):
        if attempt:
            wait = min(backoff * 2 ** (attempt - 1), 60.0)
            print(f"{url}: {last}; retry {attempt}/{retries} in {wait:g} s", file=sys.stderr, flush=True)
            time.sleep(wait)
        try:
            _http_attempt(url, part, meta_path, timeout, progress)
            return attempt + 1
        except _Retry as err:
            last = err
    kept = f"; the {part.stat().st_size:,} bytes received are kept in {part} and the next run resumes " \
           "from there" if part.exists() and part.stat().st_size else ""
    raise InputError(f"download failed after {retries + 1} attempts: {last}{kept}", path=url)


def _cache_key(url: str, out: Path) -> str:
    return hashlib.sha1(f"{url}\0{out.resolve()}".encode()).hexdigest()[:16] + "-" + out.name


def fetch(urls: str | Sequence[str], out: str | Path, checksum: tuple[str, str] | str | None = None,
          gzip_output: bool = False, retries: int = 5, backoff: float = 2.0, timeout: float = 60.0,
          partial_dir: str | Path = ".cache/downloads", progress: bool = True,
          checksum_field: str | None = None) -> dict:
    """Download ``urls`` (the first that works; the others are mirrors) to ``out``, verified and atomically.

    Parameters
    ----------
    urls : str or sequence of str
        http(s)://, ftp://, file:// URL or plain path; several = mirrors tried in turn.
    out : str or Path
        Final file. Written only once the download is complete and verified; ``<out>.sha256`` (the
        ``sha256sum -c`` format) records the stored file's digest.
    checksum : tuple or str, optional
        ``(algorithm, hex)`` or text for :func:`parse_checksum`; checked against the downloaded bytes.
    gzip_output : bool
        The output must be gzip: a gzip download is decompressed to the end once (a truncated or corrupt
        file fails here, naming the URL); anything else is gzip-compressed into ``out``.
    retries : int
        Extra attempts per URL after a dropped connection, time-out or HTTP 408/429/5xx; the n-th waits
        ``backoff * 2**(n-1)`` seconds (at most 60). Other HTTP errors (404, 403) fail at once.
    backoff, timeout : float
        Seconds: first retry delay; socket time-out per read.
    partial_dir : str or Path
        Where partial downloads live (resumed by the next call) and finished ones are hard-linked.
    progress : bool
        Print progress lines on stderr for files of at least 8 MB.
    checksum_field : str, optional
        Config key or sheet column of the checksum, named in a mismatch error.

    Returns
    -------
    dict
        ``url`` (the one used), ``bytes``, ``md5``, ``sha256`` of the downloaded bytes, ``attempts``,
        ``reused`` (True if served from the local cache without network).

    Raises
    ------
    InputError
        Naming the URL: HTTP error, retries exhausted, checksum mismatch, not a valid gzip file.
    """
    urls = [urls] if isinstance(urls, (str, Path)) else [str(u) for u in urls]
    urls = [str(u).strip() for u in urls if str(u).strip()]
    if not urls:
        raise InputError("no URL given", field=checksum_field)
    if isinstance(checksum, str) or checksum is None:
        checksum = parse_checksum(checksum, field=checksum_field)
    if retries < 0 or backoff < 0 or timeout <= 0:
        raise InputError(f"need retries >= 0, backoff >= 0, timeout > 0; got {retries}, {backoff}, {timeout}")
    for url in urls:
        scheme = urllib.parse.urlparse(url).scheme.lower()
        if scheme not in ("http", "https", "ftp", "file", "") and local_path(url) is None:
            raise InputError(f"unsupported URL scheme {scheme!r}; use http(s)://, ftp://, file:// or a path",
                             path=url)
    out = Path(out)
    cache = Path(partial_dir)
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"cannot create download folder: {err.strerror}", path=cache) from None
    errors = []
    for url in urls:
        key = _cache_key(url, out)
        part, meta_path = cache / f"{key}.part", cache / f"{key}.part.json"
        done, done_meta = cache / f"{key}.done", cache / f"{key}.done.json"
        reused = _reuse(done, done_meta, url, checksum, gzip_output)
        if reused is not None:
            print(f"{url}: reusing the verified download in {done}", file=sys.stderr)
            _install(done, out, reused["stored_sha256"], link=True)
            return {**reused["source"], "url": url, "attempts": 0, "reused": True}
        try:
            attempts = _download(url, part, meta_path, retries, backoff, timeout, progress)
        except InputError as err:
            errors.append(err)
            continue
        digests = file_digests(part)
        if checksum is not None and digests[checksum[0]] != checksum[1]:
            _discard(part, meta_path)
            errors.append(InputError(f"{checksum[0]} checksum mismatch: expected {checksum[1]}, got "
                                     f"{digests[checksum[0]]}; the download was discarded", path=url,
                                     field=checksum_field))
            continue
        source = {"url": url, "bytes": part.stat().st_size, **digests, "attempts": attempts, "reused": False}
        stored = part
        if gzip_output:
            if is_gzip(part):
                try:
                    check_gzip(part)
                except ValueError as err:
                    _discard(part, meta_path)
                    errors.append(InputError(f"not a valid gzip file ({err}); the download was discarded — "
                                             "truncated or corrupt at the source?", path=url))
                    continue
            else:  # a plain-text download (e.g. an uncompressed narrowPeak): store it gzip-compressed
                stored = part.with_name(part.name + ".gz")
                with open(part, "rb") as fin, gzip.open(stored, "wb", compresslevel=6) as fout:
                    shutil.copyfileobj(fin, fout, CHUNK)
                _discard(part)
        stored_sha = file_digests(stored)["sha256"] if stored is not part else digests["sha256"]
        os.replace(stored, done)
        _discard(meta_path)
        _save_meta(done_meta, {"url": url, "source": {k: source[k] for k in ("bytes", "md5", "sha256")},
                               "stored_sha256": stored_sha, "gzip_output": gzip_output})
        _install(done, out, stored_sha, link=True)
        if checksum is None:
            print(f"{url}: no checksum configured; recorded sha256 {digests['sha256']} (md5 {digests['md5']})"
                  f" in {out}.sha256", file=sys.stderr)
        return source
    if len(errors) == 1:
        raise errors[0]
    raise InputError("every mirror failed: " + " | ".join(str(e) for e in errors), path=urls[0])


def _reuse(done: Path, done_meta: Path, url: str, checksum, gzip_output: bool) -> dict | None:
    """The cached finished download's metadata if it can stand in for a new download, else None."""
    if not done.is_file():
        return None
    meta = _load_meta(done_meta)
    if meta.get("url") != url or meta.get("gzip_output") != gzip_output:
        return None
    if checksum is not None and meta.get("source", {}).get(checksum[0]) != checksum[1]:
        return None
    if file_digests(done)["sha256"] != meta.get("stored_sha256"):
        _discard(done, done_meta)
        return None
    return meta


def _install(done: Path, out: Path, sha256: str, link: bool) -> None:
    """Put the finished download at ``out`` (hard link, else copy) and write ``<out>.sha256``, atomically."""
    with atomic_path(out.with_name(out.name + ".sha256")) as tmp_sum, atomic_path(out) as tmp:
        tmp_sum.write_text(f"{sha256}  {out.name}\n")
        tmp.unlink()
        try:
            if not link:
                raise OSError
            os.link(done, tmp)
        except OSError:
            shutil.copyfile(done, tmp)
