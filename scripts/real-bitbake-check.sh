#!/usr/bin/env bash
# real-bitbake-check.sh - check a rendered meta-vvehicle layer with REAL bitbake, offline.
#
# Usage:
#   scripts/real-bitbake-check.sh --sources DIR --layer DIR [--build DIR] [--no-clang] [--image NAME]
#                                 [--yocto-check-layer] [--engine host|podman|docker] [--engine-client PATH]
#                                 [--engine-arg A]... [--debootstrap-mirror URL]
#
#   --sources DIR  AGL-style source tree (what aglsetup.sh calls METADIR):
#                    DIR/external/poky, DIR/external/meta-openembedded, DIR/external/meta-clang,
#                    DIR/external/meta-lts-mixins_rust, DIR/meta-agl
#                  (poky/meta-openembedded/meta-clang scarthgap, meta-lts-mixins scarthgap/rust, meta-agl unagi)
#   --layer DIR    the rendered meta-vvehicle layer (must contain conf/layer.conf)
#   --build DIR    build directory (default: $HOME/.cache/vvehicle/bitbake-check). It is reused between runs
#                  (warm parse ~15 s instead of ~170 s cold). conf/ is regenerated on every run.
#                  It must be new, empty, or a directory this script created before.
#   --no-clang     leave meta-clang out of BBLAYERS (the layer must still parse and build its graph)
#   --image NAME   image to graph (default: vvehicle-image)
#   --yocto-check-layer
#                  also run poky's scripts/yocto-check-layer on the layer (opt-in: slow, world is parsed and
#                  hashed four times, ~50 min on 2 cores) as step 6, in its own build dir BUILD/yocto-check-layer:
#                  DISTRO poky, MACHINE qemuarm64, offline, software-layer signature check on (its default),
#                  --dependency meta-oe meta-python meta-networking meta-agl-core [meta-clang],
#                  --additional-layers meta-clang (unless --no-clang: it is only a LAYERRECOMMENDS, which
#                  yocto-check-layer does not add, and the layer's clang-layer bbappend must be checked too),
#                  --no-auto-dependency (the dependencies are their maintainers' to check, hours more here).
#                  OK only if it prints "<layer> ... PASS" with no failure/error and none of its common tests
#                  skipped. Its own log: BUILD/check-logs/06-yocto-check-layer.log.
#   --engine E     where bitbake runs. host (default): on this machine, as a non-root user. podman|docker: the same
#                  steps inside vvehicle's builder image, started by vvehicle itself (`node dist/cli.js shell`, the
#                  way `vvehicle bitbake` runs, after `npm run build`), with --sources, --layer and --build mounted
#                  at the same paths. A vvehicle work dir BUILD/vvehicle-work holds the builder record and clones
#                  of the --sources checkouts at their HEADs (vvehicle's own poky for its build env). Invoked as
#                  root with docker, the check re-execs as VVEHICLE_CHECK_USER (who must reach the daemon: docker
#                  group), so bitbake runs with that uid; with podman it stays root (rootless podman is not
#                  supported here) and bitbake runs as the image's user 1001.
#   --engine-client PATH, --engine-arg A
#                  passed to vvehicle (the client program; engine global options, e.g. --host unix:///x.sock)
#   --debootstrap-mirror URL
#                  build the builder image's base from this Debian mirror (no registry); reused when already made
#
# Steps (each reported OK/FAIL with its wall time):
#   1. bitbake-layers show-layers  (the layer must be listed)
#   2. bitbake -p                  (syntax, python, LICENSE, missing file://); layer recipes SKIPPED at parse
#                                  (e.g. a user without an AGL static id) are listed as FAIL before step 4
#   3. bitbake -g IMAGE            (unknown DEPENDS/RDEPENDS/IMAGE_INSTALL), then task-depends.dot must contain
#                                  the recipes ueransim, otelcol-contrib, node-exporter|node_exporter, bpftool,
#                                  vvehicle-health, systemd, and no connman*
#   4. bitbake -b RECIPE -c populate_lic for every layer recipe whose SRC_URI has only file:// entries
#      (or no SRC_URI): real LIC_FILES_CHKSUM / license QA
#   5. (--yocto-check-layer only) yocto-check-layer, see above
# Any ERROR line, non-zero exit, or WARNING line not in the allow-list fails the step.
# Allowed WARNINGs: only "Buildfile specified, dependencies will not be handled" (printed by every `bitbake -b`).
# The offline baseline (same layers, no meta-vvehicle) prints no WARNING at all.
#
# Environment overrides (optional):
#   VVEHICLE_CHECK_REQUIRE   space-separated PN regexes that must be in the image graph
#   VVEHICLE_CHECK_FORBID    space-separated PN regexes that must NOT be in the image graph
#   VVEHICLE_CHECK_WARN_ALLOW  extra egrep regex of tolerated WARNING text
#   VVEHICLE_CHECK_USER      non-root user to run as when invoked as root (default: builder, uid 1001)
#
# Exit status: 0 if every step is OK, 1 if any step failed, 2 on usage/setup errors.
set -eo pipefail

prog=$(basename "$0")
die() { echo "$prog: $*" >&2; exit 2; }
usage() { sed -n '2,62p' "$0" | sed 's/^# \{0,1\}//'; }

SOURCES=""; LAYER=""; BUILD=""; NO_CLANG=0; IMAGE="vvehicle-image"; YOCTO_CHECK_LAYER=0
ENGINE=host; ENGINE_CLIENT=""; ENGINE_ARGS=(); DEBOOTSTRAP_MIRROR=""
ORIG_ARGS=("$@")
while [ $# -gt 0 ]; do
    case "$1" in
        --sources) SOURCES="$2"; shift 2 ;;
        --sources=*) SOURCES="${1#*=}"; shift ;;
        --layer) LAYER="$2"; shift 2 ;;
        --layer=*) LAYER="${1#*=}"; shift ;;
        --build) BUILD="$2"; shift 2 ;;
        --build=*) BUILD="${1#*=}"; shift ;;
        --image) IMAGE="$2"; shift 2 ;;
        --image=*) IMAGE="${1#*=}"; shift ;;
        --no-clang) NO_CLANG=1; shift ;;
        --yocto-check-layer) YOCTO_CHECK_LAYER=1; shift ;;
        --engine) ENGINE="$2"; shift 2 ;;
        --engine=*) ENGINE="${1#*=}"; shift ;;
        --engine-client) ENGINE_CLIENT="$2"; shift 2 ;;
        --engine-client=*) ENGINE_CLIENT="${1#*=}"; shift ;;
        --engine-arg) ENGINE_ARGS+=("$2"); shift 2 ;;
        --engine-arg=*) ENGINE_ARGS+=("${1#*=}"); shift ;;
        --debootstrap-mirror) DEBOOTSTRAP_MIRROR="$2"; shift 2 ;;
        --debootstrap-mirror=*) DEBOOTSTRAP_MIRROR="${1#*=}"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
[ -n "$SOURCES" ] || { usage >&2; die "--sources is required"; }
[ -n "$LAYER" ] || { usage >&2; die "--layer is required"; }
case "$ENGINE" in host|podman|docker) ;; *) die "--engine must be host, podman or docker (not $ENGINE)" ;; esac
SCRIPT=$(realpath -e "$0")
REPO=$(dirname "$(dirname "$SCRIPT")")
CLI="$REPO/dist/cli.js"
if [ "$ENGINE" != host ]; then
    command -v node >/dev/null || die "--engine $ENGINE runs bitbake through vvehicle, which needs node"
    [ -f "$CLI" ] || die "--engine $ENGINE runs bitbake through vvehicle: $CLI is missing (run npm run build in $REPO)"
fi
SOURCES=$(realpath -e "$SOURCES") || die "--sources: no such directory"
LAYER=$(realpath -e "$LAYER") || die "--layer: no such directory"

POKY="$SOURCES/external/poky"
OE="$SOURCES/external/meta-openembedded"
for f in "$POKY/oe-init-build-env" "$POKY/meta/conf/layer.conf" "$POKY/meta-poky/conf/layer.conf" \
         "$SOURCES/external/meta-lts-mixins_rust/conf/layer.conf" "$OE/meta-oe/conf/layer.conf" \
         "$OE/meta-python/conf/layer.conf" "$OE/meta-networking/conf/layer.conf" \
         "$OE/meta-filesystems/conf/layer.conf" "$SOURCES/meta-agl/meta-agl-core/conf/layer.conf" \
         "$SOURCES/meta-agl/meta-agl-bsp/conf/layer.conf"; do
    [ -f "$f" ] || die "--sources $SOURCES lacks $f (expected the AGL layout)"
done
[ "$NO_CLANG" = 1 ] || [ -f "$SOURCES/external/meta-clang/conf/layer.conf" ] \
    || die "--sources lacks external/meta-clang (use --no-clang to check without it)"
[ -f "$LAYER/conf/layer.conf" ] || die "--layer $LAYER has no conf/layer.conf"

if [ -z "$BUILD" ]; then
    BUILD="${HOME:-/tmp}/.cache/vvehicle/bitbake-check"
    [ "$(id -u)" = 0 ] && BUILD="/tmp/vvehicle-bitbake-check"
fi
mkdir -p "$BUILD"
BUILD=$(realpath -e "$BUILD")
MARKER="$BUILD/.vvehicle-bitbake-check"
if [ ! -e "$MARKER" ] && [ -n "$(ls -A "$BUILD")" ]; then
    die "--build $BUILD is not empty and was not made by this script; refusing to use it"
fi
touch "$MARKER"

# ---------------------------------------------------------------- bitbake refuses to run as root
if [ "$(id -u)" = 0 ] && [ "$ENGINE" != podman ]; then
    RUSER="${VVEHICLE_CHECK_USER:-builder}"
    if ! id "$RUSER" >/dev/null 2>&1; then
        if getent passwd 1001 >/dev/null; then
            die "user $RUSER missing and uid 1001 is taken by $(getent passwd 1001 | cut -d: -f1); set VVEHICLE_CHECK_USER"
        fi
        useradd -m -u 1001 -s /bin/bash "$RUSER" || die "could not create user $RUSER (uid 1001)"
        echo "$prog: created user $RUSER (uid 1001) to run bitbake" >&2
    fi
    if [ "$ENGINE" = host ] && ! locale -a 2>/dev/null | grep -qi '^en_US\.utf-\?8$'; then
        if [ -f /etc/locale.gen ] && command -v locale-gen >/dev/null; then
            sed -i 's/^# *en_US.UTF-8/en_US.UTF-8/' /etc/locale.gen && locale-gen >/dev/null
        fi
    fi
    chown -R "$RUSER": "$BUILD"
    readable=("$POKY/oe-init-build-env" "$LAYER/conf/layer.conf" "$SCRIPT")
    [ "$ENGINE" = host ] || readable+=("$CLI")
    for p in "${readable[@]}"; do
        runuser -u "$RUSER" -- test -r "$p" || die "user $RUSER cannot read $p (fix permissions)"
    done
    args=(--sources "$SOURCES" --layer "$LAYER" --build "$BUILD" --image "$IMAGE")
    [ "$NO_CLANG" = 1 ] && args+=(--no-clang)
    [ "$YOCTO_CHECK_LAYER" = 1 ] && args+=(--yocto-check-layer)
    args+=(--engine "$ENGINE")
    [ -n "$ENGINE_CLIENT" ] && args+=(--engine-client "$ENGINE_CLIENT")
    for a in "${ENGINE_ARGS[@]}"; do args+=("--engine-arg=$a"); done
    [ -n "$DEBOOTSTRAP_MIRROR" ] && args+=(--debootstrap-mirror "$DEBOOTSTRAP_MIRROR")
    # runuser gives the user their groups (docker); DOCKER_HOST/CONTAINER_HOST name the daemon to use
    exec runuser -u "$RUSER" -- env HOME="$(getent passwd "$RUSER" | cut -d: -f6)" \
        ${VVEHICLE_CHECK_REQUIRE:+VVEHICLE_CHECK_REQUIRE="$VVEHICLE_CHECK_REQUIRE"} \
        ${VVEHICLE_CHECK_FORBID:+VVEHICLE_CHECK_FORBID="$VVEHICLE_CHECK_FORBID"} \
        ${VVEHICLE_CHECK_WARN_ALLOW:+VVEHICLE_CHECK_WARN_ALLOW="$VVEHICLE_CHECK_WARN_ALLOW"} \
        ${DOCKER_HOST:+DOCKER_HOST="$DOCKER_HOST"} ${CONTAINER_HOST:+CONTAINER_HOST="$CONTAINER_HOST"} \
        ${CONTAINERS_CONF:+CONTAINERS_CONF="$CONTAINERS_CONF"} \
        bash "$SCRIPT" "${args[@]}"
fi

# ---------------------------------------------------------------- through a container engine
if [ "$ENGINE" != host ]; then
    # The same script runs inside vvehicle's builder image as `--engine host`, started the way `vvehicle
    # bitbake` starts bitbake (vvehicle shell): the product's own container argv, user mapping and cleanup.
    WORK="$BUILD/vvehicle-work"
    mkdir -p "$WORK"
    # podman run as root: bitbake runs as the builder image's user 1001, which writes conf/, logs and tmp/ here
    if [ "$(id -u)" = 0 ]; then chown 1001:1001 "$BUILD" "$MARKER"; fi
    # vvehicle clones the --sources checkouts (file://): git refuses to serve a repository another user owns
    # ("dubious ownership") unless it is a safe.directory. Trust exactly these, on top of the user's own config.
    {
        echo "# generated by $prog: the checkouts under --sources are read, never written"
        if [ -f "$HOME/.gitconfig" ]; then printf '[include]\n\tpath = %s\n' "$HOME/.gitconfig"; fi
        echo "[safe]"
        for rel in external/poky external/meta-lts-mixins_rust external/meta-openembedded external/meta-clang meta-agl; do
            printf '\tdirectory = %s\n\tdirectory = %s\n' "$SOURCES/$rel" "$SOURCES/$rel/.git"
        done
    } > "$WORK/gitconfig"
    export GIT_CONFIG_GLOBAL="$WORK/gitconfig"
    {
        echo "# generated by $prog - regenerated on every run: vvehicle's build env from the checkouts under --sources"
        echo "extends: gateway-qemuarm64"
        echo "sources:"
        echo "  repos:"
        for pair in poky=external/poky meta-lts-mixins=external/meta-lts-mixins_rust \
                    meta-openembedded=external/meta-openembedded meta-clang=external/meta-clang meta-agl=meta-agl; do
            name=${pair%%=*}; rel=${pair#*=}
            if [ ! -d "$SOURCES/$rel" ]; then echo "    $name: null"; continue; fi
            commit=$(git -C "$SOURCES/$rel" rev-parse HEAD 2>/dev/null) \
                || die "--engine $ENGINE: $SOURCES/$rel is not a git checkout (vvehicle clones it into $WORK)"
            echo "    $name: { url: 'file://$SOURCES/$rel', commit: $commit }"
        done
        echo "build:"
        echo "  engine: $ENGINE"
        echo "  mounts: ['$SOURCES:ro', '$LAYER:ro', '$BUILD:rw', '$(dirname "$SCRIPT"):ro']"
        if [ -n "$DEBOOTSTRAP_MIRROR" ]; then echo "  builderBase: { debootstrapMirror: '$DEBOOTSTRAP_MIRROR' }"; fi
    } > "$WORK/vvehicle.yml"
    inner=(env ${VVEHICLE_CHECK_REQUIRE:+VVEHICLE_CHECK_REQUIRE="$VVEHICLE_CHECK_REQUIRE"}
           ${VVEHICLE_CHECK_FORBID:+VVEHICLE_CHECK_FORBID="$VVEHICLE_CHECK_FORBID"}
           ${VVEHICLE_CHECK_WARN_ALLOW:+VVEHICLE_CHECK_WARN_ALLOW="$VVEHICLE_CHECK_WARN_ALLOW"}
           bash "$SCRIPT" --engine host --sources "$SOURCES" --layer "$LAYER" --build "$BUILD" --image "$IMAGE")
    [ "$NO_CLANG" = 1 ] && inner+=(--no-clang)
    [ "$YOCTO_CHECK_LAYER" = 1 ] && inner+=(--yocto-check-layer)
    flags=(--engine "$ENGINE")
    [ -n "$ENGINE_CLIENT" ] && flags+=(--engine-client "$ENGINE_CLIENT")
    for a in "${ENGINE_ARGS[@]}"; do flags+=("--engine-arg=$a"); done
    echo "== through $ENGINE as uid $(id -u): node $CLI shell -c $WORK/vvehicle.yml -w $WORK ${flags[*]} -- ${inner[*]}" >&2
    rc=0
    node "$CLI" shell -c "$WORK/vvehicle.yml" -w "$WORK" "${flags[@]}" -- "${inner[@]}" < /dev/null || rc=$?
    who="uid $(id -u)"
    if [ "$(id -u)" = 0 ]; then who="the image's user 1001 (vvehicle ran as root)"; fi
    echo "engine:  $ENGINE ($(command -v "${ENGINE_CLIENT:-$ENGINE}") ${ENGINE_ARGS[*]}), bitbake inside vvehicle's builder image as $who (vvehicle work dir $WORK); exit $rc"
    exit "$rc"
fi

locale -a 2>/dev/null | grep -qi '^en_US\.utf-\?8$' \
    || die "bitbake needs the en_US.UTF-8 locale (as root: sed -i 's/^# *en_US.UTF-8/en_US.UTF-8/' /etc/locale.gen && locale-gen)"
export LANG=en_US.UTF-8 LC_ALL=en_US.UTF-8

# ---------------------------------------------------------------- configuration
mkdir -p "$BUILD/conf"
LOGS="$BUILD/check-logs"
rm -rf "$LOGS"; mkdir -p "$LOGS"

LAYER_COLLECTION=$(sed -n 's/^[[:space:]]*BBFILE_COLLECTIONS[[:space:]]*+\{0,1\}=[[:space:]]*"[[:space:]]*\([^" ]*\).*/\1/p' \
                   "$LAYER/conf/layer.conf" | head -1)
{
    echo "# generated by $prog - regenerated on every run"
    echo 'LCONF_VERSION = "7"'
    echo 'BBPATH = "${TOPDIR}"'
    echo 'BBFILES ?= ""'
    echo 'BBLAYERS ?= " \'
    for l in external/poky/meta external/poky/meta-poky external/meta-lts-mixins_rust \
             external/meta-openembedded/meta-oe external/meta-openembedded/meta-python \
             external/meta-openembedded/meta-networking external/meta-openembedded/meta-filesystems \
             external/meta-clang meta-agl/meta-agl-core meta-agl/meta-agl-bsp; do
        [ "$NO_CLANG" = 1 ] && [ "$l" = external/meta-clang ] && continue
        echo "  $SOURCES/$l \\"
    done
    echo "  $LAYER \\"
    echo '  "'
} > "$BUILD/conf/bblayers.conf"

LAYER_CONF_NOTE="none"
{
    echo "# generated by $prog - regenerated on every run"
    echo 'MACHINE = "qemuarm64"'
    echo 'DISTRO = "agl"'
    echo 'require conf/include/base-agl.inc'
    echo 'require conf/include/agl_qemuarm64.inc'
    echo 'BB_NO_NETWORK = "1"'
    echo 'INHERIT:remove = "uninative"'
    echo 'DL_DIR = "${TOPDIR}/downloads"'
    echo 'SSTATE_DIR = "${TOPDIR}/sstate-cache"'
    echo 'CONF_VERSION = "2"'
    if [ -f "$LAYER/conf/include/vvehicle.inc" ]; then
        # the same line vvehicle's managed conf/vvehicle.conf carries: the layer's own settings
        # (systemd-networkd instead of connman, BTF) are part of what is checked
        echo 'require conf/include/vvehicle.inc'
        LAYER_CONF_NOTE="require conf/include/vvehicle.inc"
    else
        echo '# no conf/include/vvehicle.inc in the layer: gateway default only'
        echo 'VIRTUAL-RUNTIME_net_manager = "systemd"'
    fi
} > "$BUILD/conf/local.conf"

# ---------------------------------------------------------------- helpers
WARN_ALLOW='Buildfile specified, dependencies will not be handled'
[ -n "$VVEHICLE_CHECK_WARN_ALLOW" ] && WARN_ALLOW="$WARN_ALLOW|$VVEHICLE_CHECK_WARN_ALLOW"
REQUIRE=${VVEHICLE_CHECK_REQUIRE:-"ueransim otelcol-contrib node[-_]exporter bpftool vvehicle-health systemd"}
FORBID=${VVEHICLE_CHECK_FORBID:-"connman.*"}

SUMMARY=()
FAILED=0
record() {  # record NAME STATUS SECONDS NOTE
    SUMMARY+=("$(printf '%-4s %7.1fs  %-34s %s' "$2" "$3" "$1" "$4")")
    [ "$2" = OK ] || FAILED=1
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# run_bb NAME LOGFILE CMD... : runs a bitbake command, sets STEP_STATUS/STEP_NOTE from exit code,
# ERROR lines and non-allowed WARNING lines
run_bb() {
    local name=$1 log=$2; shift 2
    local rc=0 errs warns bad
    echo "== $name: $*" >&2
    { echo "\$ $*"; "$@" 2>&1 | cat; } > "$log" || rc=$?
    errs=$(grep -c '^ERROR:' "$log" || true)
    warns=$(grep '^WARNING:' "$log" || true)
    bad=$(printf '%s\n' "$warns" | grep -v '^$' | grep -Ev "$WARN_ALLOW" || true)
    STEP_STATUS=OK; STEP_NOTE=""
    if [ "$rc" != 0 ] || [ "$errs" != 0 ]; then
        STEP_STATUS=FAIL; STEP_NOTE="exit $rc, $errs ERROR line(s)"
        grep -E '^ERROR:|^NOTE: .*Failed|^Summary: ' "$log" | head -20 | sed 's/^/   /' >&2 || true
    fi
    if [ -n "$bad" ]; then
        STEP_STATUS=FAIL
        STEP_NOTE="${STEP_NOTE:+$STEP_NOTE; }$(printf '%s\n' "$bad" | wc -l) unexpected WARNING line(s)"
        printf '%s\n' "$bad" | head -20 | sed 's/^/   /' >&2
    fi
    STEP_NOTE="${STEP_NOTE:-clean}"
    return 0
}

# ---------------------------------------------------------------- environment
set +e
cd "$POKY"
# shellcheck disable=SC1091
source ./oe-init-build-env "$BUILD" > "$LOGS/00-oe-init-build-env.log" 2>&1
rc=$?
set -e
[ "$rc" = 0 ] || { cat "$LOGS/00-oe-init-build-env.log" >&2; die "oe-init-build-env failed"; }
cd "$BUILD"
echo "== build dir $BUILD (logs in $LOGS); layer $LAYER (${LAYER_COLLECTION:-?}); layer conf: $LAYER_CONF_NOTE" >&2

# 1. show-layers
t0=$(now)
run_bb show-layers "$LOGS/01-show-layers.log" bitbake-layers show-layers
if [ "$STEP_STATUS" = OK ] && ! awk -v p="$LAYER" '$2 == p { found = 1 } END { exit !found }' "$LOGS/01-show-layers.log"; then
    STEP_STATUS=FAIL; STEP_NOTE="layer $LAYER not listed"
fi
record "bitbake-layers show-layers" "$STEP_STATUS" "$(elapsed "$t0")" "$STEP_NOTE"

# 2. parse
t0=$(now)
run_bb parse "$LOGS/02-parse.log" bitbake -p
record "bitbake -p" "$STEP_STATUS" "$(elapsed "$t0")" "$STEP_NOTE"

# 3. task graph of the image + component checks
t0=$(now)
rm -f task-depends.dot pn-buildlist
run_bb graph "$LOGS/03-graph.log" bitbake -g "$IMAGE"
if [ -s task-depends.dot ]; then
    cp task-depends.dot "$LOGS/03-task-depends.dot"
    sed -n 's/^"\([^"]*\)\.do_[^".]*" \[label=.*/\1/p' task-depends.dot | sort -u > "$LOGS/03-recipes.txt"
    missing=(); present=()
    for re in $REQUIRE; do grep -Eqx -- "$re" "$LOGS/03-recipes.txt" || missing+=("$re"); done
    for re in $FORBID; do
        hit=$(grep -Ex -- "$re" "$LOGS/03-recipes.txt" | tr '\n' ' ' || true)
        if [ -n "$hit" ]; then present+=("$hit"); fi
    done
    comp="$(wc -l < "$LOGS/03-recipes.txt") recipes"
    if [ ${#missing[@]} -gt 0 ] || [ ${#present[@]} -gt 0 ]; then
        STEP_STATUS=FAIL
        if [ ${#missing[@]} -gt 0 ]; then comp="$comp; missing: ${missing[*]}"; fi
        if [ ${#present[@]} -gt 0 ]; then comp="$comp; forbidden present: ${present[*]}"; fi
    else
        comp="$comp; all required present, none forbidden"
    fi
    if [ "$STEP_NOTE" = clean ]; then STEP_NOTE="$comp"; else STEP_NOTE="$STEP_NOTE; $comp"; fi
elif [ "$STEP_STATUS" = OK ]; then
    STEP_STATUS=FAIL; STEP_NOTE="no task-depends.dot written"
fi
record "bitbake -g $IMAGE" "$STEP_STATUS" "$(elapsed "$t0")" "$STEP_NOTE"

# 4. license QA for every layer recipe with only file:// sources
t0=$(now)
cat > "$LOGS/list-recipes.py" <<'PY'
# lists the layer's recipes: "<kind>\t<file>\t<detail>", kind = local|remote|nolic|skipped|inactive|error
import os, sys
import bb.tinfoil
layer = os.path.realpath(sys.argv[1])
out = []
with bb.tinfoil.Tinfoil() as tinfoil:
    tinfoil.prepare(config_only=False, quiet=2)
    active = set(os.path.realpath(f) for f in tinfoil.all_recipe_files(variants=False))
    skipped = {}
    for fn, info in tinfoil.get_skipped_recipes().items():
        real = os.path.realpath(fn.split(':')[-1])
        skipped.setdefault(real, info.skipreason)
    for root, dirs, files in os.walk(layer):
        dirs[:] = sorted(d for d in dirs if not d.startswith('.'))
        for f in sorted(files):
            if not f.endswith('.bb'):
                continue
            fn = os.path.realpath(os.path.join(root, f))
            if fn not in active:
                if fn in skipped:
                    out.append(('skipped', fn, skipped[fn] or ''))
                else:
                    out.append(('inactive', fn, 'not in BBFILES (e.g. inactive BBFILES_DYNAMIC)'))
                continue
            try:
                d = tinfoil.parse_recipe_file(fn)
            except Exception as e:
                out.append(('error', fn, str(e).replace('\n', ' ')))
                continue
            if 'do_populate_lic' not in (d.getVar('__BBTASKS', False) or []):
                kind = 'image' if bb.data.inherits_class('image', d) else 'recipe'
                out.append(('nolic', fn, '%s without do_populate_lic' % kind))
                continue
            uris = (d.getVar('SRC_URI') or '').split()
            remote = [u for u in uris if not u.startswith('file://')]
            if remote:
                out.append(('remote', fn, remote[0]))
            else:
                out.append(('local', fn, '%d file:// entries' % len(uris)))
for kind, fn, detail in out:
    print('%s\t%s\t%s' % (kind, fn, detail))
PY
lic_rc=0
python3 "$LOGS/list-recipes.py" "$LAYER" > "$LOGS/04-recipes.tsv" 2> "$LOGS/04-list-recipes.log" || lic_rc=$?
record_lic_list_status=OK; lic_note=""
if [ "$lic_rc" != 0 ]; then
    record_lic_list_status=FAIL; lic_note="could not list recipes (see $LOGS/04-list-recipes.log)"
fi
if [ "$record_lic_list_status" = OK ]; then
    nlocal=$(grep -c '^local' "$LOGS/04-recipes.tsv" || true)
    nremote=$(grep -c '^remote' "$LOGS/04-recipes.tsv" || true)
    ninactive=$(grep -c '^inactive' "$LOGS/04-recipes.tsv" || true)
    nnolic=$(grep -c '^nolic' "$LOGS/04-recipes.tsv" || true)
    lic_note="$nlocal file://-only, $nremote remote SRC_URI (not run), $nnolic without do_populate_lic (e.g. images), $ninactive inactive"
    while IFS=$'\t' read -r kind fn detail; do
        rel=${fn#"$LAYER"/}
        case "$kind" in
            skipped) record "skipped at parse: $(basename "$fn")" FAIL 0 "$detail"; echo "   $rel skipped: $detail" >&2 ;;
            error)   record "parse: $(basename "$fn")" FAIL 0 "$detail" ;;
        esac
    done < "$LOGS/04-recipes.tsv"
fi
record "list layer recipes" "$record_lic_list_status" "$(elapsed "$t0")" "$lic_note"
i=0
if [ "$record_lic_list_status" = OK ]; then
    while IFS=$'\t' read -r kind fn detail; do
        [ "$kind" = local ] || continue
        i=$((i + 1))
        t1=$(now)
        run_bb "populate_lic $(basename "$fn")" "$LOGS/05-populate_lic-$(basename "$fn" .bb).log" \
            bitbake -b "$fn" -c populate_lic < /dev/null
        record "populate_lic $(basename "$fn")" "$STEP_STATUS" "$(elapsed "$t1")" "$STEP_NOTE"
    done < "$LOGS/04-recipes.tsv"
fi

# 6. yocto-check-layer (opt-in)
if [ "$YOCTO_CHECK_LAYER" = 1 ]; then
    t0=$(now)
    YBUILD="$BUILD/yocto-check-layer"
    YLOG="$LOGS/06-yocto-check-layer.log"
    mkdir -p "$YBUILD/conf"
    # yocto-check-layer needs the layer under test (and its dependencies) OUT of BBLAYERS: it hashes world
    # first without them, adds the dependencies, then the layer, and compares. It restores bblayers.conf
    # from bblayers.conf.backup when done; an interrupted run leaves the backup, so start clean.
    rm -f "$YBUILD/conf/bblayers.conf.backup"
    {
        echo "# generated by $prog for yocto-check-layer - regenerated on every run"
        echo 'LCONF_VERSION = "7"'
        echo 'BBPATH = "${TOPDIR}"'
        echo 'BBFILES ?= ""'
        echo "BBLAYERS ?= \"$POKY/meta $POKY/meta-poky $POKY/meta-yocto-bsp\""
    } > "$YBUILD/conf/bblayers.conf"
    {
        echo "# generated by $prog for yocto-check-layer - regenerated on every run"
        echo 'MACHINE = "qemuarm64"'
        echo 'DISTRO = "poky"'
        echo 'BB_NO_NETWORK = "1"'
        echo 'INHERIT:remove = "uninative"'
        echo "DL_DIR = \"$BUILD/downloads\""
        echo 'SSTATE_DIR = "${TOPDIR}/sstate-cache"'
        echo 'CONF_VERSION = "2"'
    } > "$YBUILD/conf/local.conf"
    deps=("$OE/meta-oe" "$OE/meta-python" "$OE/meta-networking" "$SOURCES/meta-agl/meta-agl-core")
    [ "$NO_CLANG" = 1 ] || deps+=("$SOURCES/external/meta-clang")
    ycl=(yocto-check-layer "$LAYER" --machines qemuarm64 --no-auto-dependency --dependency "${deps[@]}")
    # in BBLAYERS before the first hash and after: the dynamic clang-layer bbappend is then parsed too
    [ "$NO_CLANG" = 1 ] || ycl+=(--additional-layers "$SOURCES/external/meta-clang")
    echo "== yocto-check-layer: ${ycl[*]} (build dir $YBUILD; slow)" >&2
    ycl_rc=0
    (
        set +e
        cd "$POKY"
        # shellcheck disable=SC1091
        source ./oe-init-build-env "$YBUILD" > /dev/null 2>&1 || { echo "oe-init-build-env $YBUILD failed"; exit 1; }
        echo "\$ ${ycl[*]}"
        "${ycl[@]}"
    ) > "$YLOG" 2>&1 < /dev/null || ycl_rc=$?
    LAYER_NAME=$(basename "$LAYER")
    ran=$(grep -Eo 'Ran [0-9]+ tests? in [0-9.]+s' "$YLOG" | tail -1 || true)
    verdict=$(grep -Eo '(^|INFO: )(OK|FAILED)( \([^)]*\))?$' "$YLOG" | sed 's/^INFO: //' | tail -1 || true)
    status_line=$(grep -E "^INFO: [^ ]+ \.\.\. [A-Z]+" "$YLOG" | sed 's/^INFO: //' | tr '\n' ';' | sed 's/;$//' || true)
    # tests of the common set that were skipped (BSP/distro classes are skipped by layer type, that is expected).
    # unittest at verbosity 2 logs "INFO: test_x (common.CommonCheckLayer.test_x)" and, on the same or a later
    # line, "... ok" / "... skipped 'why'".
    skipped_common=$(awk '
        /^INFO: test_[a-z_]+ \(/ { t = ($0 ~ /CommonCheckLayer/) ? $2 : "" }
        /^INFO: +\.\.\. |^INFO: test_[a-z_]+ \(.*\) \.\.\. / { r = $0; sub(/.* \.\.\. /, "", r); if (t != "" && r ~ /^skipped/) print t; t = "" }
    ' "$YLOG" | sort -u | tr '\n' ' ' || true)
    STEP_STATUS=OK
    STEP_NOTE="${ran:-no test run}; ${verdict:-no verdict}; ${status_line:-no summary}"
    if [ "$ycl_rc" != 0 ] || ! grep -Eq "^INFO: $LAYER_NAME \.\.\. PASS\$" "$YLOG"; then
        STEP_STATUS=FAIL; STEP_NOTE="exit $ycl_rc; $STEP_NOTE"
        grep -E '^(ERROR|FAIL|INFO: (FAIL|ERROR)):|^AssertionError|changed signatures|Nothing RPROVIDES|was skipped' "$YLOG" | head -20 | sed 's/^/   /' >&2 || true
    fi
    if [ -n "$skipped_common" ]; then
        STEP_STATUS=FAIL; STEP_NOTE="$STEP_NOTE; skipped: $skipped_common"
    fi
    record "yocto-check-layer" "$STEP_STATUS" "$(elapsed "$t0")" "$STEP_NOTE"
fi

# ---------------------------------------------------------------- summary
echo
echo "==== real-bitbake-check summary ($(date -u +%FT%TZ))"
echo "sources: $SOURCES$([ "$NO_CLANG" = 1 ] && echo ' (without meta-clang)')"
echo "layer:   $LAYER (${LAYER_COLLECTION:-?}); layer conf: $LAYER_CONF_NOTE"
echo "build:   $BUILD   logs: $LOGS"
printf '%s\n' "${SUMMARY[@]}"
if [ "$FAILED" = 0 ]; then
    echo "RESULT: OK"
    exit 0
fi
echo "RESULT: FAIL"
exit 1
