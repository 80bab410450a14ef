"""The direction of dependencies: front ends -> domain -> models, read from the source.

Front ends are the ways in (web pages, API, feeds, reminders, monitoring pages, coordinators'
pages, CLI, bot). Only the two assemblers, the app factory and the command root, import them
all. Everything else is the core below them and names no front end, and no front end names
another. The rules are checked on every import, also those inside functions, so that an
import moved into a function cannot hide a dependency or a circle.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FRONT_ENDS = (
    "tracker.main",
    "tracker.api",
    "tracker.feeds",
    "tracker.reminders",
    "tracker.manage",
    "tracker.monitoring",
    "tracker.auth",
    "tracker.cli",
    "bot",
)
#: Assemble the front ends: they alone may import any of them.
ASSEMBLERS = {"tracker", "tracker.cli"}
#: Front ends every other may use, and why.
SHARED = {
    # who is signed in and what their session or token is: every web front end asks it
    "tracker.auth",
}
#: Single exceptions, each with its reason. Keep this short: it is empty.
ALLOWED: set[tuple[str, str]] = set()


def _modules() -> dict[str, Path]:
    found = {}
    for package in ("tracker", "bot"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def _is_type_checking(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return isinstance(test, ast.Name | ast.Attribute) and ast.unparse(test).endswith(
        "TYPE_CHECKING"
    )


def _nodes(node: ast.AST) -> Iterator[ast.AST]:
    """`ast.walk`, leaving out `if TYPE_CHECKING:` blocks: imports for type hints never run."""
    for child in ast.iter_child_nodes(node):
        if not _is_type_checking(child):
            yield child
            yield from _nodes(child)


def _imports(path: Path) -> Iterator[tuple[str, bool]]:
    """Every project module `path` imports, and whether at module level."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = set(map(id, tree.body))
    for node in _nodes(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            if name in MODULES:
                yield name, id(node) in top_level


def _front_end(module: str) -> str | None:
    """The front end a module belongs to; None for the core, and for every `models` module
    (the schema, which any layer may read)."""
    if module.rsplit(".", 1)[-1] == "models":
        return None
    return next((f for f in FRONT_ENDS if module == f or module.startswith(f + ".")), None)


def _crossings() -> list[str]:
    wrong = []
    for module, path in MODULES.items():
        if module in ASSEMBLERS:
            continue
        mine = _front_end(module)
        for target, _top in _imports(path):
            theirs = _front_end(target)
            if theirs is None or theirs == mine or theirs in SHARED:
                continue
            if (module, target) in ALLOWED:
                continue
            where = f"the front end {mine}" if mine else "the core"
            wrong.append(f"{module} ({where}) imports {target}")
    return sorted(set(wrong))


def test_no_module_imports_a_front_end_it_does_not_belong_to():
    assert _crossings() == []


def test_the_rules_see_a_crossing(tmp_path):
    """The check itself: the crossings this round removed would be found again."""
    global MODULES
    saved = MODULES
    fake = tmp_path / "probe.py"
    try:
        MODULES = {**saved, "tracker.domain.probe": fake}
        fake.write_text("from bot.slack.digest import weekly_digest_job\n", encoding="utf-8")
        assert _crossings() == ["tracker.domain.probe (the core) imports bot.slack.digest"]
        fake.write_text("def f():\n    from tracker.feeds import routes\n", encoding="utf-8")
        MODULES = {**saved, "tracker.reminders.probe": fake}
        assert _crossings() == [
            "tracker.reminders.probe (the front end tracker.reminders) imports tracker.feeds",
            "tracker.reminders.probe (the front end tracker.reminders) imports "
            "tracker.feeds.routes",
        ]
    finally:
        MODULES = saved


def _cycle() -> list[str] | None:
    """A circle of imports (inside functions too: an import moved there still runs), if any."""
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in MODULES.items():
        for target, _top in _imports(path):
            if target != module and not module.startswith(target + "."):
                graph[module].add(target)  # a package's own __init__ runs first: not a circle
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for module in sorted(MODULES):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_no_import_circles():
    assert _cycle() is None


def test_a_circle_is_seen(tmp_path):
    global MODULES
    saved = MODULES
    (tmp_path / "a.py").write_text("from tracker.probe_b import x\n", encoding="utf-8")
    (tmp_path / "b.py").write_text("import tracker.probe_a\n", encoding="utf-8")
    try:
        MODULES = {
            **saved,
            "tracker.probe_a": tmp_path / "a.py",
            "tracker.probe_b": tmp_path / "b.py",
        }
        assert _cycle() == ["tracker.probe_a", "tracker.probe_b", "tracker.probe_a"]
    finally:
        MODULES = saved


@pytest.mark.parametrize(
    "module",
    ["tracker.reminders.preferences", "tracker.reminders.run", "tracker.reminders.digest"],
)
def test_the_reminders_import_each_other_at_the_top(module):
    """Their circle was hidden by imports inside functions; now it is gone, none is left."""
    inner = [t for t, top in _imports(MODULES[module]) if not top]
    assert inner == []
