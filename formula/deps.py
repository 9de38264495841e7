"""The dependency graph of computed fields, across tables (after Grist's ``depend.py``).

Nodes are ``(table, field)`` pairs. A formula field *F* reading ``client.category.
discount`` gets an edge from each field it reads — ``(invoices, client)``,
``(clients, category)``, ``(categories, discount)`` — to *F*, and each edge keeps its
:class:`~cardfile.formula.checker.Dependency` (``via`` says through which links and
collections the value is reached), which is what the record service needs to find
the affected *rows*: a changed line amount affects the invoice it points back to.

* :meth:`DependencyGraph.cycles` lists every cycle as a ``FORMULA_CYCLE`` error
  whose message names the whole cycle: ``total → tax → total``.
* :meth:`DependencyGraph.affected` takes the changed fields and returns the formula
  fields to recompute, each after everything it depends on (a topological order
  computed with an iterative work list: no recursion, whatever the graph's depth).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field as dc_field

from . import errors as E
from .checker import CompiledFormula, Dependency
from .errors import FormulaError, FormulaErrors

Node = tuple[str, str]


@dataclass(frozen=True)
class Edge:
    source: Node          # the field that is read
    target: Node          # the formula field that reads it
    dependency: Dependency


@dataclass
class DependencyGraph:
    formulas: dict[Node, frozenset[Dependency]] = dc_field(default_factory=dict)
    positions: dict[Node, dict[Node, dict]] = dc_field(default_factory=dict)

    # -- building -------------------------------------------------------------------
    def set_formula(self, node: Node, dependencies, positions: dict | None = None) -> None:
        """Declare (or replace) the formula field ``node`` and what it reads."""
        self.formulas[node] = frozenset(dependencies)
        self.positions[node] = dict(positions or {})

    def add_compiled(self, compiled: CompiledFormula) -> Node:
        node = (compiled.table, compiled.field or "")
        self.set_formula(node, compiled.dependencies)
        return node

    def remove(self, node: Node) -> None:
        self.formulas.pop(node, None)
        self.positions.pop(node, None)

    def edges(self) -> list[Edge]:
        return [Edge((dep.table, dep.field), target, dep)
                for target, deps in self.formulas.items() for dep in deps]

    def dependents(self) -> dict[Node, set[Node]]:
        """field -> the formula fields that read it directly."""
        result: dict[Node, set[Node]] = defaultdict(set)
        for target, deps in self.formulas.items():
            for dep in deps:
                result[(dep.table, dep.field)].add(target)
        return result

    def _reads(self, node: Node) -> list[Node]:
        return sorted({(dep.table, dep.field) for dep in self.formulas.get(node, ())
                       if (dep.table, dep.field) in self.formulas})

    # -- cycles ---------------------------------------------------------------------
    def cycles(self) -> list[FormulaError]:
        """Every cycle among formula fields, each as one ``FORMULA_CYCLE`` error."""
        return [self._cycle_error(cycle) for cycle in self.cycle_paths()]

    def cycle_paths(self) -> list[list[Node]]:
        """Each cycle as the list of nodes walked, ending where it started."""
        found, seen_cycles = [], set()
        state: dict[Node, int] = {}           # 1 = on the current path, 2 = done
        for root in sorted(self.formulas):
            if state.get(root):
                continue
            path: list[Node] = []
            stack = [(root, iter(self._reads(root)))]
            state[root] = 1
            path.append(root)
            while stack:
                node, children = stack[-1]
                child = next(children, None)
                if child is None:
                    stack.pop()
                    path.pop()
                    state[node] = 2
                    continue
                if state.get(child) == 1:
                    cycle = path[path.index(child):] + [child]
                    key = frozenset(cycle)
                    if key not in seen_cycles:
                        seen_cycles.add(key)
                        found.append(cycle)
                elif not state.get(child):
                    state[child] = 1
                    path.append(child)
                    stack.append((child, iter(self._reads(child))))
        return found

    def _cycle_error(self, cycle: list[Node]) -> FormulaError:
        # Formula fields read what they depend on, so the cycle runs against the reading
        # order; show it as "A uses B uses … uses A" starting at the smallest node.
        nodes = cycle[:-1]
        start = nodes.index(min(nodes))
        ordered = nodes[start:] + nodes[:start] + [nodes[start]]
        tables = {table for table, _ in ordered}
        names = [name if len(tables) == 1 else f"{table}.{name}" for table, name in ordered]
        first, second = ordered[0], ordered[1]
        position = self.positions.get(first, {}).get(second)
        return FormulaError(E.CYCLE, "circular reference: " + " → ".join(names),
                            position, first[1])

    def check(self) -> None:
        """Raise :class:`FormulaErrors` if the graph has a cycle."""
        errors = self.cycles()
        if errors:
            raise FormulaErrors(errors)

    def would_cycle(self, node: Node, dependencies) -> list[FormulaError]:
        """The cycles that declaring ``node`` with ``dependencies`` would create."""
        trial = DependencyGraph(dict(self.formulas), dict(self.positions))
        trial.set_formula(node, dependencies)
        return [trial._cycle_error(cycle) for cycle in trial.cycle_paths() if node in cycle]

    # -- recomputation order ----------------------------------------------------------
    def affected(self, changed: set[Node] | list[Node]) -> list[Node]:
        """Formula fields to recompute after ``changed``, in dependency order."""
        dependents = self.dependents()
        reached: set[Node] = set()
        work = list(changed)
        while work:
            current = work.pop()
            for target in dependents.get(current, ()):
                if target not in reached:
                    reached.add(target)
                    work.append(target)
        # Kahn's algorithm on the reached sub-graph.
        indegree = {node: 0 for node in reached}
        for node in reached:
            for source in self._reads(node):
                if source in reached:
                    indegree[node] += 1
        ready = sorted(node for node, count in indegree.items() if count == 0)
        order: list[Node] = []
        while ready:
            node = ready.pop(0)
            order.append(node)
            for target in sorted(dependents.get(node, ())):
                if target in indegree:
                    indegree[target] -= 1
                    if indegree[target] == 0:
                        ready.append(target)
            ready.sort()
        if len(order) != len(reached):
            sub = DependencyGraph({n: self.formulas[n] for n in reached}, self.positions)
            raise FormulaErrors(sub.cycles() or [FormulaError(E.CYCLE, "circular reference")])
        return order
