"""Bounded parsing of JSON and YAML from untrusted sources (request bodies, uploaded and
ingested files, Markdown front matter).

The standard parsers trust their input: `json.loads` recurses once per nesting level
(a RecursionError deep inside the server), and YAML aliases let a 19 KB text stand for
30 MB once expanded (the "billion laughs"). Here every document is measured before it
is used: its nesting depth, and for YAML the size it would have with every alias
expanded, counted on the composed node graph without building anything. A document
that breaks a limit raises `TooDeep` or `TooLarge`; a malformed one `Malformed`. All
three are `ParseError`s (a `ValueError`), which callers turn into their own error: 422
or 413 for a request body, `UnreadableFile` for a file.
"""

import json
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_DEPTH = 32


class ParseError(ValueError):
    """A document that cannot be accepted; `reason` says why, in a sentence."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Malformed(ParseError):
    pass


class TooDeep(ParseError):
    pass


class TooLarge(ParseError):
    pass


@dataclass(frozen=True)
class Limits:
    """What one document may be: `max_bytes` of expanded content, `max_depth` levels of
    nesting, and at most `max_ratio` times the size of its own text once its YAML
    aliases are expanded (a few shared values are fine; amplification is not)."""

    max_bytes: int
    max_depth: int = MAX_DEPTH
    max_ratio: int = 4


def load_json(text: str | bytes, limits: Limits) -> Any:
    """A JSON document, refused when malformed, too deep or too large."""
    if len(text) > limits.max_bytes:
        raise TooLarge(f"the document is {len(text)} bytes, over the limit of {limits.max_bytes}")
    try:
        data = json.loads(text)
    except RecursionError as exc:
        raise TooDeep(f"the document is nested more than {limits.max_depth} levels deep") from exc
    except UnicodeDecodeError as exc:
        raise Malformed(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except ValueError as exc:  # JSONDecodeError, and integers of more than 4300 digits
        raise Malformed(str(exc)) from exc
    check_depth(data, limits.max_depth)
    return data


def check_depth(data: Any, max_depth: int) -> None:
    """Raise `TooDeep` when lists and objects nest more than `max_depth` levels (iterative:
    the check itself never recurses)."""
    if not isinstance(data, (dict, list)):
        return
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > max_depth:
                    raise TooDeep(f"the document is nested more than {max_depth} levels deep")
                stack.append((child, depth + 1))


def load_yaml(text: str | bytes, limits: Limits) -> Any:
    """The single YAML document in `text`, refused when malformed, nested too deeply, or
    larger than the limits once its aliases are expanded. Safe tags only."""
    if len(text) > limits.max_bytes:
        raise TooLarge(f"the document is {len(text)} bytes, over the limit of {limits.max_bytes}")
    loader = None
    try:
        loader = _BoundedLoader(text, limits.max_depth)  # reads the encoding: may fail too
        node = loader.get_single_node()
        if node is None:
            return None
        budget = min(limits.max_bytes, max(limits.max_ratio * len(text), 4096))
        if expanded_size(node, budget) > budget:
            raise TooLarge(f"the document is over {budget} bytes once its aliases are expanded "
                           f"({len(text)} bytes as sent)")
        data = loader.construct_document(node)
        check_depth(data, limits.max_depth)  # aliases can nest a deep node inside another
        return data
    except yaml.YAMLError as exc:
        raise Malformed(str(exc)) from exc
    except RecursionError as exc:  # a constructor's own recursion, beyond the depth check
        raise TooDeep(f"the document is nested more than {limits.max_depth} levels deep") from exc
    except ParseError:
        raise
    except ValueError as exc:  # e.g. an integer of more than 4300 digits, a bad timestamp
        raise Malformed(str(exc)) from exc
    finally:
        if loader is not None:
            loader.dispose()


class _BoundedLoader(yaml.SafeLoader):
    """The safe loader with a depth limit on composition (PyYAML composes recursively)."""

    def __init__(self, stream: str | bytes, max_depth: int) -> None:
        super().__init__(stream)
        self.max_depth, self.depth = max_depth, 0

    def compose_node(self, parent: Node | None, index: object) -> Node | None:
        if self.depth >= self.max_depth:
            raise TooDeep(f"the document is nested more than {self.max_depth} levels deep")
        self.depth += 1
        try:
            return Composer.compose_node(self, parent, index)  # type: ignore[no-any-return]
        finally:
            self.depth -= 1


def expanded_size(root: Node, budget: int) -> int:
    """About how many characters `root` stands for once every alias is expanded: each
    shared node counts once per reference. Stops early past `budget`; a node that
    contains itself (a recursive alias) is refused."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()

    def size(node: Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in on_path:
            raise Malformed("a YAML alias refers to a node that contains it")
        on_path.add(key)
        if isinstance(node, ScalarNode):
            total = len(node.value) + 2
        elif isinstance(node, SequenceNode):
            total = 2 + _bounded_sum((size(item) for item in node.value), budget)
        elif isinstance(node, MappingNode):
            total = 2 + _bounded_sum((size(k) + size(v) for k, v in node.value), budget)
        else:  # pragma: no cover - PyYAML has only these three node kinds
            raise Malformed(f"unexpected YAML node {type(node).__name__}")
        on_path.discard(key)
        sizes[key] = total
        return total

    return size(root)


def _bounded_sum(values: Any, budget: int) -> int:
    total = 0
    for value in values:
        total += value
        if total > budget:
            break
    return total
