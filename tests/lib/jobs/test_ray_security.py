"""Ray secured: the executor refuses a Ray cluster without token authentication unless told the network is private.
No Ray is started here: the check is a function, and the executor is given a stand-in ``ray`` module."""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import types
from pathlib import Path

import pytest

from lib.jobs import ray_executor
from lib.jobs.ray_executor import PRIVATE_NETWORK, TOKEN_AUTH_SINCE, RayExecutor, RayNotSecured, unsecured_reason

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("address", ["ray://head.example:10001", "10.0.0.5:6379", "auto"])
def test_a_cluster_without_token_authentication_is_refused_naming_both_ways(address):
    reason = unsecured_reason(address, env={})
    assert reason and address in reason
    assert "RAY_AUTH_MODE=token" in reason and f"{PRIVATE_NETWORK}=1" in reason  # the two ways to be allowed
    assert "CVE-2023-48022" in reason and "docs/deploy.md" in reason
    assert "RAY_AUTH_TOKEN" in reason  # where the token goes


@pytest.mark.parametrize("mode", ["disabled", "DISABLED", "none", ""])
def test_any_mode_but_token_is_refused_for_a_cluster(mode):
    assert unsecured_reason("10.0.0.5:6379", env={"RAY_AUTH_MODE": mode})


@pytest.mark.parametrize("env", [{"RAY_AUTH_MODE": "token"}, {"RAY_AUTH_MODE": " Token "},
                                 {PRIVATE_NETWORK: "1"}, {PRIVATE_NETWORK: "1", "RAY_AUTH_MODE": "disabled"}])
def test_a_cluster_with_token_authentication_or_on_a_private_network_is_allowed(env):
    assert unsecured_reason("10.0.0.5:6379", env=env) is None


@pytest.mark.parametrize("flag", ["0", "yes", "true", ""])
def test_only_1_says_the_network_is_private(flag):
    assert unsecured_reason("10.0.0.5:6379", env={PRIVATE_NETWORK: flag})


def test_a_local_ray_is_allowed_unless_its_authentication_is_turned_off():
    assert unsecured_reason(None, env={}) is None  # started with token authentication (the executor sets it)
    assert unsecured_reason("", env={"RAY_AUTH_MODE": "token"}) is None
    reason = unsecured_reason(None, env={"RAY_AUTH_MODE": "disabled"})
    assert reason and "a local Ray" in reason and "'disabled'" in reason
    assert unsecured_reason(None, env={"RAY_AUTH_MODE": "disabled", PRIVATE_NETWORK: "1"}) is None


@pytest.mark.parametrize("version, refused", [("2.51.2", True), ("2.9.3", True), ("1.13.0", True),
                                              ("2.52.0", False), ("2.60.0", False), ("2.52.0rc1", False),
                                              ("3.0.0", False)])
def test_a_ray_older_than_2_52_is_refused_whatever_it_is_told(version, refused):
    env = {"RAY_AUTH_MODE": "token"}
    assert bool(unsecured_reason("10.0.0.5:6379", env=env, ray_version=version)) is refused
    assert unsecured_reason("10.0.0.5:6379", env={PRIVATE_NETWORK: "1"}, ray_version=version) is None


def test_the_pinned_ray_has_token_authentication():
    pinned = re.search(r"^ray==(\S+)", (ROOT / "requirements.txt").read_text(), re.MULTILINE)
    assert pinned, "requirements.txt pins ray"
    assert ray_executor._version(pinned.group(1)) >= TOKEN_AUTH_SINCE


def test_the_installed_ray_reads_the_variables_we_name():
    pytest.importorskip("ray", reason="Ray is installed by requirements.txt")
    from ray._private.authentication import authentication_token_setup  # Ray's own names, checked against ours

    assert authentication_token_setup.AUTH_MODE_ENV_VAR == "RAY_AUTH_MODE"
    raylet = Path(authentication_token_setup.__file__).parents[2]
    names = b"".join(path.read_bytes() for path in raylet.glob("_raylet*.so"))  # the token loader is C++
    assert b"RAY_AUTH_TOKEN_PATH" in names and b"RAY_AUTH_TOKEN" in names


# --- the executor itself, with a stand-in for Ray ------------------------------------------------------------------
@pytest.fixture
def clean_env(monkeypatch):
    """No Ray settings in the environment; whatever the executor sets is undone after the test."""
    for name in ("RAY_ADDRESS", "RAY_AUTH_MODE", PRIVATE_NETWORK, "RAY_ENABLE_AUTO_CONNECT"):
        monkeypatch.setenv(name, "x")  # recorded as absent-before, so that the delete below is undone to absent
        monkeypatch.delenv(name)
    return monkeypatch


def _fake_ray(version="2.60.0"):
    calls = []
    ray = types.SimpleNamespace(__version__=version, calls=calls)
    ray.is_initialized = lambda: False  # the executor's threads end at once
    ray.init = lambda **kwargs: calls.append(kwargs)
    ray.cluster_resources = lambda: {"CPU": 1.0}
    remote = types.SimpleNamespace(options=lambda **kwargs: remote)
    ray.remote = lambda **kwargs: (lambda function: remote)
    return ray


def test_the_executor_refuses_an_unsecured_cluster_before_ray_is_imported(clean_env):
    clean_env.setitem(sys.modules, "ray", None)  # an import of Ray would fail with ImportError
    clean_env.setenv("RAY_ADDRESS", "10.0.0.5:6379")
    with pytest.raises(RayNotSecured, match="RAY_AUTH_MODE=token"):
        RayExecutor(lambda *a, **k: {})
    with pytest.raises(RayNotSecured, match=PRIVATE_NETWORK):
        RayExecutor(lambda *a, **k: {}, address="ray://head.example:10001")


def test_the_executor_refuses_a_ray_without_token_authentication(clean_env):
    fake = _fake_ray(version="2.51.0")
    clean_env.setitem(sys.modules, "ray", fake)
    clean_env.setenv("RAY_AUTH_MODE", "token")
    with pytest.raises(RayNotSecured, match="Ray 2.51.0 has no token authentication"):
        RayExecutor(lambda *a, **k: {}, address="10.0.0.5:6379")
    assert fake.calls == []  # never connected


@pytest.mark.parametrize("env", [{"RAY_AUTH_MODE": "token"}, {PRIVATE_NETWORK: "1"}])
def test_the_executor_connects_to_a_secured_or_private_cluster(clean_env, env):
    fake = _fake_ray()
    clean_env.setitem(sys.modules, "ray", fake)
    for name, value in env.items():
        clean_env.setenv(name, value)
    clean_env.setenv("RAY_ADDRESS", "10.0.0.5:6379")
    RayExecutor(lambda *a, **k: {})
    assert [call["address"] for call in fake.calls] == ["10.0.0.5:6379"]


class _ImportedAs:
    """A finder that answers ``import ray`` with ``fake``, noting RAY_AUTH_MODE as it was at that moment."""

    def __init__(self, fake):
        self.fake, self.mode_at_import = fake, []

    def find_spec(self, name, path=None, target=None):
        return importlib.util.spec_from_loader(name, self) if name == "ray" else None

    def create_module(self, spec):
        self.mode_at_import.append(os.environ.get("RAY_AUTH_MODE"))
        return self.fake

    def exec_module(self, module):
        pass


def test_a_local_ray_is_started_with_token_authentication_set_before_ray_is_imported(clean_env):
    # Ray reads RAY_AUTH_MODE when it is imported: set only after, the local cluster's processes want a token Ray
    # never made (gcs_server aborts: "Token authentication is enabled but Ray couldn't find an authentication token")
    fake = _fake_ray()
    finder = _ImportedAs(fake)
    clean_env.delitem(sys.modules, "ray", raising=False)
    clean_env.setattr(sys, "meta_path", [finder, *sys.meta_path])
    RayExecutor(lambda *a, **k: {})
    assert finder.mode_at_import == ["token"]
    assert [call["address"] for call in fake.calls] == [None]


def test_a_local_ray_with_authentication_turned_off_is_refused(clean_env):
    fake = _fake_ray()
    clean_env.setitem(sys.modules, "ray", fake)
    clean_env.setenv("RAY_AUTH_MODE", "disabled")
    with pytest.raises(RayNotSecured, match="a local Ray"):
        RayExecutor(lambda *a, **k: {})
    assert fake.calls == []
