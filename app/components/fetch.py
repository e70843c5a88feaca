"""Reading JSON from another organisation's server, within limits (the harvester's only
door to the network).

Every URL must be http(s); redirects are followed up to a limit; the body is read as a
stream and abandoned as soon as it passes the size limit, so a 50 MB answer costs at most
the limit in memory. httpx errors are mapped to `SourceUnreachable` / `SourceInvalid`
here, at the edge, with a message a harvest report can show as it is.
"""

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx


class SourceError(Exception):
    """A source could not be read; the message says why, for the harvest report."""


class SourceUnreachable(SourceError):
    pass


class SourceInvalid(SourceError):
    pass


@dataclass
class Fetched:
    status: int  # 200, or 304 when the ETag still matched
    data: Any
    etag: str | None


def check_url(url: str) -> str:
    """The URL itself when it is absolute http(s); a ValueError saying why otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{url!r} is not an absolute http(s) URL")
    return url


class JsonFetcher:
    def __init__(self, *, timeout: float, max_bytes: int, max_redirects: int) -> None:
        self.max_bytes = max_bytes
        self.client = httpx.Client(timeout=timeout, follow_redirects=True,
                                   max_redirects=max_redirects, trust_env=False,
                                   headers={"Accept": "application/json, application/ld+json"})

    def close(self) -> None:
        self.client.close()

    def get(self, url: str, *, params: dict[str, Any] | None = None,
            etag: str | None = None) -> Fetched:
        check_url(url)
        headers = {"If-None-Match": etag} if etag else {}
        try:
            with self.client.stream("GET", url, params=params, headers=headers) as response:
                if response.status_code == 304:
                    return Fetched(304, None, etag)
                if response.status_code != 200:
                    raise SourceUnreachable(f"{url} answered HTTP {response.status_code}")
                body = self._read(response, url)
                new_etag = response.headers.get("etag")
        except httpx.UnsupportedProtocol as exc:
            raise SourceUnreachable(f"{url}: redirected to a URL that is not http(s)") from exc
        except httpx.TooManyRedirects as exc:
            raise SourceUnreachable(f"{url}: more redirects than allowed") from exc
        except httpx.TimeoutException as exc:
            raise SourceUnreachable(f"{url}: no answer in time") from exc
        except httpx.HTTPError as exc:
            raise SourceUnreachable(f"{url}: {type(exc).__name__}") from exc
        try:
            return Fetched(200, json.loads(body), new_etag)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SourceInvalid(f"{url} did not answer JSON ({exc})") from exc

    def _read(self, response: httpx.Response, url: str) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise SourceInvalid(f"{url}: the response ({int(declared):,} bytes) is larger "
                                f"than the limit of {self.max_bytes:,} bytes")
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise SourceInvalid(f"{url}: the response is larger than the limit of "
                                    f"{self.max_bytes:,} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
