"""One pattern for every outside service: a Protocol, a registry keyed by name, the choice in
settings, and a local stand-in for development and tests.

A domain declares `SMS = Registry[SmsProvider]("SMS provider")`, each implementation registers
itself with `@SMS.register("aliyun")`, and the code that needs one asks `SMS.get(name)` with the
name read from the settings. Adding a vendor is one new module; nothing else changes.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class UnknownAdapter(LookupError):
    """The settings name an adapter nobody registered (a typo in the environment)."""


class Registry(Generic[T]):
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._factories: dict[str, Callable[..., T]] = {}
        self._modules: dict[str, str] = {}  # name -> module that registers it when imported

    def register_module(self, name: str, module: str) -> None:
        """Name an adapter whose module is imported only when it is first asked for: a vendor SDK
        (tens of MB) stays out of the processes that never use it (workers, the sweep)."""
        self._modules[name] = module

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Class decorator: `@REGISTRY.register("name")`."""

        def add(factory: Callable[..., T]) -> Callable[..., T]:
            if name in self._factories and self._factories[name] is not factory:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._factories[name] = factory
            return factory

        return add

    def get(self, name: str, *args, **kwargs) -> T:
        """A new adapter of that name, built with the given settings."""
        if name not in self._factories and name in self._modules:
            importlib.import_module(self._modules[name])  # its decorator registers the factory
        try:
            factory = self._factories[name]
        except KeyError:
            known = ", ".join(sorted(self._factories)) or "none"
            raise UnknownAdapter(f"unknown {self.kind} {name!r} (known: {known})") from None
        return factory(*args, **kwargs)

    def names(self) -> list[str]:
        return sorted({*self._factories, *self._modules})

    def __contains__(self, name: object) -> bool:
        return name in self._factories or name in self._modules
