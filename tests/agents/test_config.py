"""Which model the agent uses: flags, then PROTOPLAY_MODEL, OPENAI_BASE_URL, OPENAI_API_KEY, else offline."""

from __future__ import annotations

from agents.config import OFFLINE_MODEL_NAME, protoplay_home, resolve_model_config


def test_nothing_configured_means_the_offline_model():
    config = resolve_model_config()
    assert config.offline and config.model == OFFLINE_MODEL_NAME
    assert "built-in offline model" in config.describe()


def test_the_environment_configures_a_remote_model(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("PROTOPLAY_MODEL", "gpt-test")
    config = resolve_model_config()
    assert not config.offline and (config.model, config.api_key, config.base_url) == (
        "gpt-test",
        "sk-test",
        None,
    )
    assert config.describe() == "gpt-test at https://api.openai.com/v1"


def test_flags_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://env.invalid/v1")
    monkeypatch.setenv("PROTOPLAY_MODEL", "env-model")
    config = resolve_model_config(model="llama3", base_url="http://127.0.0.1:11434/v1")
    assert (config.model, config.base_url, config.api_key) == ("llama3", "http://127.0.0.1:11434/v1", None)


def test_a_base_url_without_a_key_is_a_remote_endpoint(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1")
    assert not resolve_model_config().offline


def test_home_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PROTOPLAY_HOME", str(tmp_path / "data"))
    assert protoplay_home() == tmp_path / "data" and (tmp_path / "data").is_dir()
