"""YAML configuration: reading files, environment substitution and typed validation.

Every component takes one frozen `ConfigModel`; `load_config` turns a YAML file into such a model
and reports any mistake as one `ConfigError` naming the key, the file, the value and what was
expected. `ConfigManager` offers dotted get/set and atomic saving of a config file.
"""

from __future__ import annotations

import copy
import os
import re
import tempfile
import types
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final, Literal, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

from midfreq.core.errors import ConfigError

__all__ = [
    "MISSING",
    "ConfigManager",
    "ConfigModel",
    "ConfigProblem",
    "ConfigValidationError",
    "load_config",
    "load_yaml",
    "parse_model",
    "substitute_env",
]

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


class ConfigModel(BaseModel):
    """Base of every component config: immutable, and unknown keys are an error.

    Examples
    --------
    >>> class RiskConfig(ConfigModel):
    ...     max_order_quantity: int = 100
    >>> RiskConfig(max_order_quantity=5).max_order_quantity
    5
    """

    model_config = ConfigDict(frozen=True, extra="forbid")


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "missing"


MISSING: Final = _Missing()
"""The `ConfigError.value` of a required key that was not given (its repr is ``missing``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigProblem:
    """One validation problem: the dotted key, the value given and what was expected."""

    field: str
    value: Any
    expected: str


class ConfigValidationError(ConfigError):
    """A config failed validation; the first problem is the error's field, value and expected.

    Parameters
    ----------
    problems : Sequence[ConfigProblem]
        Every problem found, first one first (must not be empty).
    source : str, optional
        The file (or other origin) the config came from.
    """

    def __init__(self, problems: Sequence[ConfigProblem], source: str | None = None) -> None:
        first = problems[0]
        super().__init__(first.field, first.value, first.expected, source)
        self.problems: tuple[ConfigProblem, ...] = tuple(problems)
        more = len(self.problems) - 1
        if more:
            plural = "s" if more > 1 else ""
            self.args = (f"{self.args[0]} (and {more} more problem{plural})",)


# --------------------------------------------------------------------------------------------
# Reading YAML


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe loader that refuses duplicate keys instead of silently keeping the last one."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor` may be overridden
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, Hashable):
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"found duplicate key {key!r}",
                        key_node.start_mark,
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


# Dates and times stay strings: the typed models parse them, so an impossible date such as
# 2023-02-30 is reported against its key instead of escaping from the YAML parser.
_UniqueKeyLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML file whose top level is a mapping.

    Parameters
    ----------
    path : str or Path
        The file to read (UTF-8).

    Returns
    -------
    dict[str, Any]
        The parsed mapping; an empty file gives ``{}``.

    Raises
    ------
    ConfigError
        If the file is missing or unreadable, is not valid YAML (the error names the line and
        column), has a duplicate key, or its top level is not a mapping.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise ConfigError(
            field="config file", value=source, expected="an existing YAML file"
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            field="config file",
            value=source,
            expected=f"UTF-8 text (undecodable byte at offset {exc.start})",
        ) from None
    except OSError as exc:
        raise ConfigError(
            field="config file", value=source, expected=f"a readable file ({exc.strerror})"
        ) from None

    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "unparsable YAML"
        if mark is None:
            raise ConfigError("config file", source, f"valid YAML ({problem})") from None
        lines = text.splitlines()
        line_text = lines[mark.line] if mark.line < len(lines) else ""
        raise ConfigError(
            field=f"line {mark.line + 1}, column {mark.column + 1}",
            value=line_text,
            expected=f"valid YAML ({problem})",
            source=source,
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError("config file", source, f"valid YAML ({exc})") from None

    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            field="top level", value=data, expected="a mapping of keys to values", source=source
        )
    return data


# --------------------------------------------------------------------------------------------
# Environment variables

# `$${...}` escapes to a literal `${...}`; `${NAME:-default}` uses default when unset or empty.
_ENV_PATTERN: Final = re.compile(r"\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def substitute_env(
    data: T,
    source: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> T:
    """Replace ``${NAME}`` and ``${NAME:-default}`` in string values with environment variables.

    Secrets (API keys, passwords) belong in the environment, not in config files. Substitution
    applies to string values at any depth, never to keys; ``$${NAME}`` stays a literal
    ``${NAME}``. As in the shell, the default is used when the variable is unset or empty.
    Substituted values are strings; pydantic converts ``"8080"`` to ``8080`` for an int field.

    Parameters
    ----------
    data : Any
        Parsed YAML: mappings, lists and scalars. It is not modified.
    source : str, optional
        The file the data came from, named in errors.
    environ : Mapping[str, str], optional
        Where to look variables up; ``os.environ`` by default.

    Returns
    -------
    Any
        A copy of `data` with every reference replaced.

    Raises
    ------
    ConfigError
        If a variable without default is not set; the field is the dotted key path, for example
        ``data_feed.api_key``.

    Examples
    --------
    >>> substitute_env({"feed": {"url": "${HOST:-localhost}:${PORT}"}}, environ={"PORT": "80"})
    {'feed': {'url': 'localhost:80'}}
    """
    env = os.environ if environ is None else environ
    return _substitute(data, "", source, env)  # type: ignore[no-any-return]


def _substitute(data: Any, path: str, source: str | None, env: Mapping[str, str]) -> Any:
    if isinstance(data, str):
        return _substitute_string(data, path, source, env)
    if isinstance(data, Mapping):
        return {
            key: _substitute(value, _join(path, str(key)), source, env)
            for key, value in data.items()
        }
    if isinstance(data, list | tuple):
        return [_substitute(item, f"{path}[{i}]", source, env) for i, item in enumerate(data)]
    return data


def _substitute_string(text: str, path: str, source: str | None, env: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        escaped, name, default = match.groups()
        if escaped:
            return match.group(0)[1:]
        value = env.get(name)
        if value:
            return value
        if default is not None:
            return default
        if value is not None:  # set but empty, and no default: empty is what the user set
            return value
        raise ConfigError(
            field=path or "value",
            value=text,
            expected=f"environment variable {name} to be set",
            source=source,
        )

    return _ENV_PATTERN.sub(replace, text)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# --------------------------------------------------------------------------------------------
# Validation


def parse_model(
    model_cls: type[M],
    data: Mapping[str, Any],
    source: str | None = None,
    prefix: str = "",
) -> M:
    """Validate `data` into `model_cls`, reporting mistakes as one `ConfigError`.

    The error names the first problem: its dotted key (list items as ``[0]``), the value given
    and what was expected; any further problems are counted in the message and listed in
    `ConfigValidationError.problems`. Unknown keys are reported before other problems, since a
    misspelt key is also reported as a missing one. Custom validators should raise
    ``ValueError`` with a phrase that completes "expected ...", for example
    ``ValueError("a positive quantity")``.

    Parameters
    ----------
    model_cls : type[BaseModel]
        The model to build, usually a `ConfigModel`.
    data : Mapping[str, Any]
        The raw values, for example from `load_yaml`.
    source : str, optional
        The file the data came from, named in the error.
    prefix : str, optional
        Dotted path of `data` inside a larger file, prepended to key names (``"risk"``).

    Returns
    -------
    BaseModel
        The validated model instance.

    Raises
    ------
    ConfigValidationError
        A `ConfigError` describing the first problem.

    Examples
    --------
    >>> class RiskConfig(ConfigModel):
    ...     max_order_quantity: int = 100
    ...     max_notional_per_order: float = 1e6
    >>> parse_model(RiskConfig, {"max_order_quantity": 5}).max_order_quantity
    5
    >>> parse_model(RiskConfig, {"max_order_qty": 5}, "x.yaml", prefix="risk")
    Traceback (most recent call last):
    ...
    midfreq.infra.config.ConfigValidationError: risk.max_order_qty in x.yaml: expected one of \
the known keys: max_order_quantity, max_notional_per_order, was 5
    """
    try:
        return model_cls.model_validate(data)
    except ValidationError as exc:
        # Unknown keys first: a misspelt key also shows up as a missing one, and the unknown key
        # (with the list of known ones) is what tells the user how to fix it.
        errors = sorted(exc.errors(), key=lambda error: error["type"] != "extra_forbidden")
        problems = [_problem(model_cls, error, prefix) for error in errors]
        raise ConfigValidationError(problems, source) from None


def _problem(model_cls: type[BaseModel], error: ErrorDetails, prefix: str) -> ConfigProblem:
    parts, container = _walk(model_cls, error["loc"])
    field = _format_path(parts)
    if prefix:
        field = f"{prefix}{'' if field.startswith('[') else '.'}{field}" if field else prefix
    kind = error["type"]
    value: Any = error.get("input")
    context = error.get("ctx", {})
    tag_key = str(context.get("discriminator", "")).strip("'")
    if kind in {"union_tag_invalid", "union_tag_not_found"} and tag_key.isidentifier():
        # A discriminated union: point at the tag key (`kind`) rather than the whole mapping.
        field = _join(field, tag_key)
        if kind == "union_tag_invalid":
            value, expected = context.get("tag"), f"one of {context.get('expected_tags')}"
        else:
            value, expected = MISSING, "a value (required)"
    elif kind == "extra_forbidden":
        known = _known_keys(container)
        expected = f"one of the known keys: {', '.join(known)}" if known else "no such key"
    elif kind == "missing":
        value = MISSING
        expected = "a value (required)"
    elif kind in {"model_type", "model_attributes_type", "dict_type"}:
        expected = "a mapping of keys to values"
    else:
        expected = _phrase(error["msg"])
    return ConfigProblem(field=field or "top level", value=value, expected=expected)


_MESSAGE_PREFIXES: Final = ("Input should be ", "Value error, ", "Assertion failed, ")


def _phrase(message: str) -> str:
    # Turn pydantic's sentence into a phrase completing "expected ...".
    for head in _MESSAGE_PREFIXES:
        if message.startswith(head):
            message = message[len(head) :]
            break
    return message[:1].lower() + message[1:]


def _walk(model_cls: type[BaseModel], loc: tuple[int | str, ...]) -> tuple[list[int | str], Any]:
    """Return the user-facing parts of `loc` and the type that holds its last item."""
    parts: list[int | str] = []
    current: Any = model_cls
    container: Any = model_cls
    for item in loc:
        current = _unwrap(current)
        members = _union_members(current)
        if members is not None:
            # pydantic labels which union member it tried; that label is not a user key
            current = _pick_member(members, item)
            continue
        container = current
        parts.append(item)
        current = _child_type(current, item)
    return parts, _unwrap(container)


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
            continue
        if origin in (Union, types.UnionType):
            args = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation


def _union_members(annotation: Any) -> list[Any] | None:
    if get_origin(annotation) in (Union, types.UnionType):
        return [arg for arg in get_args(annotation) if arg is not type(None)]
    return None


def _pick_member(members: list[Any], label: int | str) -> Any:
    for member in members:
        member = _unwrap(member)
        if _is_model(member) and (label == member.__name__ or label in _literal_values(member)):
            return member
    return None


def _literal_values(model: type[BaseModel]) -> Iterator[Any]:
    # A discriminated union labels the member by its tag, the value of a Literal field.
    for info in model.model_fields.values():
        annotation = _unwrap(info.annotation)
        if get_origin(annotation) is Literal:
            yield from get_args(annotation)


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _child_type(annotation: Any, item: int | str) -> Any:
    if _is_model(annotation):
        for name, info in annotation.model_fields.items():
            if item in (name, info.alias, info.validation_alias):
                return info.annotation
        return None
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is None or not args:
        return None
    if isinstance(origin, type) and issubclass(origin, Mapping):
        return args[-1]
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return args[0]
        return args[item] if isinstance(item, int) and item < len(args) else None
    if isinstance(origin, type) and issubclass(origin, Sequence | set | frozenset):
        return args[0]
    return None


def _known_keys(annotation: Any) -> list[str]:
    if not _is_model(annotation):
        return []
    return [info.alias or name for name, info in annotation.model_fields.items()]


def _format_path(parts: list[int | str]) -> str:
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text = _join(text, part)
    return text


def load_config(path: str | Path, model_cls: type[M]) -> M:
    """Read a YAML file, substitute environment variables and validate it into `model_cls`.

    Parameters
    ----------
    path : str or Path
        The YAML file.
    model_cls : type[BaseModel]
        The model to build, usually a `ConfigModel`.

    Returns
    -------
    BaseModel
        The validated model.

    Raises
    ------
    ConfigError
        For a missing or malformed file, an unset environment variable or an invalid value;
        the message names the key, the file, the value and what was expected.
    """
    return parse_model(model_cls, substitute_env(load_yaml(path), str(path)), source=str(path))


# --------------------------------------------------------------------------------------------
# Editing a config file


class ConfigManager:
    """A YAML config file as a nested dict, with dotted get/set and atomic saving.

    The manager stores the file's values as written, with ``${NAME}`` references intact;
    environment variables are substituted when values are read (`get`, `config`, `validate`).
    Saving therefore never writes a secret taken from the environment to disk. YAML comments
    are not preserved by `save_config`.

    Parameters
    ----------
    config_path : str or Path
        The YAML file to load.

    Raises
    ------
    ConfigError
        If the file is missing or is not a YAML mapping (see `load_yaml`).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "app.yaml"
    >>> _ = path.write_text("risk:\\n  max_order_quantity: 100\\n")
    >>> manager = ConfigManager(path)
    >>> manager.get("risk.max_order_quantity")
    100
    >>> manager.set("risk.max_notional_per_order", 50_000)
    >>> _ = manager.save_config()
    >>> ConfigManager(path).config
    {'risk': {'max_order_quantity': 100, 'max_notional_per_order': 50000}}
    """

    def __init__(self, config_path: str | Path) -> None:
        self.path = Path(config_path)
        self._raw: dict[str, Any] = load_yaml(self.path)

    def __repr__(self) -> str:
        return f"ConfigManager({str(self.path)!r})"

    @property
    def config(self) -> dict[str, Any]:
        """Return a deep copy of the whole config, environment variables substituted."""
        return self._resolve(self._raw, "")  # type: ignore[no-any-return]

    def get(self, key: str, default: Any = None) -> Any:
        """Return the value at a dotted key such as ``"risk.max_order_quantity"``.

        Parameters
        ----------
        key : str
            Dotted path through nested mappings.
        default : Any, optional
            Returned when any part of the path is absent.

        Returns
        -------
        Any
            A copy of the value with environment variables substituted, or `default`.

        Raises
        ------
        ConfigError
            If the value refers to an unset environment variable without default.
        """
        node: Any = self._raw
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return self._resolve(node, key)

    def set(self, key: str, value: Any) -> None:
        """Set the value at a dotted key, creating intermediate mappings as needed.

        Parameters
        ----------
        key : str
            Dotted path, for example ``"risk.max_order_quantity"``.
        value : Any
            The value to store (copied); it must be representable in YAML to be saved.

        Raises
        ------
        ConfigError
            If the key is empty or has an empty part, or an intermediate key holds a value that
            is not a mapping.
        """
        parts = key.split(".")
        if not all(parts):
            raise ConfigError(
                "key", key, "a dotted key such as 'risk.max_order_quantity'", str(self.path)
            )
        node = self._raw
        for depth, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(
                    field=".".join(parts[: depth + 1]),
                    value=child,
                    expected=f"a mapping to hold key {parts[depth + 1]!r}",
                    source=str(self.path),
                )
            node = child
        node[parts[-1]] = copy.deepcopy(value)

    def save_config(self, path: str | Path | None = None) -> Path:
        """Write the config as YAML, atomically, keeping key order.

        The YAML goes to a temporary file in the target's directory, which is flushed, synced
        and then renamed over the target, so a reader sees either the old or the new file and a
        failure leaves the old one untouched. An existing file keeps its permissions. Values
        are written as stored, so ``${NAME}`` references stay references.

        Parameters
        ----------
        path : str or Path, optional
            Where to write; the file the manager was loaded from by default.

        Returns
        -------
        Path
            The file written.

        Raises
        ------
        ConfigError
            If a value cannot be represented in YAML (naming its key) or the directory does not
            exist or is not writable.
        """
        target = self.path if path is None else Path(path)
        try:
            handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed before the rename
                "w",
                encoding="utf-8",
                dir=target.parent,
                prefix=f".{target.name}.",
                suffix=".tmp",
                delete=False,
            )
        except OSError as exc:
            raise ConfigError(
                "config file", str(target), f"a path in a writable directory ({exc.strerror})"
            ) from None
        temp_path = Path(handle.name)
        try:
            with handle:
                yaml.safe_dump(
                    self._raw,
                    handle,
                    sort_keys=False,
                    allow_unicode=True,
                    default_flow_style=False,
                )
                handle.flush()
                os.fsync(handle.fileno())
            if target.exists():
                os.chmod(temp_path, target.stat().st_mode & 0o7777)
            os.replace(temp_path, target)
        except yaml.representer.RepresenterError as exc:
            temp_path.unlink(missing_ok=True)
            bad = exc.args[1] if len(exc.args) > 1 else None
            raise ConfigError(
                field=_find_key(self._raw, bad) or "config",
                value=bad,
                expected="a value YAML can represent (str, number, bool, null, list or mapping)",
                source=str(target),
            ) from None
        except BaseException:
            temp_path.unlink(missing_ok=True)
            raise
        _fsync_directory(target.parent)
        return target

    def validate(self, model_cls: type[M]) -> M:
        """Validate the whole config (environment substituted) into `model_cls`.

        Raises
        ------
        ConfigError
            As `parse_model`, naming this manager's file.
        """
        return parse_model(model_cls, self.config, source=str(self.path))

    def _resolve(self, value: Any, path: str) -> Any:
        return _substitute(copy.deepcopy(value), path, str(self.path), os.environ)


def _find_key(data: Any, target: Any, path: str = "") -> str | None:
    # Locate an unrepresentable object (by identity) to name its key in the error.
    if data is target:
        return path
    items: Any
    if isinstance(data, dict):
        items = ((_join(path, str(key)), value) for key, value in data.items())
    elif isinstance(data, list | tuple):
        items = ((f"{path}[{i}]", value) for i, value in enumerate(data))
    else:
        return None
    for child_path, value in items:
        found = _find_key(value, target, child_path)
        if found is not None:
            return found
    return None


def _fsync_directory(directory: Path) -> None:
    # Make the rename itself durable; not possible on every platform (Windows), so best effort.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
