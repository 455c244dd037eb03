"""Render the templates into a new project, or into this repository's own files."""

from __future__ import annotations

import re
import shutil
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

from shipyard.errors import InvalidInput

MARK = re.compile(r"@@([a-z_]+)@@")
GRAFANA_DASHBOARD = "deploy/grafana/dashboards/shipyard.json"


class MissingValue(InvalidInput):
    def __init__(self, template: str, names: list[str]) -> None:
        super().__init__(f"template {template} uses values nobody gave: {', '.join(names)}")


class DestinationNotEmpty(InvalidInput):
    def __init__(self, destination: Path) -> None:
        super().__init__(f"{destination} is not empty: choose a new folder for the project")


@dataclass(frozen=True)
class ProjectValues:
    """What differs between two projects' deployment files."""

    project: str
    """Name of the project: its package, image and Compose project."""
    model: str
    """The model it trains and serves."""
    extras: str = ""
    """The extras the image installs with the project, brackets included ("" for none)."""
    train_options: str = ""
    """Options of the training a Heroku dyno runs at boot (leading space included)."""
    space_files: str = "pyproject.toml .dockerignore"
    """What a Hugging Face Space needs of the project to build its image."""
    python_package: str = ""
    """A project's Python package name (its pyproject name with underscores)."""
    target: str = ""
    """The column the model predicts, as a TOML string."""
    positive_label: str = ""
    """The class ROC AUC is computed for, as a TOML string."""
    data_file: str = ""
    """The data's path in the project."""
    drop: str = "[]"
    """Columns that are not inputs, as a TOML array."""
    shipyard_requirement: str = ""
    """The project's dependency on shipyard, as a TOML string."""

    def as_dict(self) -> dict[str, str]:
        return {key: str(value) for key, value in asdict(self).items()}


# What a project's image serves with, as this repository's image does.
PROJECT_EXTRAS = "[postgres,onnx,dashboard,prefect]"

# This repository's values: its own Dockerfile, Compose file, platform files and workflow
# are these templates rendered with them (a test checks that they are).
REPOSITORY = ProjectValues(
    project="shipyard",
    model="attrition",
    extras=PROJECT_EXTRAS,
    # What `auto` picks for attrition, without cross-validating the other: within Heroku's
    # 60 s to bind the port.
    train_options=" --algorithm logistic",
    space_files="src pyproject.toml .dockerignore",
)


@dataclass(frozen=True)
class TemplateFile:
    template: str
    """Path under ``templates/``."""
    destination: str
    """Path in the project."""
    shared: bool
    """Rendered into this repository too."""


TEMPLATES: tuple[TemplateFile, ...] = (
    # Deployment files shared with this repository.
    TemplateFile("Dockerfile", "Dockerfile", shared=True),
    TemplateFile("dockerignore", ".dockerignore", shared=True),
    TemplateFile("compose.yaml", "compose.yaml", shared=True),
    TemplateFile("env.example", ".env.example", shared=True),
    TemplateFile("Procfile", "Procfile", shared=True),
    TemplateFile("requirements.txt", "requirements.txt", shared=True),
    TemplateFile("python-version", ".python-version", shared=True),
    TemplateFile("render.yaml", "render.yaml", shared=True),
    TemplateFile("ci.yml", ".github/workflows/ci.yml", shared=True),
    TemplateFile("prometheus.yml", "deploy/prometheus/prometheus.yml", shared=True),
    TemplateFile(
        "grafana-datasource.yml",
        "deploy/grafana/provisioning/datasources/prometheus.yml",
        shared=True,
    ),
    TemplateFile(
        "grafana-dashboards.yml", "deploy/grafana/provisioning/dashboards/shipyard.yml", shared=True
    ),
    TemplateFile("space-README.md", "deploy/huggingface/README.md", shared=True),
    TemplateFile("space-prepare.sh", "deploy/huggingface/prepare.sh", shared=True),
    # A new project's own files.
    TemplateFile("project/pyproject.toml.template", "pyproject.toml", shared=False),
    TemplateFile("project/README.md", "README.md", shared=False),
    TemplateFile("project/gitignore", ".gitignore", shared=False),
    TemplateFile("project/model.py", "@@python_package@@/model.py", shared=False),
    TemplateFile("project/package_init.py", "@@python_package@@/__init__.py", shared=False),
    TemplateFile("project/test_model.py", "tests/test_model.py", shared=False),
)


def _template_text(name: str) -> str:
    return resources.files("shipyard.scaffold").joinpath("templates", name).read_text("utf-8")


def render(text: str, values: ProjectValues, *, template: str = "<text>") -> str:
    """``text`` with each ``@@name@@`` replaced by that value; every mark must name one."""
    given = values.as_dict()
    missing = sorted({name for name in MARK.findall(text) if name not in given})
    if missing:
        raise MissingValue(template, missing)
    return MARK.sub(lambda match: given[match.group(1)], text)


def render_file(file: TemplateFile, values: ProjectValues) -> tuple[str, str]:
    """The destination path and the text of one template, for ``values``."""
    destination = render(file.destination, values, template=file.template)
    return destination, render(_template_text(file.template), values, template=file.template)


def repository_files() -> dict[str, str]:
    """This repository's deployment files as the templates make them: path -> text."""
    return dict(render_file(file, REPOSITORY) for file in TEMPLATES if file.shared)


def write_repository_files(root: Path) -> list[Path]:
    """Render this repository's deployment files from the templates (after editing one)."""
    written = []
    for relative, text in repository_files().items():
        path = root / relative
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def scaffold_project(destination: Path, values: ProjectValues, data: Path) -> list[Path]:
    """Write a new project into ``destination`` (new or empty): every template, the data
    file and Grafana's dashboard. Returns the files written."""
    if destination.exists() and any(destination.iterdir()):
        raise DestinationNotEmpty(destination)
    written: list[Path] = []
    for file in TEMPLATES:
        relative, text = render_file(file, values)
        path = destination / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if text.startswith("#!"):
            path.chmod(0o755)
        written.append(path)
    copied = destination / values.data_file
    copied.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(data, copied)
    dashboard = destination / GRAFANA_DASHBOARD
    dashboard.parent.mkdir(parents=True, exist_ok=True)
    source = resources.files("shipyard.telemetry").joinpath("grafana", "shipyard.json")
    dashboard.write_text(source.read_text("utf-8"), encoding="utf-8")
    return [*written, copied, dashboard]
