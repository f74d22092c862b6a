"""Issue 13.1: no button or menu action passes its `checked` flag into a slot that wants something else.

PySide passes a signal's arguments to as many parameters as a slot has, so
`button.clicked.connect(self.restore)` with `def restore(self, dialog=None)` calls
`restore(False)`. This walks every `clicked/triggered.connect(...)` and
`addAction(text, slot)` in the window's code and fails on a slot with a parameter.
(The three buttons that broke this way are also clicked end to end in
test_action_buttons.py.)
"""
from __future__ import annotations

import ast
from pathlib import Path

import schoolmh.ui

UI = Path(schoolmh.ui.__file__).parent
SIGNALS = {"clicked", "triggered"}


def _methods(tree: ast.AST) -> dict[str, ast.FunctionDef]:
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    found.setdefault(f"{node.name}.{item.name}", item)
                    found.setdefault(item.name, item)
    return found


def _slots(tree: ast.AST):
    """(line, slot expression) for every clicked/triggered connection and addAction(text, slot)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        f = node.func
        if f.attr == "connect" and isinstance(f.value, ast.Attribute) and f.value.attr in SIGNALS and node.args:
            yield node.lineno, node.args[0]
        elif f.attr == "addAction" and len(node.args) >= 2:
            yield node.lineno, node.args[-1]


def _parameters(fn) -> list[str]:
    args = fn.args
    names = [a.arg for a in args.posonlyargs + args.args]
    if names and names[0] == "self":
        names = names[1:]
    return names + ([args.vararg.arg] if args.vararg else [])


def _takes_item_signal(fn) -> bool:
    """A view's clicked(QModelIndex) or a calendar's clicked(QDate): the slot says so in its annotation."""
    args = [a for a in fn.args.args if a.arg != "self"]
    return bool(args) and all(a.annotation is not None and ast.unparse(a.annotation) in ("QDate", "QModelIndex")
                              for a in args)


def test_every_clicked_or_triggered_slot_takes_no_argument():
    wrong = []
    checked = 0
    for path in sorted(UI.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        methods = _methods(tree)
        for line, slot in _slots(tree):
            if isinstance(slot, ast.Lambda):
                params = _parameters(slot)
                # a lambda may take the flag only to drop it (named _checked, _on …)
                if any(not p.startswith("_") for p in params):
                    wrong.append(f"{path.name}:{line}: lambda takes {params}")
                checked += 1
            elif isinstance(slot, ast.Attribute) and isinstance(slot.value, ast.Name) and slot.value.id == "self":
                fn = methods.get(slot.attr)
                if fn is None:
                    continue  # a Qt method (self.accept, self.reject, self.close …): takes no flag
                checked += 1
                params = _parameters(fn)
                if params and not _takes_item_signal(fn):
                    wrong.append(f"{path.name}:{line}: self.{slot.attr}({', '.join(params)})")
    assert checked > 40  # the walk really found the window's buttons
    assert not wrong, "slots that would receive clicked(bool)/triggered(bool):\n" + "\n".join(wrong)
