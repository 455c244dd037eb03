"""The Helm chart rendered by Helm itself: the Helm v4 SDK, from PyPI (``helm-python-sdk``),
as ``helm template RELEASE CHART -f values.yaml`` renders it. No helm binary, no cluster."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import helm_python
import yaml


class TemplateError(Exception):
    """Helm refused to render (a `required` value missing, a `fail` in a template, ...)."""


def render_chart(
    chart: Path,
    values: Mapping[str, Any] | None = None,
    *,
    release: str = "shipyard",
    namespace: str = "default",
    notes: bool = False,
) -> dict[str, str]:
    """Each template's text, by name (``shipyard/templates/deployment.yaml``); NOTES.txt
    only if ``notes``."""
    with helm_python.Chart.load(str(chart)) as loaded:
        try:
            rendered: dict[str, str] = loaded.render(
                dict(values or {}), name=release, namespace=namespace
            )
        except helm_python.HelmRenderError as error:
            raise TemplateError(str(error)) from None
    return {
        name: text for name, text in rendered.items() if notes or not name.endswith("NOTES.txt")
    }


def render_manifests(
    chart: Path, values: Mapping[str, Any] | None = None, **options: Any
) -> list[dict[str, Any]]:
    """The chart's Kubernetes objects: every template rendered, split on ``---``, parsed."""
    documents = []
    for text in render_chart(chart, values, **options).values():
        for part in re.split(r"(?m)^---[ \t]*$", text):
            document = yaml.safe_load(part)
            if document:
                documents.append(document)
    return documents
