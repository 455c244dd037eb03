#!/bin/sh
# Fill a clone of a Hugging Face Space (Docker SDK) with what it builds and runs:
#   README.md   the Space's card (sdk: docker, app_port: 7860), from this folder
#   Dockerfile  the project's Dockerfile, ending with its `space` stage: a Space builds
#               the last stage of its Dockerfile and takes no --target
#   src pyproject.toml .dockerignore   the project, without caches (a Space refuses
#               binary files that are not stored with Xet)
# Usage (docs/deploy/huggingface.md):  deploy/huggingface/prepare.sh PATH/TO/SPACE-CLONE
set -eu

space=${1:?usage: deploy/huggingface/prepare.sh PATH/TO/SPACE-CLONE}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

mkdir -p "$space"
(cd "$root" && tar --exclude=__pycache__ --exclude='*.py[cod]' -cf - src pyproject.toml .dockerignore) \
    | tar -xf - -C "$space"
cp "$here/README.md" "$space/README.md"
{
    cat "$root/Dockerfile"
    printf '\n# A Space builds the last stage: the dashboard and the API on port 7860.\nFROM space\n'
} > "$space/Dockerfile"

echo "Ready in $space: commit and push it to the Space."
