"""``shipyard init``: a new project around a user's own model, from the templates in
``templates/``.

The same templates render this repository's own deployment files (its Dockerfile, Compose
file, platform files and CI workflow), so a project made by ``shipyard init`` deploys the
way shipyard itself is tested to. A template marks a value as ``@@name@@``: a mark no
Dockerfile, YAML, shell or GitHub expression uses, so the files stay readable as they are.
"""

from shipyard.scaffold.render import (
    PROJECT_EXTRAS,
    REPOSITORY,
    MissingValue,
    ProjectValues,
    TemplateFile,
    render,
    render_file,
    repository_files,
    scaffold_project,
    write_repository_files,
)

__all__ = [
    "PROJECT_EXTRAS",
    "REPOSITORY",
    "MissingValue",
    "ProjectValues",
    "TemplateFile",
    "render",
    "render_file",
    "repository_files",
    "scaffold_project",
    "write_repository_files",
]
