"""Config: defaults, `--vault` alone, `--config FILE`, unknown keys, and the exact text of every config error."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Any

import pytest
from helpers_vault import write_note

from vaultsync.config import CONFIG_NAME, Config, ConfigWarning, load_config, parse_config
from vaultsync.errors import ConfigError


def _no_warnings_parse(data: Any, vault: Path, source: str | None = None) -> Config:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConfigWarning)
        return parse_config(data, vault=vault, source=source)


def test_an_empty_mapping_gives_the_defaults_with_the_vault_made_absolute(tmp_path: Path) -> None:
    config = _no_warnings_parse({}, tmp_path)
    assert config == Config(vault=tmp_path.resolve())
    assert config.vault.is_absolute()
    assert config.fields.publish == "publish"
    assert config.fields.version == "at_semantic_version"
    assert config.versioning.initial == "0.0.0.1"
    assert config.watch.settle == 3.0
    assert config.watch.revision_window == 600.0
    assert config.publish.repo is None
    assert config.ignore == ()


def test_the_vault_alone_is_enough_to_load_a_config(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConfigWarning)
        config = load_config(vault=tmp_path)
    assert config == Config(vault=tmp_path.resolve())


def test_the_vaults_own_config_file_is_read_when_present(tmp_path: Path) -> None:
    write_note(tmp_path, CONFIG_NAME, "fields:\n  publish: published\nignore: ['Templates/']\n")
    config = load_config(vault=tmp_path)
    assert config.fields.publish == "published"
    assert config.ignore == ("Templates/",)


def test_an_explicit_config_file_wins_over_the_vaults_own(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    write_note(vault, CONFIG_NAME, "fields:\n  publish: from_vault\n")
    other = write_note(tmp_path, "elsewhere/custom.yaml", "fields:\n  publish: from_flag\n")
    config = load_config(vault=vault, config_file=other)
    assert config.fields.publish == "from_flag"
    assert config.vault == vault.resolve()


def test_a_config_file_alone_makes_its_folder_the_vault(tmp_path: Path) -> None:
    path = write_note(tmp_path, "notes/.vaultsync.yaml", "watch:\n  settle: 5\n")
    config = load_config(config_file=path)
    assert config.vault == (tmp_path / "notes").resolve()
    assert config.watch.settle == 5.0
    assert isinstance(config.watch.settle, float)


def test_an_empty_config_file_gives_the_defaults(tmp_path: Path) -> None:
    write_note(tmp_path, CONFIG_NAME, "# nothing set yet\n")
    assert load_config(vault=tmp_path) == Config(vault=tmp_path.resolve())


def test_nested_values_are_read_into_typed_settings(tmp_path: Path) -> None:
    config = _no_warnings_parse(
        {
            "publish": {"repo": "../site", "folder": "notes", "push": True, "identity": {"name": "Bot"}},
            "versioning": {"metadata_change": "bump", "timezone": "Europe/Paris"},
            "watch": {"journal_keep": 3},
            "hook": {"strict": True},
        },
        tmp_path,
    )
    assert config.publish.folder == "notes"
    assert config.publish.push is True
    assert config.publish.identity.name == "Bot"
    assert config.publish.identity.email == "vaultsync@localhost"
    assert config.publish_repo == (tmp_path / ".." / "site").resolve()
    assert config.versioning.metadata_change == "bump"
    assert config.watch.journal_keep == 3
    assert config.hook.strict is True


def test_the_config_is_frozen(tmp_path: Path) -> None:
    config = parse_config({}, vault=tmp_path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.watch.settle = 1.0  # type: ignore[misc]  # assigning to a frozen field is what this test tries


def test_an_unknown_key_warns_with_a_did_you_mean(tmp_path: Path) -> None:
    with pytest.warns(ConfigWarning) as caught:
        config = parse_config({"feilds": {"publish": "x"}}, vault=tmp_path, source="my.yaml")
    assert [str(w.message) for w in caught] == ["my.yaml: unknown key `feilds` is ignored; did you mean `fields`?"]
    assert config.fields.publish == "publish"


def test_an_unknown_nested_key_warns_with_its_full_path(tmp_path: Path) -> None:
    with pytest.warns(ConfigWarning) as caught:
        parse_config({"watch": {"setle": 1}}, vault=tmp_path, source="my.yaml")
    assert [str(w.message) for w in caught] == [
        "my.yaml: unknown key `watch.setle` is ignored; did you mean `watch.settle`?"
    ]


def test_an_unknown_key_with_no_close_match_warns_without_a_suggestion(tmp_path: Path) -> None:
    with pytest.warns(ConfigWarning) as caught:
        parse_config({"zzzzzz": 1}, vault=tmp_path)
    assert [str(w.message) for w in caught] == ["config: unknown key `zzzzzz` is ignored"]


def test_a_wrong_value_fails_naming_the_key_path_the_value_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"watch": {"settle": "x"}}, vault=tmp_path, source="my.yaml")
    error = info.value
    assert str(error) == "invalid value for `watch.settle` (my.yaml): expected a number, got 'x'"
    assert error.hint == "set `watch.settle` to a number (see config.example.yaml)"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"watch": {"settle": -1}}, "invalid value for `watch.settle` (c.yaml): it must be 0 or more, got -1"),
        ({"watch": {"settle": True}}, "invalid value for `watch.settle` (c.yaml): expected a number, got True"),
        (
            {"watch": {"journal_keep": 2.5}},
            "invalid value for `watch.journal_keep` (c.yaml): expected a whole number, got 2.5",
        ),
        (
            {"publish": {"push": "yes"}},
            "invalid value for `publish.push` (c.yaml): expected true or false, got 'yes'",
        ),
        (
            {"versioning": {"metadata_change": "sometimes"}},
            "invalid value for `versioning.metadata_change` (c.yaml): "
            "expected one of 'date', 'none', 'bump', got 'sometimes'",
        ),
        ({"ignore": "*.tmp"}, "invalid value for `ignore` (c.yaml): expected a list of text values, got '*.tmp'"),
        ({"ignore": ["ok", 3]}, "invalid value for `ignore` (c.yaml): expected a list of text values, got ['ok', 3]"),
        ({"fields": {"publish": 1}}, "invalid value for `fields.publish` (c.yaml): expected text, got 1"),
        ({"publish": {"repo": 5}}, "invalid value for `publish.repo` (c.yaml): expected text or null, got 5"),
        ({"watch": "fast"}, "invalid value for `watch` (c.yaml): expected a mapping, got 'fast'"),
        (
            {"publish": {"identity": {"email": ["a", "b"]}}},
            "invalid value for `publish.identity.email` (c.yaml): expected text, got ['a', 'b']",
        ),
    ],
)
def test_each_kind_of_wrong_value_has_an_exact_message(tmp_path: Path, data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(data, vault=tmp_path, source="c.yaml")
    assert str(info.value) == message
    assert info.value.hint is not None
    assert info.value.hint.startswith("set `")


def test_a_config_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    write_note(tmp_path, CONFIG_NAME, "- fields\n- publish\n")
    with pytest.raises(ConfigError) as info:
        load_config(vault=tmp_path)
    where = str(tmp_path / CONFIG_NAME)
    assert str(info.value) == f"the config must be a mapping of keys to values ({where}): found list"
    assert info.value.hint == "start the file with keys such as `fields:` or `publish:`"


def test_a_config_that_is_not_valid_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    write_note(tmp_path, CONFIG_NAME, "fields:\n  publish: [unclosed\nwatch: {}\n")
    with pytest.raises(ConfigError) as info:
        load_config(vault=tmp_path)
    error = info.value
    assert error.what == "the config file is not valid YAML"
    assert error.where == str(tmp_path / CONFIG_NAME)
    assert error.why is not None and "line 3" in error.why
    assert error.hint == "fix the YAML syntax; config.example.yaml shows every key"


def test_the_vault_cannot_be_set_inside_the_config_file(tmp_path: Path) -> None:
    write_note(tmp_path, CONFIG_NAME, "vault: /somewhere/else\n")
    with pytest.raises(ConfigError) as info:
        load_config(vault=tmp_path)
    assert str(info.value) == (
        f"`vault` cannot be set in the config file ({tmp_path / CONFIG_NAME}): "
        "the vault is the folder that holds the file (or --vault)"
    )
    assert info.value.hint == "remove the key"


def test_a_missing_config_file_is_an_error_not_the_defaults(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as info:
        load_config(vault=tmp_path, config_file=missing)
    assert str(info.value) == f"cannot read the config file ({missing}): No such file or directory"
    assert info.value.hint == "check the path"


def test_without_vault_the_config_file_of_the_current_folder_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The pre-commit framework runs `vaultsync hook run` from the repository's root, with no --vault.
    (tmp_path / ".vaultsync.yaml").write_text("hook:\n  strict: true\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    config = load_config()

    assert config.hook.strict is True
    assert config.vault == tmp_path.resolve()
