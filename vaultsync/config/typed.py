"""Build a frozen settings dataclass from a mapping, by its type hints: each value checked against its field's
type (a ConfigError naming the key otherwise), unknown keys warned about with a "did you mean"."""

from __future__ import annotations

import dataclasses
import difflib
import types
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from vaultsync.errors import ConfigError


class ConfigWarning(UserWarning):
    """An unknown key in the configuration (most often a typo)."""


def build_settings(cls: type, data: Mapping[str, Any], *, path: str, where: str) -> object:
    hints = get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    for key in data:
        if key not in names:
            full = f"{path}{key}"
            close = difflib.get_close_matches(str(key), names, n=1)
            tip = f"; did you mean `{path}{close[0]}`?" if close else ""
            warnings.warn(f"{where}: unknown key `{full}` is ignored{tip}", ConfigWarning, stacklevel=3)
    kwargs = {
        name: _convert(hints[name], data[name], path=f"{path}{name}", where=where) for name in names if name in data
    }
    return cls(**kwargs)


def _describe(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(tp))
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(a) for a in get_args(tp))
    if origin is tuple:
        return "a list of text values"
    if origin is dict:
        return f"a mapping of names to {_describe(get_args(tp)[1])}"
    if dataclasses.is_dataclass(tp):
        return "a mapping"
    return {str: "text", bool: "true or false", int: "a whole number", float: "a number", Path: "a path"}.get(
        tp, "null" if tp is type(None) else str(tp)
    )


def _convert(tp: Any, value: Any, *, path: str, where: str) -> Any:
    def fail() -> ConfigError:
        return ConfigError(
            f"invalid value for `{path}`",
            where=where,
            why=f"expected {_describe(tp)}, got {value!r}",
            hint=f"set `{path}` to {_describe(tp)} (see config.example.yaml)",
        )

    def negative() -> ConfigError:
        return ConfigError(
            f"invalid value for `{path}`",
            where=where,
            why=f"it must be 0 or more, got {value!r}",
            hint=f"set `{path}` to 0 or a positive {_describe(tp).removeprefix('a ')}",
        )

    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        args = get_args(tp)
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(arg, value, path=path, where=where)
            except ConfigError:
                continue
        raise fail()
    if origin is Literal:
        if value not in get_args(tp):
            raise fail()
        return value
    if origin is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail()
        return tuple(value)
    if origin is dict:
        if not isinstance(value, Mapping) or not all(isinstance(k, str) and k.strip() for k in value):
            raise fail()
        item = get_args(tp)[1]
        return {k: _convert(item, v, path=f"{path}.{k}", where=where) for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, Mapping):
            raise fail()
        # ignored below: is_dataclass() narrows `tp` to "a dataclass type or instance"; it is the field's type here.
        return build_settings(tp, value, path=f"{path}.", where=where)  # type: ignore[arg-type]
    if tp is bool:
        if not isinstance(value, bool):
            raise fail()
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail()
        if value < 0:
            raise negative()
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail()
        if value < 0:
            raise negative()
        return value
    if tp is str:
        if not isinstance(value, str):
            raise fail()
        return value
    if tp is Path:
        return value
    raise fail()  # pragma: no cover - every field type above is handled
