"""A YAML document read as hostile input: ``yaml.SafeLoader`` types only (no Python objects),
one document, and anchors/aliases only while the document they expand to stays small — the
node graph is measured (each node once) before anything is constructed, so a "billion laughs"
document or a self-referencing alias is refused without being built.

>>> load("openapi: 3.0.0\\nx: &a [1, 2]\\ny: *a\\n", "api.yaml")
{'openapi': '3.0.0', 'x': [1, 2], 'y': [1, 2]}
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_NODES = 200_000  # a document with its aliases expanded


class YamlRefused(Exception):
    """A YAML document not read; the messages say why (Chinese first)."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code, self.message_zh, self.message_en = code, message_zh, message_en


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def expanded_size(node: yaml.Node) -> int:
    """How many nodes ``node`` becomes once every alias is expanded (capped just above
    :data:`MAX_NODES`), counted without expanding; a node inside itself raises."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    while stack:
        current, done = stack.pop()
        key = id(current)
        if done:
            open_nodes.discard(key)
            total = 1 + sum(sizes[id(c)] for c in _children(current))
            sizes[key] = min(total, MAX_NODES + 1)
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise YamlRefused(
                "plan_yaml_alias",
                "YAML 文档中的锚点（&）引用了自身（循环别名），不作为采集计划读取",
                "the YAML document has a recursive alias",
            )
        open_nodes.add(key)
        stack.append((current, True))
        stack.extend((c, False) for c in _children(current) if id(c) not in sizes)
    return sizes[id(node)]


def load(text: str, name: str) -> Any:
    """The document of ``text`` (None when it is empty); :class:`YamlRefused` otherwise."""
    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except (yaml.YAMLError, RecursionError) as error:
            where = getattr(error, "problem_mark", None)
            line = f"（第 {where.line + 1} 行）" if where is not None else ""
            raise YamlRefused(
                "plan_unreadable",
                f"“{name}”不是有效的 YAML 文档{line}：请检查缩进、冒号和引号",
                f"{name} is not valid YAML",
            ) from error
        if node is None:
            return None
        if expanded_size(node) > MAX_NODES:
            raise YamlRefused(
                "plan_yaml_alias",
                f"“{name}”中的锚点和别名（&、*）展开后超过 {MAX_NODES} 个节点，不作为采集计划读取",
                f"{name} expands to more than {MAX_NODES} nodes",
            )
        try:
            return loader.construct_document(node)
        except (yaml.YAMLError, RecursionError, TypeError, ValueError) as error:
            raise YamlRefused(
                "plan_unreadable",
                f"“{name}”不是有效的 YAML 文档：{type(error).__name__}",
                f"{name} is not valid YAML",
            ) from error
    finally:
        loader.dispose()
