"""Forging JWTs for attack tests: RSA signing keys, a tiny JWKS server, raw token assembly.

The gateway must reject every forged token; to forge them the tests need private keys that a
user pool "publishes" (the JWKS server below) and ones it does not.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(value: object) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def split(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """(header, payload, signature segment) of a compact JWT, unverified."""
    header, payload, signature = token.split(".")
    return json.loads(_unb64url(header)), json.loads(_unb64url(payload)), signature


def _unb64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def assemble(header: dict[str, Any], payload: dict[str, Any], signature: str) -> str:
    """A compact JWT from its parts, with whatever signature segment is given."""
    return f"{b64url_json(header)}.{b64url_json(payload)}.{signature}"


def hmac_signed(header: dict[str, Any], payload: dict[str, Any], secret: bytes) -> str:
    """An HS256 token signed with ``secret`` (PyJWT refuses to do this with a public key)."""
    signing_input = f"{b64url_json(header)}.{b64url_json(payload)}".encode()
    signature = hmac.new(secret, signing_input, hashlib.sha256).digest()
    return f"{signing_input.decode()}.{b64url(signature)}"


def public_pem_of_jwk(jwk: dict[str, Any]) -> bytes:
    """The PEM of an RSA public JWK: what an attacker would use as the HMAC secret."""
    public = RSAAlgorithm.from_jwk(jwk)
    assert isinstance(public, rsa.RSAPublicKey)
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@dataclass
class SigningKey:
    """An RSA key pair named ``kid``."""

    kid: str
    private: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    def jwk(self) -> dict[str, Any]:
        """The public half as a JWK, as Cognito publishes it."""
        public: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**public, "kid": self.kid, "alg": "RS256", "use": "sig"}

    def sign(self, claims: dict[str, Any], *, kid: str | None = None) -> str:
        """An RS256 token of ``claims`` with this key (the header may name another ``kid``)."""
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": kid or self.kid})


def cognito_claims(
    issuer: str, client_id: str, *, token_use: str = "access", **overrides: Any
) -> dict[str, Any]:
    """Claims shaped like a Cognito token's; ``None`` in ``overrides`` removes a claim."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": str(uuid.uuid4()),
        "token_use": token_use,
        "iat": now,
        "auth_time": now,
        "exp": now + 3600,
        "jti": str(uuid.uuid4()),
        "cognito:groups": ["admin"],
    }
    if token_use == "access":
        claims.update(client_id=client_id, username="forged-admin", scope="aws.cognito.signin")
    else:
        claims.update({"aud": client_id, "cognito:username": "forged-admin"})
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


class JwksServer:
    """Serves ``keys`` as a JWKS document on loopback and counts the GETs it answers."""

    def __init__(self, *keys: SigningKey) -> None:
        self.keys = list(keys)
        self.requests = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with server._lock:
                    server.requests += 1
                    body = json.dumps({"keys": [k.jwk() for k in server.keys]}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/.well-known/jwks.json"

    def publish(self, *keys: SigningKey) -> None:
        """Serve these keys from now on (a key rotation)."""
        with self._lock:
            self.keys = list(keys)

    def start(self) -> JwksServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
