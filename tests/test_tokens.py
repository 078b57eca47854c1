"""creatorkit.tokens: a Secret never shows, token keys come from the environment, sealed tokens open only where
they were sealed, and the PKCE helpers follow RFC 7636."""

from __future__ import annotations

import base64
import copy
import pickle

import pytest

from creatorkit import ConfigError, StoreError
from creatorkit.entities import IssuedTokens
from creatorkit.tokens import (
    TOKEN_KEY_ENV,
    TOKEN_OLD_KEYS_ENV,
    Secret,
    TokenKey,
    TokenKeys,
    TokenPair,
    generate_token_key,
    new_code_verifier,
    new_state,
    pkce_challenge,
)

TOKEN = "act.1b2c3d4e5f60718293a4b5c6d7e8f90a"


def keys(**env: str) -> TokenKeys:
    return TokenKeys.from_environment(env)


class TestSecret:
    def test_never_shows_in_repr_str_or_format(self) -> None:
        secret = Secret(TOKEN)
        logged = "%s" % secret  # noqa: UP031 - how a logging call formats its arguments
        shown = [repr(secret), str(secret), f"{secret}", f"{secret!r}", logged, f"{secret:>40}"]
        assert not [text for text in shown if TOKEN in text]
        assert repr(secret) == "Secret('***')"

    def test_reveal_gives_the_text_and_equality_compares_it(self) -> None:
        assert Secret(TOKEN).reveal() == TOKEN
        assert Secret(TOKEN) == Secret(TOKEN) and Secret(TOKEN) != Secret(TOKEN + "x")
        assert Secret(Secret(TOKEN)).reveal() == TOKEN
        assert hash(Secret(TOKEN)) == hash(Secret(TOKEN))

    def test_it_is_not_pickled(self) -> None:
        with pytest.raises(TypeError, match="plaintext"):
            pickle.dumps(Secret(TOKEN))

    def test_copies_are_the_same_secret(self) -> None:
        secret = Secret(TOKEN)
        assert copy.copy(secret) is secret and copy.deepcopy(secret) is secret

    def test_it_holds_text_only(self) -> None:
        with pytest.raises(TypeError, match="holds text"):
            Secret(1234)  # type: ignore[arg-type]

    def test_entities_holding_tokens_do_not_show_them(self) -> None:
        issued = IssuedTokens(platform="echo", access_token=TOKEN, refresh_token=TOKEN[::-1], expires_in=60)
        pair = TokenPair(access_token=TOKEN, refresh_token=TOKEN[::-1])
        for text in (repr(issued), str(issued), repr(pair)):
            assert TOKEN not in text and TOKEN[::-1] not in text

    def test_an_empty_token_is_refused_without_quoting_anything(self) -> None:
        with pytest.raises(ValueError, match="must not be empty"):
            IssuedTokens(platform="echo", access_token="")


class TestKeysFromTheEnvironment:
    def test_no_variable_is_no_key_and_sealing_names_the_variable(self) -> None:
        empty = keys()
        assert empty.current is None and empty.old == ()
        with pytest.raises(ConfigError) as raised:
            empty.seal(b"x", associated_data=b"ad")
        assert raised.value.paths == [TOKEN_KEY_ENV]
        assert "generate_token_key" in str(raised.value)

    @pytest.mark.parametrize(
        ("value", "message"),
        [("not base64 at all!", "is not base64"), (base64.b64encode(b"short").decode(), "decodes to 5 bytes")],
    )
    def test_a_malformed_key_names_its_variable_not_its_value(self, value: str, message: str) -> None:
        with pytest.raises(ConfigError) as raised:
            keys(**{TOKEN_KEY_ENV: value})
        assert raised.value.paths == [TOKEN_KEY_ENV]
        assert message in str(raised.value) and value not in str(raised.value)

    def test_a_malformed_old_key_names_its_place(self) -> None:
        with pytest.raises(ConfigError) as raised:
            keys(**{TOKEN_OLD_KEYS_ENV: f"{generate_token_key()}, nonsense"})
        assert raised.value.paths == [f"{TOKEN_OLD_KEYS_ENV}[1]"]

    def test_the_current_key_is_never_also_an_old_one(self) -> None:
        key = generate_token_key()
        with pytest.raises(ConfigError) as raised:
            keys(**{TOKEN_KEY_ENV: key, TOKEN_OLD_KEYS_ENV: key})
        assert raised.value.paths == [TOKEN_OLD_KEYS_ENV]

    def test_old_keys_are_separated_by_commas_or_spaces(self) -> None:
        old = [generate_token_key() for _ in range(3)]
        held = keys(**{TOKEN_KEY_ENV: generate_token_key(), TOKEN_OLD_KEYS_ENV: f"{old[0]},{old[1]}\n {old[2]}"})
        assert [key.id for key in held.old] == [TokenKey.from_base64(text).id for text in old]

    def test_a_keys_repr_shows_its_id_only(self) -> None:
        key = TokenKey.from_base64(generate_token_key())
        assert repr(key) == f"TokenKey(id={key.id!r})" and key.id.startswith("tk_")
        assert base64.b64encode(key.secret).decode() not in repr(TokenKeys(key))


class TestSealing:
    def test_what_is_sealed_opens_for_its_record_only(self) -> None:
        held = keys(**{TOKEN_KEY_ENV: generate_token_key()})
        sealed = held.seal(TOKEN.encode(), associated_data=b"connection\x1fconn_1")
        assert TOKEN not in str(sealed) and sealed["key_id"] == held.current.id  # type: ignore[union-attr]
        assert held.open(sealed, associated_data=b"connection\x1fconn_1") == TOKEN.encode()
        with pytest.raises(StoreError, match="another record"):
            held.open(sealed, associated_data=b"connection\x1fconn_2")

    def test_each_seal_is_new(self) -> None:
        held = keys(**{TOKEN_KEY_ENV: generate_token_key()})
        assert held.seal(b"same", associated_data=b"ad") != held.seal(b"same", associated_data=b"ad")

    def test_an_altered_box_does_not_open(self) -> None:
        held = keys(**{TOKEN_KEY_ENV: generate_token_key()})
        sealed = held.seal(TOKEN.encode(), associated_data=b"ad")
        raw = bytearray(base64.b64decode(sealed["box"]))
        raw[-1] ^= 1
        with pytest.raises(StoreError, match="altered"):
            held.open({**sealed, "box": base64.b64encode(bytes(raw)).decode()}, associated_data=b"ad")

    def test_an_old_key_opens_what_it_sealed_and_the_current_one_seals(self) -> None:
        old = generate_token_key()
        before = keys(**{TOKEN_KEY_ENV: old})
        sealed = before.seal(b"pair", associated_data=b"ad")
        rotated = keys(**{TOKEN_KEY_ENV: generate_token_key(), TOKEN_OLD_KEYS_ENV: old})
        assert rotated.open(sealed, associated_data=b"ad") == b"pair"
        assert rotated.seal(b"pair", associated_data=b"ad")["key_id"] == rotated.current.id  # type: ignore[union-attr]

    def test_a_key_not_held_names_both_variables(self) -> None:
        sealed = keys(**{TOKEN_KEY_ENV: generate_token_key()}).seal(b"pair", associated_data=b"ad")
        with pytest.raises(ConfigError) as raised:
            keys(**{TOKEN_KEY_ENV: generate_token_key()}).open(sealed, associated_data=b"ad")
        assert raised.value.paths == [TOKEN_KEY_ENV]
        assert sealed["key_id"] in str(raised.value) and TOKEN_OLD_KEYS_ENV in str(raised.value)


class TestOAuthHelpers:
    def test_the_s256_challenge_of_rfc_7636_appendix_b(self) -> None:
        assert pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == (
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        )

    def test_verifiers_are_in_rfc_7636_bounds_and_states_are_fresh(self) -> None:
        verifier = new_code_verifier()
        assert 43 <= len(verifier) <= 128
        assert set(verifier) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        assert new_state() != new_state() and len(new_state()) >= 43
