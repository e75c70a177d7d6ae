#!/bin/sh
# The student image's entrypoint (tools/k8s/Dockerfile), before the command Kubernetes gives it
# (Z2JH's singleuser.cmd, jupyterhub-singleuser).
#
# Z2JH mounts each student's persistent volume over /home/jovyan, so the notebooks that
# nbgrader released are baked elsewhere (GDLAB_RELEASE) and copied into ~/gdlab here, at every
# start, each only when the student has no file of that name: a student's work is never
# overwritten, and a notebook the student deleted comes back (as with `cargo xtask hub`).
set -eu
release="${GDLAB_RELEASE:-/opt/gdlab/target/course/release/gdlab}"
notebooks="${HOME:?HOME is not set}/gdlab"
if mkdir -p "$notebooks"; then
    for src in "$release"/*.ipynb; do
        [ -e "$src" ] || continue
        dst="$notebooks/$(basename "$src")"
        if [ ! -e "$dst" ] && [ ! -L "$dst" ]; then
            # A failed copy (a full volume) must not keep the server from starting.
            cp "$src" "$dst" || echo "gdlab start: could not copy $src into $notebooks" >&2
        fi
    done
else
    echo "gdlab start: could not create $notebooks; starting without the notebooks" >&2
fi
exec "$@"
