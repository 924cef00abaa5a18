"""Downloads against a real HTTP server on 127.0.0.1 that injects faults: a connection dropped half-way, HTTP
500 twice, a stalled server, a wrong checksum, a truncated gzip. Retries succeed where they can, resuming
with Range; failures give one error naming the URL; nothing partial is ever left beside the output; a rerun
resumes a partial download and does not download a finished file again."""

from __future__ import annotations

import gzip
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from deepmotif.data.fetch import check_gzip, fetch, parse_checksum
from deepmotif.errors import InputError
from fault_server import FaultServer

FAST = {"backoff": 0.01, "timeout": 1.0}


@pytest.fixture
def srv():
    with FaultServer() as server:
        yield server


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    # A proxy in the environment must not intercept the local test server.
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def payload(n: int = 300_000, seed: int = 0) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, size=n, dtype=np.uint8).tobytes()


def gz_payload(n: int = 200_000) -> bytes:
    text = "".join(f"chr1\t{i}\t{i + 100}\t.\t0\t.\t1\t1\t1\t50\n" for i in range(n // 30))
    return gzip.compress(text.encode())


def leftovers(folder: Path) -> list[str]:
    """Anything in the output folder that is not a finished file or its .sha256 record."""
    return sorted(p.name for p in folder.rglob("*") if p.is_file() and (p.name.startswith(".") or
                                                                        p.suffix in (".part", ".tmp")))


def test_plain_download_records_checksum(srv, tmp_path):
    data = payload()
    url = srv.add("/a.bin", data)
    info = fetch(url, tmp_path / "res/a.bin", partial_dir=tmp_path / "cache", **FAST)
    out = tmp_path / "res/a.bin"
    assert out.read_bytes() == data and info["attempts"] == 1 and not info["reused"]
    sha = hashlib.sha256(data).hexdigest()
    assert info["sha256"] == sha and info["md5"] == hashlib.md5(data).hexdigest()
    assert (tmp_path / "res/a.bin.sha256").read_text() == f"{sha}  a.bin\n"
    assert leftovers(tmp_path / "res") == []


def test_dropped_connection_resumes_with_range(srv, tmp_path):
    data = payload()
    url = srv.add("/a.bin", data, faults=["drop"])
    info = fetch(url, tmp_path / "res/a.bin", partial_dir=tmp_path / "cache", **FAST)
    assert (tmp_path / "res/a.bin").read_bytes() == data and info["attempts"] == 2
    first, second = srv.requests("/a.bin")
    assert first["range"] is None and second["range"] == f"bytes={len(data) // 2}-"
    assert second["if_range"] == srv.routes["/a.bin"]["etag"]  # resume only if the file is unchanged
    assert srv.served["/a.bin"] == len(data) - len(data) // 2  # the second request sent only the rest


def test_dropped_connection_without_range_support_restarts(srv, tmp_path):
    data = payload()
    url = srv.add("/a.bin", data, faults=["drop"], ranges=False)
    fetch(url, tmp_path / "res/a.bin", partial_dir=tmp_path / "cache", **FAST)
    assert (tmp_path / "res/a.bin").read_bytes() == data


def test_http_500_twice_then_success(srv, tmp_path):
    data = payload()
    url = srv.add("/a.bin", data, faults=["500", "500"])
    info = fetch(url, tmp_path / "res/a.bin", checksum=f"md5:{hashlib.md5(data).hexdigest()}",
                 partial_dir=tmp_path / "cache", **FAST)
    assert info["attempts"] == 3 and len(srv.requests("/a.bin")) == 3
    assert (tmp_path / "res/a.bin").read_bytes() == data


def test_stalled_server_times_out_and_retries(srv, tmp_path):
    url = srv.add("/a.bin", payload(1000), faults=["stall"])
    info = fetch(url, tmp_path / "res/a.bin", partial_dir=tmp_path / "cache", backoff=0.01, timeout=0.5)
    assert info["attempts"] == 2


def test_retries_exhausted_names_url_and_leaves_nothing(srv, tmp_path):
    url = srv.add("/a.bin", payload(), faults=["500"] * 3)
    with pytest.raises(InputError) as err:
        fetch(url, tmp_path / "res/a.bin", retries=2, partial_dir=tmp_path / "cache", **FAST)
    msg = str(err.value)
    assert msg.startswith(url + ": ") and "after 3 attempts" in msg and "HTTP 500" in msg, msg
    assert not (tmp_path / "res/a.bin").exists() and leftovers(tmp_path / "res") == []


def test_http_404_fails_at_once(srv, tmp_path):
    url = srv.url("/missing.gz")
    with pytest.raises(InputError, match=r"missing.gz: HTTP 404"):
        fetch(url, tmp_path / "res/x.gz", partial_dir=tmp_path / "cache", **FAST)
    assert len(srv.log) == 1 and not (tmp_path / "res/x.gz").exists()


def test_wrong_checksum_is_one_clear_error(srv, tmp_path):
    url = srv.add("/a.bin", payload())
    for checksum, algo in (("0" * 32, "md5"), ("sha256:" + "f" * 64, "sha256")):
        with pytest.raises(InputError) as err:
            fetch(url, tmp_path / "res/a.bin", checksum=checksum, partial_dir=tmp_path / "cache",
                  checksum_field="peaks_checksum", **FAST)
        msg = str(err.value)
        assert msg.startswith(f"{url}, field 'peaks_checksum': {algo} checksum mismatch"), msg
        assert not (tmp_path / "res/a.bin").exists() and leftovers(tmp_path / "res") == []
        assert not list((tmp_path / "cache").glob("*.part"))  # a bad download is not kept for resuming


def test_truncated_gzip_is_one_clear_error(srv, tmp_path):
    good = gz_payload()
    url = srv.add("/p.narrowPeak.gz", good[: len(good) - 200])  # served completely, but cut at the source
    with pytest.raises(InputError) as err:
        fetch(url, tmp_path / "res/p.narrowPeak.gz", gzip_output=True, partial_dir=tmp_path / "cache", **FAST)
    msg = str(err.value)
    assert msg.startswith(url + ": not a valid gzip file") and "discarded" in msg, msg
    assert not (tmp_path / "res").exists() or not any((tmp_path / "res").iterdir())
    assert not list((tmp_path / "cache").glob("*.part"))
    assert check_gzip(_write(tmp_path / "ok.gz", good)) > 0
    with pytest.raises(ValueError, match="end-of-stream"):
        check_gzip(_write(tmp_path / "t.gz", good[:-200]))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_plain_file_is_gzipped_and_gzip_checked(srv, tmp_path):
    text = b"chr1\t10\t20\t.\t0\t.\t1\t1\t1\t5\n"
    url = srv.add("/p.narrowPeak", text)
    fetch(url, tmp_path / "res/p.narrowPeak.gz", gzip_output=True, partial_dir=tmp_path / "cache", **FAST)
    assert gzip.decompress((tmp_path / "res/p.narrowPeak.gz").read_bytes()) == text
    good = gz_payload()
    url = srv.add("/q.gz", good, faults=["drop"])
    fetch(url, tmp_path / "res/q.gz", gzip_output=True, partial_dir=tmp_path / "cache", **FAST)
    assert (tmp_path / "res/q.gz").read_bytes() == good


def test_rerun_resumes_partial_download(srv, tmp_path):
    data = payload()
    url = srv.add("/g.fa.gz", data, faults=["drop"])
    with pytest.raises(InputError, match="kept in .* and the next run resumes"):
        fetch(url, tmp_path / "res/g.bin", retries=0, partial_dir=tmp_path / "cache", **FAST)
    assert not (tmp_path / "res/g.bin").exists() and leftovers(tmp_path / "res") == []
    assert [p.stat().st_size for p in (tmp_path / "cache").glob("*.part")] == [len(data) // 2]
    info = fetch(url, tmp_path / "res/g.bin", retries=0, partial_dir=tmp_path / "cache", **FAST)
    assert (tmp_path / "res/g.bin").read_bytes() == data and info["attempts"] == 1
    assert srv.requests("/g.fa.gz")[-1]["range"] == f"bytes={len(data) // 2}-"


def test_resume_of_a_changed_file_starts_over(srv, tmp_path):
    old, new = payload(seed=1), payload(seed=2)
    url = srv.add("/g.bin", old, faults=["drop"])
    with pytest.raises(InputError):
        fetch(url, tmp_path / "res/g.bin", retries=0, partial_dir=tmp_path / "cache", **FAST)
    srv.replace("/g.bin", new)  # new ETag: the stale If-Range gets the whole new file
    fetch(url, tmp_path / "res/g.bin", retries=0, partial_dir=tmp_path / "cache", **FAST)
    assert (tmp_path / "res/g.bin").read_bytes() == new


def test_finished_download_is_not_downloaded_again(srv, tmp_path):
    data = payload()
    url = srv.add("/a.bin", data)
    out = tmp_path / "res/a.bin"
    fetch(url, out, partial_dir=tmp_path / "cache", **FAST)
    out.unlink()  # as Snakemake does before rerunning a job, e.g. after a checksum was added to the config
    info = fetch(url, out, checksum=hashlib.sha256(data).hexdigest(), partial_dir=tmp_path / "cache", **FAST)
    assert info["reused"] and len(srv.log) == 1 and out.read_bytes() == data
    with pytest.raises(InputError, match="checksum mismatch"):  # a different checksum downloads again
        fetch(url, out, checksum="1" * 64, partial_dir=tmp_path / "cache", **FAST)
    assert len(srv.log) == 2


def test_mirrors_and_local_files(srv, tmp_path):
    data = payload(5000)
    local = _write(tmp_path / "local.bin", data)
    good = srv.add("/a.bin", data)
    info = fetch([srv.url("/gone"), good], tmp_path / "res/m.bin", partial_dir=tmp_path / "cache", **FAST)
    assert info["url"] == good and (tmp_path / "res/m.bin").read_bytes() == data
    for url in (str(local), local.as_uri()):
        out = tmp_path / "res" / f"l{len(url)}.bin"
        fetch(url, out, checksum=hashlib.md5(data).hexdigest(), partial_dir=tmp_path / "cache", **FAST)
        assert out.read_bytes() == data
    with pytest.raises(InputError, match="nowhere.bin: file not found"):
        fetch(str(tmp_path / "nowhere.bin"), tmp_path / "res/n.bin", partial_dir=tmp_path / "cache")


def test_progress_lines_for_large_files(srv, tmp_path, capsys):
    data = payload(9 << 20)
    fetch(srv.add("/big.bin", data), tmp_path / "big.bin", partial_dir=tmp_path / "cache", **FAST)
    err = capsys.readouterr().err
    assert "big.bin: 9.4 MB of 9.4 MB (100%)" in err, err


@pytest.mark.parametrize("text, expect", [
    ("d41d8cd98f00b204e9800998ecf8427e", ("md5", "d41d8cd98f00b204e9800998ecf8427e")),
    ("MD5:D41D8CD98F00B204E9800998ECF8427E", ("md5", "d41d8cd98f00b204e9800998ecf8427e")),
    ("sha256:" + "a" * 64, ("sha256", "a" * 64)),
    ("", None),
])
def test_parse_checksum(text, expect):
    assert parse_checksum(text) == expect


@pytest.mark.parametrize("text", ["md5:abc", "sha1:" + "a" * 40, "z" * 32])
def test_parse_checksum_rejects(text):
    with pytest.raises(InputError, match="not 'md5:"):
        parse_checksum(text, field="genome.checksum")


def test_cli_fetch_error_is_one_line_with_url(srv, tmp_path):
    url = srv.add("/a.bin", payload(1000))
    env = dict(os.environ, no_proxy="127.0.0.1", NO_PROXY="127.0.0.1")
    proc = subprocess.run([sys.executable, "-m", "deepmotif.cli", "fetch", "--url", url, "--out", "res/a.bin",
                           "--md5", "0" * 32, "--backoff", "0.01"], cwd=tmp_path, capture_output=True,
                          text=True, env=env)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith(f"deepmotif fetch: error: {url}: md5 checksum mismatch"), proc.stderr
    assert not (tmp_path / "res/a.bin").exists()
    ok = subprocess.run([sys.executable, "-m", "deepmotif.cli", "fetch", "--url", url, "--out", "res/a.bin",
                         "--quiet"], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert ok.returncode == 0 and (tmp_path / "res/a.bin").is_file(), ok.stderr
    assert any((tmp_path / ".cache/downloads").iterdir())  # the default partial folder
