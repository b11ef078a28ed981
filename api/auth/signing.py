"""The head-signing key: Ed25519, from PORTFOLIO_LEDGER_SIGNING_KEY or ..._SIGNING_KEY_FILE."""

from __future__ import annotations

import base64
import binascii
import os
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.requests import Request

from api.settings import ConfigurationError, Settings
from projections.audit.heads import HeadSigner


def head_signer(settings: Settings) -> HeadSigner | None:
    """The signer the settings configure, or None when heads go unsigned."""
    if settings.signing_key and settings.signing_key_file:
        raise ConfigurationError(
            "set PORTFOLIO_LEDGER_SIGNING_KEY or PORTFOLIO_LEDGER_SIGNING_KEY_FILE, not both"
        )
    if settings.signing_key_file:
        return _signer_from_file(str(settings.signing_key_file))
    if settings.signing_key:
        return HeadSigner(private_key(settings.signing_key, "PORTFOLIO_LEDGER_SIGNING_KEY"))
    return None


@lru_cache(maxsize=4)
def signer(request: Request) -> HeadSigner | None:
    """The signer of the app serving this request, or None when heads are not signed."""
    return head_signer(request.app.state.settings)


def _signer_from_file(path: str) -> HeadSigner:
    try:
        text = Path(path).read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"cannot read the signing key file {path}: {error}") from None
    return HeadSigner(private_key(text, f"the signing key file {path}"))


def private_key(text: str, source: str) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM (PKCS#8) text or the base64 of its 32-byte seed."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        except (ValueError, TypeError):
            raise ConfigurationError(f"{source} is not an unencrypted PEM private key") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigurationError(f"{source} is not an Ed25519 key")
        return key
    try:
        seed = base64.b64decode(text, validate=True)
    except binascii.Error:
        seed = b""
    if len(seed) != 32:
        raise ConfigurationError(f"{source} is neither PEM nor the base64 of a 32-byte seed")
    return Ed25519PrivateKey.from_private_bytes(seed)


class KeyFileExists(ConfigurationError):
    """The key file is there already: a key is never overwritten unasked."""


def generate(path: Path, *, replace: bool = False) -> HeadSigner:
    """Write a new private key to ``path`` (PEM, readable by its owner only); an existing
    key is replaced only when asked, and then whole or not at all."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    if path.exists() and not replace:
        raise KeyFileExists(f"{path} exists: not overwriting a key (--force replaces it)")
    target = path.with_name(f".{path.name}.new") if replace else path
    try:
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileExists(f"{target} exists: not overwriting a key") from None
    except OSError as error:
        raise ConfigurationError(f"cannot write {path}: {(error.strerror or '').lower()}") from None
    with os.fdopen(descriptor, "wb") as out:
        out.write(pem)
    if replace:
        os.replace(target, path)
    return HeadSigner(key)
