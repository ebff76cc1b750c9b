"""Dependency order of addons.

Addons load in order of *depth* (the longest chain of dependencies below
them), then by name, so the order is stable and every addon comes after all
it depends on. Missing dependencies and cycles are refused with the chain that
causes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from postroom.modules.manifest import Manifest, ManifestError


def closure(names: Iterable[str], manifests: Mapping[str, Manifest]) -> set[str]:
    """``names`` and everything they depend on, transitively."""
    result: set[str] = set()
    stack = list(names)
    while stack:
        name = stack.pop()
        if name in result:
            continue
        manifest = manifests.get(name)
        if manifest is None:
            raise ManifestError(f"Addon {name!r} not found on the addons path")
        if manifest.error:
            raise ManifestError(manifest.error)
        if not manifest.installable:
            raise ManifestError(f"Addon {name!r} ({manifest.file}) is not installable")
        result.add(name)
        for dep in manifest.depends:
            if dep not in manifests:
                raise ManifestError(f"Addon {name!r} ({manifest.file}) depends on {dep!r}, "
                                    "which is not on the addons path")
            stack.append(dep)
    return result


def dependents(names: Iterable[str], among: Iterable[str],
               manifests: Mapping[str, Manifest]) -> set[str]:
    """``names`` and the addons of ``among`` that depend on them, transitively."""
    result = set(names)
    candidates = set(among) - result
    changed = True
    while changed:
        found = {name for name in candidates if result.intersection(manifests[name].depends)}
        result |= found
        candidates -= found
        changed = bool(found)
    return result


def order(names: Iterable[str], manifests: Mapping[str, Manifest]) -> list[str]:
    """``names`` sorted so that every addon follows its dependencies."""
    names = set(names)
    depth: dict[str, int] = {}

    def visit(name: str, chain: tuple[str, ...]) -> int:
        if name in chain:
            cycle = " -> ".join(chain[chain.index(name):] + (name,))
            raise ManifestError(f"Addon {name!r} ({manifests[name].file}) is in a dependency "
                                f"cycle: {cycle}")
        if name not in depth:
            deps = [d for d in manifests[name].depends if d in names or d in manifests]
            depth[name] = 1 + max((visit(d, chain + (name,)) for d in deps), default=0)
        return depth[name]

    for name in names:
        visit(name, ())
    return sorted(names, key=lambda n: (depth[n], n))


def auto_installable(selected: set[str], manifests: Mapping[str, Manifest]) -> set[str]:
    """Addons to install along with ``selected``: those with ``auto_install``.

    ``auto_install: True`` triggers once every dependency is selected; a list
    triggers once the addons it names are, and brings the other dependencies
    along. Each addon installed this way may trigger others in turn.
    """
    result: set[str] = set()
    changed = True
    while changed:
        changed = False
        chosen = selected | result
        for name, manifest in manifests.items():
            if name in chosen or not manifest.auto_install or not manifest.installable:
                continue
            trigger = manifest.auto_install if isinstance(manifest.auto_install, list) \
                else manifest.depends
            if set(trigger) <= chosen:
                result |= closure([name], manifests) - selected
                changed = True
                break
    return result
