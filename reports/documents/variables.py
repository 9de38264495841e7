"""What a template of a table may name: the editor's variables panel and the unknown-names check.

    variables(snap, table, readable)   groups of names with their labels and a snippet to
                                       insert (fields, linked records one step deep, line
                                       items, back-links, company, helpers)
    unknown_names(env, source, snap, table)
                                       dot paths a template uses that the table does not
                                       have (``client.nmae``), with their line; loop
                                       variables over line items and back-links are followed
"""

from __future__ import annotations

from jinja2 import nodes
from jinja2.exceptions import TemplateSyntaxError
from jinja2.parser import Parser

from cardfile.metamodel.formulas.bridge import back_link_names

from .company import IMAGES, TEXTS
from .helpers import HELPER_NAMES
from .render import SPECIAL_NAMES

HELPER_SNIPPETS = {
    "words": "{{ words(total) }}", "format_money": "{{ format_money(total) }}",
    "format_number": "{{ format_number(quantity, 2) }}", "format_date": '{{ format_date(date, "short") }}',
    "qr": "{{ qr(number) }}", "barcode": '{{ barcode(sku, kind="ean13") }}',
    "image": "{{ image(company.logo, width=40) }}",
}


def _field_items(snap, table, prefix: str, depth: int, readable) -> list[dict]:
    items = []
    for f in readable(table):
        path = f"{prefix}{f.api_name}"
        if not prefix and f.api_name in HELPER_NAMES:  # the bare name is the helper
            path = f"record.{f.api_name}"
        if f.type == "lines":
            child = snap.child_table(f)
            cells = " ".join(f"{{{{ line.{c.api_name} }}}}" for c in readable(child)[:4])
            items.append({"name": path, "label": f.label, "type": f.type,
                          "snippet": f"{{% for line in {path} %}}{cells}{{% endfor %}}"})
        else:
            items.append({"name": path, "label": f.label, "type": f.type, "snippet": f"{{{{ {path} }}}}"})
        if f.type == "link" and depth > 0:
            target = snap.table_by_id(int(f.options["target_id"]))
            items += _field_items(snap, target, f"{path}.", depth - 1, readable)
    return items


def variables(snap, table, readable) -> list[dict]:
    """Groups of insertable names; ``readable(table)`` limits them to what the owner may see."""
    groups = [{"title": table.label, "items": _field_items(snap, table, "", 1, readable)}]
    for name, (source, _link) in back_link_names(snap, table).items():
        cells = " ".join(f"{{{{ item.{c.api_name} }}}}" for c in readable(source)[:4])
        groups.append({"title": f"{source.label} ({name})", "items": [
            {"name": name, "label": source.label, "type": "back",
             "snippet": f"{{% for item in {name} %}}{cells}{{% endfor %}}"}]})
    company = [{"name": f"company.{k}", "label": k.replace("_", " "), "type": "text",
                "snippet": f"{{{{ company.{k} }}}}"} for k in TEXTS]
    company += [{"name": f"company.{k}", "label": k, "type": "image",
                 "snippet": f"{{{{ image(company.{k}, width=40) }}}}"} for k in IMAGES]
    groups.append({"title": "company", "items": company})
    groups.append({"title": "other", "items": [
        {"name": "today", "label": "today", "type": "date", "snippet": "{{ today }}"},
        {"name": "user.name", "label": "user", "type": "text", "snippet": "{{ user.name }}"}]})
    groups.append({"title": "helpers", "items": [
        {"name": n, "label": n, "type": "helper", "snippet": HELPER_SNIPPETS[n]} for n in HELPER_NAMES]})
    return groups


# --- the unknown-names check -----------------------------------------------------------------
def _path(node) -> list[str] | None:
    parts = []
    while isinstance(node, nodes.Getattr):
        parts.append(node.attr)
        node = node.node
    if isinstance(node, nodes.Name):
        parts.append(node.name)
        return list(reversed(parts))
    return None


class _Scope:
    def __init__(self, snap, table):
        self.snap = snap
        self.table = table
        self.loops: dict[str, object] = {}  # loop variable -> table of its items

    def resolve(self, parts: list[str]) -> str | None:
        """None when the path is known, else the first unknown part."""
        head = parts[0]
        if head in self.loops:
            return self._walk(self.loops[head], parts[1:], head)
        if head in SPECIAL_NAMES or head in HELPER_NAMES or head in ("loop", "range", "dict", "namespace", "id"):
            if head == "company" and len(parts) > 1 and parts[1] not in (*TEXTS, *IMAGES):
                return ".".join(parts[:2])
            if head == "record":
                return self._walk(self.table, parts[1:], "record")
            return None
        return self._walk(self.table, parts)

    def collection(self, parts: list[str]):
        """The element table of a path that names line items or back-links."""
        table = self.loops.get(parts[0]) if parts[0] in self.loops else self.table
        for i, name in enumerate(parts if parts[0] not in self.loops else parts[1:]):
            field = table.field(name)
            if field is not None and field.type == "link":
                table = self.snap.table_by_id(int(field.options["target_id"]))
                continue
            if field is not None and field.type == "lines":
                return self.snap.child_table(field)
            back = back_link_names(self.snap, table).get(name)
            return back[0] if back is not None else None
        return None

    def _walk(self, table, parts: list[str], shown: str = "") -> str | None:
        done = [shown] if shown else []
        for name in parts:
            done.append(name)
            if name == "id":
                return None
            field = table.field(name)
            if field is None:
                if name in back_link_names(self.snap, table):
                    return None
                if name in ("raw", "text", "label", "currency", "name", "sha256", "type"):
                    return None  # a value's own attributes
                return ".".join(done)
            if field.type != "link":
                return None
            table = self.snap.table_by_id(int(field.options["target_id"]))
        return None


def unknown_names(env, source: str, snap, table) -> list[dict]:
    """Paths the template names that do not exist on ``table`` (set names and macros aside)."""
    try:
        tree = Parser(env, source).parse()  # the tree as written (without the sandbox's loop guards)
    except TemplateSyntaxError:
        return []
    scope = _Scope(snap, table)
    assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    for loop in tree.find_all(nodes.For):
        target = _path(loop.target) if isinstance(loop.target, nodes.Name) else None
        iterated = _path(loop.iter)
        if target and iterated:
            element = scope.collection(iterated)
            if element is not None:
                scope.loops[target[0]] = element
    found: dict[str, int] = {}
    for node in tree.find_all((nodes.Getattr, nodes.Name)):
        if isinstance(node, nodes.Name) and node.ctx != "load":
            continue
        parts = _path(node)
        if not parts or (parts[0] in assigned and parts[0] not in scope.loops):
            continue
        problem = scope.resolve(parts)
        if problem and problem not in found:
            found[problem] = node.lineno
    return [{"name": name, "line": line} for name, line in sorted(found.items(), key=lambda kv: kv[1])]
