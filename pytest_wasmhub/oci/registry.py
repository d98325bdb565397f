"""Pull and push packages over the OCI distribution API, with oras-py as the HTTP/auth client.

References are ``oci://HOST[:PORT]/REPO:TAG`` or ``oci://HOST[:PORT]/REPO@sha256:HEX``. Plain HTTP is
used for loopback hosts, or for any host when asked (``insecure=True`` or ``WASMHUB_INSECURE_REGISTRY=1``).
Every failure is a :class:`RegistryError` with one line naming the reference and the problem; oras's
own retry loop (which sleeps up to minutes on a refused connection) is bypassed.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import oras.auth
import oras.container
import oras.provider
import requests

from . import media_types as mt
from .model import DigestClaim, Package, RegistryError, digest_problem, sha256_digest

SCHEME = "oci://"
INSECURE_ENV = "WASMHUB_INSECURE_REGISTRY"
USERNAME_ENV = "WASMHUB_REGISTRY_USERNAME"
PASSWORD_ENV = "WASMHUB_REGISTRY_PASSWORD"
DEFAULT_TIMEOUT = 15.0
MAX_BLOB_BYTES = 4 * mt.MAX_MODULE_BYTES
ACCEPT = ", ".join((*mt.MANIFESTS, *mt.INDEXES))

# distribution's reference grammar (reference/regexp.go), lowercase path components
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPOSITORY = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_HOST = re.compile(r"^(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::\d{1,5})?$")


@dataclass(frozen=True)
class Reference:
    host: str  # host[:port]
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        return self.digest or self.tag or "latest"

    def __str__(self) -> str:
        suffix = f"@{self.digest}" if self.digest else f":{self.tag or 'latest'}"
        return f"{SCHEME}{self.host}/{self.repository}{suffix}"

    def with_digest(self, digest: str) -> Reference:
        return Reference(self.host, self.repository, None, digest)


def is_reference(text: str) -> bool:
    return str(text).startswith(SCHEME)


def parse_reference(text: str) -> Reference:
    """``oci://HOST[:PORT]/REPO[:TAG|@DIGEST]``; raises :class:`RegistryError` naming what is wrong."""
    if not is_reference(text):
        raise RegistryError(f"{text}: not an oci:// reference")
    rest = text[len(SCHEME) :]
    host, slash, path = rest.partition("/")
    if not slash or not host or not path:
        raise RegistryError(f"{text}: expected oci://HOST[:PORT]/REPOSITORY:TAG")
    if not _HOST.match(host):
        raise RegistryError(f"{text}: {host!r} is not a registry host[:port]")
    digest = tag = None
    if "@" in path:
        path, digest = path.split("@", 1)
        problem = digest_problem(digest)
        if problem:
            raise RegistryError(f"{text}: the digest {problem}")
    if ":" in path:
        path, tag = path.rsplit(":", 1)
        if not _TAG.match(tag):
            raise RegistryError(f"{text}: {tag!r} is not a valid tag")
    if not _REPOSITORY.match(path):
        raise RegistryError(f"{text}: {path!r} is not a valid repository name (lowercase, / separated)")
    return Reference(host, path, tag if tag or digest else "latest", digest)


def is_loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1 : host.index("]")]
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def insecure_from_env() -> bool:
    return os.environ.get(INSECURE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


class _Session(requests.Session):
    """A session whose requests time out: a registry that never answers must not hang the run."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout
        self.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(*args, **kwargs)


# oras wraps do_request in a retry decorator (5 attempts, sleeping 3 s to 83 s): fine for a flaky cloud
# registry, minutes of silence for a refused connection. We call the function it wraps.
_DO_REQUEST = getattr(oras.provider.Registry.do_request, "__wrapped__", oras.provider.Registry.do_request)


class _Oras(oras.provider.Registry):
    """oras's registry client (auth flows, Docker credentials) without the retry loop."""

    def do_request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        return _DO_REQUEST(self, *args, **kwargs)


class RegistryClient:
    """One registry host. ``insecure`` None means: plain HTTP for loopback, else per the env var."""

    def __init__(
        self,
        host: str,
        *,
        insecure: bool | None = None,
        username: str | None = None,
        password: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.host = host
        self.plain_http = is_loopback(host) or (insecure_from_env() if insecure is None else insecure)
        self.username = username if username is not None else os.environ.get(USERNAME_ENV)
        self.password = password if password is not None else os.environ.get(PASSWORD_ENV)
        self.timeout = timeout
        self._oras = self._client("token")
        self._pinged = False

    @property
    def base_url(self) -> str:
        return f"{'http' if self.plain_http else 'https'}://{self.host}"

    def _client(self, auth_backend: str) -> _Oras:
        client = _Oras(hostname=self.host, insecure=self.plain_http, auth_backend=auth_backend)
        session = _Session(self.timeout)
        client.session = session
        client.auth.session = session
        return client

    # -- pulling --------------------------------------------------------------------------------------
    def pull(self, reference: Reference) -> Package:
        """The manifest and every blob it references; absent blobs are recorded, not fatal."""
        self._ping(reference)
        response = self._get(reference, f"/v2/{reference.repository}/manifests/{reference.name}", ACCEPT)
        package = Package(str(reference), "oci-registry", response.content)
        claims = self._claims(reference, response)
        if package.media_type in mt.INDEXES or "manifests" in package.manifest:
            child = _single_child(package.manifest, str(reference))
            response = self._get(reference, f"/v2/{reference.repository}/manifests/{child['digest']}", ACCEPT)
            package = Package(str(reference), "oci-registry", response.content)
            claims = [
                DigestClaim(
                    f"the index {sha256_digest(package.manifest_bytes)}", child["digest"], child.get("size")
                )
            ]
            claims += self._claims(reference.with_digest(child["digest"]), response)
        package.manifest_claims.extend(claims)
        for _, descriptor in package.descriptors():
            digest = descriptor.get("digest")
            if not isinstance(digest, str) or digest in package.blobs:
                continue
            problem = digest_problem(digest)
            if problem:
                package.missing_blobs[digest] = problem
                continue
            data, why = self._blob(reference, digest)
            if data is None:
                package.missing_blobs[digest] = why
            else:
                package.blobs[digest] = data
        return package

    def _claims(self, reference: Reference, response: requests.Response) -> list[DigestClaim]:
        claims = []
        if reference.digest:
            claims.append(DigestClaim("the reference", reference.digest))
        header = response.headers.get("Docker-Content-Digest")
        if header:
            claims.append(DigestClaim("the registry's Docker-Content-Digest header", header))
        return claims

    def _blob(self, reference: Reference, digest: str) -> tuple[bytes | None, str]:
        url = f"{self.base_url}/v2/{reference.repository}/blobs/{digest}"
        response = self._request(reference, url, "GET", stream=True)
        with response:
            if response.status_code != 200:
                return None, f"the registry answered {_status(response)}"
            chunks, size = [], 0
            for chunk in response.iter_content(chunk_size=1 << 20):
                size += len(chunk)
                if size > MAX_BLOB_BYTES:
                    raise RegistryError(f"{reference}: blob {digest} is over {MAX_BLOB_BYTES} bytes")
                chunks.append(chunk)
        return b"".join(chunks), ""

    # -- pushing --------------------------------------------------------------------------------------
    def push(self, package: Package, reference: Reference) -> str:
        """Upload every blob, then the manifest bytes unchanged; returns the manifest digest."""
        self._ping(reference)
        for name, descriptor in package.descriptors():
            digest = descriptor.get("digest")
            data = package.blob(descriptor)
            if data is None:
                raise RegistryError(f"{reference}: cannot push, {name} blob {digest} is missing")
            self._upload_blob(reference, str(digest), data)
        media_type = package.media_type or mt.OCI_MANIFEST
        url = f"{self.base_url}/v2/{reference.repository}/manifests/{reference.name}"
        response = self._request(
            reference, url, "PUT", data=package.manifest_bytes, headers={"Content-Type": media_type}
        )
        if response.status_code not in (200, 201):
            raise RegistryError(f"{reference}: the registry refused the manifest: {_status(response)}")
        return response.headers.get("Docker-Content-Digest") or package.manifest_digest

    def _upload_blob(self, reference: Reference, digest: str, data: bytes) -> None:
        blob_url = f"{self.base_url}/v2/{reference.repository}/blobs/{digest}"
        if self._request(reference, blob_url, "HEAD").status_code == 200:
            return
        started = self._request(
            reference, f"{self.base_url}/v2/{reference.repository}/blobs/uploads/", "POST"
        )
        location = started.headers.get("Location")
        if started.status_code != 202 or not location:
            raise RegistryError(f"{reference}: the registry refused a blob upload: {_status(started)}")
        if location.startswith("/"):
            location = self.base_url + location
        separator = "&" if "?" in location else "?"
        finished = self._request(
            reference,
            f"{location}{separator}digest={digest}",
            "PUT",
            data=data,
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(len(data))},
        )
        if finished.status_code != 201:
            raise RegistryError(f"{reference}: the registry refused blob {digest}: {_status(finished)}")

    # -- transport ------------------------------------------------------------------------------------
    def _ping(self, reference: Reference) -> None:
        """``GET /v2/``: reachability, TLS and whether credentials are needed, before any real work."""
        if self._pinged:
            return
        url = f"{self.base_url}/v2/"
        try:
            response = self._oras.session.get(url)
        except requests.exceptions.SSLError as exc:
            raise RegistryError(
                f"{reference}: TLS with {self.host} failed ({_reason(exc)}); for a plain-HTTP registry "
                f"set {INSECURE_ENV}=1"
            ) from None
        except requests.RequestException as exc:
            raise RegistryError(f"{reference}: cannot reach the registry at {url} ({_reason(exc)})") from None
        if response.status_code == 401:
            self._use_credentials(reference, response)
            response = self._request(reference, url, "GET")
        if response.status_code in (401, 403):
            raise RegistryError(f"{reference}: the registry refused the credentials: {_status(response)}")
        if response.status_code != 200:
            raise RegistryError(f"{reference}: {url} is not an OCI registry endpoint: {_status(response)}")
        self._pinged = True

    def _use_credentials(self, reference: Reference, challenge: requests.Response) -> None:
        scheme = challenge.headers.get("WWW-Authenticate", "").split(" ", 1)[0].lower()
        client = self._client("basic" if scheme == "basic" else "token")
        if self.username and self.password:
            client.auth.set_basic_auth(self.username, self.password)
        else:
            # credentials from the Docker config (docker login), as oras and docker find them
            client.auth.load_configs(oras.container.Container(f"{self.host}/{reference.repository}"))
        if not getattr(client.auth, "_basic_auth", None):
            raise RegistryError(
                f"{reference}: the registry requires authentication ({_status(challenge)}); "
                f"run `docker login {self.host}` or set {USERNAME_ENV} and {PASSWORD_ENV}"
            )
        if scheme == "bearer":
            self._check_token_service(reference, challenge, client)
        self._oras = client

    def _check_token_service(self, reference: Reference, challenge: requests.Response, client: _Oras) -> None:
        """Ask the token service once ourselves, so a refusal is one clear error (not oras's log lines)."""
        fields = dict(re.findall(r'(\w+)="([^"]*)"', challenge.headers.get("WWW-Authenticate", "")))
        realm = fields.get("realm", "")
        if not realm.startswith(("http://", "https://")):
            raise RegistryError(f"{reference}: the registry's token challenge names no token service URL")
        params = {k: v for k, v in fields.items() if k in ("service", "scope")}
        headers = {"Authorization": f"Basic {client.auth._basic_auth}"}  # type: ignore[attr-defined]
        try:
            response = client.session.get(realm, params=params, headers=headers)
        except requests.RequestException as exc:
            raise RegistryError(
                f"{reference}: cannot reach the token service {realm} ({_reason(exc)})"
            ) from None
        try:
            body = response.json() if response.status_code == 200 else {}
        except ValueError:
            body = {}
        if not isinstance(body, dict) or not (body.get("token") or body.get("access_token")):
            raise RegistryError(f"{reference}: the token service {realm} gave no token: {_status(response)}")

    def _get(self, reference: Reference, path: str, accept: str) -> requests.Response:
        response = self._request(reference, self.base_url + path, "GET", headers={"Accept": accept})
        if response.status_code == 200:
            return response
        codes = _error_codes(response)
        if response.status_code == 404 and "NAME_UNKNOWN" in codes:
            raise RegistryError(f"{reference}: no repository {reference.repository} on {self.host}")
        if response.status_code == 404:
            raise RegistryError(
                f"{reference}: {reference.name} not found in {reference.repository} on {self.host}"
            )
        raise RegistryError(f"{reference}: the registry answered {_status(response)}")

    def _request(self, reference: Reference, url: str, method: str, **kwargs: Any) -> requests.Response:
        try:
            response = self._oras.do_request(url, method, **kwargs)
        except (requests.RequestException, ValueError, oras.auth.AuthenticationException) as exc:
            raise RegistryError(f"{reference}: {method} {url} failed ({_reason(exc)})") from None
        if response.status_code in (401, 403):
            raise RegistryError(f"{reference}: the registry refused access: {_status(response)}")
        return response


def _single_child(index: dict[str, Any], source: str) -> dict[str, Any]:
    manifests = [m for m in index.get("manifests") or [] if isinstance(m, dict)]
    if len(manifests) != 1:
        raise RegistryError(f"{source}: an image index with {len(manifests)} manifests; name one by @digest")
    problem = digest_problem(manifests[0].get("digest"))
    if problem:
        raise RegistryError(f"{source}: the index's manifests[0].digest {problem}")
    return manifests[0]


def _error_codes(response: requests.Response) -> list[str]:
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        return []
    return [str(e.get("code")) for e in errors if isinstance(e, dict)]


def _status(response: requests.Response) -> str:
    text = f"{response.status_code} {response.reason or ''}".strip()
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        errors = []
    details = [f"{e.get('code')}: {e.get('message')}" for e in errors if isinstance(e, dict)]
    return f"{text} ({'; '.join(details)})" if details else text


def _reason(exc: BaseException) -> str:
    """The innermost, most specific part of a requests/urllib3 error chain."""
    text = str(exc)
    for marker in ("Connection refused", "timed out", "Name or service not known", "No route to host"):
        if marker in text:
            return marker.lower()
    return text.splitlines()[0][:200] if text else type(exc).__name__
