#!/usr/bin/env bash
# Builds the round-trip corpus into corpus/build/ (git-ignored):
#   build/programs/NAME.wasm  from corpus/programs/NAME.c (clang-14, wasm32-wasi, -O2)
#   build/npm/PACKAGE-FILE.wasm  extracted from pinned npm tarballs, sha256-checked
# Safe to re-run: up-to-date programs and verified modules are skipped.
set -euo pipefail
shopt -s nullglob

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$here/build"
clang="${CLANG:-clang-14}"
registry="https://registry.npmjs.org"

die() {
    echo "fetch.sh: error: $*" >&2
    exit 1
}

# ---- tools ----

if ! command -v "$clang" >/dev/null 2>&1; then
    echo "fetch.sh: $clang not found; installing clang-14 and wasi-libc with apt-get"
    command -v apt-get >/dev/null 2>&1 || die "apt-get not available; install clang-14, lld-14, wasi-libc and libclang-rt-14-dev-wasm32 by hand"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        sudo="sudo"
    fi
    $sudo apt-get update
    $sudo apt-get install -y clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32
    command -v "$clang" >/dev/null 2>&1 || die "$clang still not found after installing"
fi
for tool in curl tar sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done
# node runs the programs (corpus/run-wasi.mjs); it is not needed to fetch or build.
for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "fetch.sh: warning: $tool not found; install Node.js >= 20 to run the programs (corpus/run-wasi.mjs)" >&2
    fi
done

# ---- C programs ----

mkdir -p "$build/programs"
for src in "$here"/programs/*.c; do
    name="$(basename "$src" .c)"
    out="$build/programs/$name.wasm"
    if [ -f "$out" ] && [ "$out" -nt "$src" ]; then
        state="up to date"
    else
        "$clang" --target=wasm32-wasi -O2 "$src" -o "$out.tmp"
        mv "$out.tmp" "$out"
        state="built"
    fi
    printf 'program %-40s %10s bytes  %s\n' "programs/$name.wasm" "$(stat -c %s "$out")" "$state"
done

# ---- npm modules ----
# package  version  tarball sha256  file in the tarball (under package/)  file sha256

modules=(
    "sql.js 1.16.0 bb6f5c7e4ac6de569e4f3eee38122b56d777c387ec74fbb1a7075adf37097df6 dist/sql-wasm.wasm 43bbcdd44287e5a2db3b6b5af34b1a3485a7a441285d247976c1ebe3c61f8dbf"
    "brotli-wasm 3.0.1 413c3589dae9b5a9971c24c8649cdf1e5c8cedb110067a381786930ed614f174 pkg.node/brotli_wasm_bg.wasm 6d5e77ad86911b665421dc98e6cedecb0977637afe5cf73d574758d9a2cade90"
    "@jsquash/webp 1.5.0 b543cb1fc17e99c31e992a71d70da570d1bc1871ce3a88440df067e5b2e6ee9e codec/enc/webp_enc.wasm b6085bb6702f144e9dc6016d58d230b34a84976bf0d080b7390b4b4b137d6ab7"
    "@jsquash/webp 1.5.0 b543cb1fc17e99c31e992a71d70da570d1bc1871ce3a88440df067e5b2e6ee9e codec/enc/webp_enc_simd.wasm 39c279269ec1163b987b6d69749458e3d5b03b9585f58b6ca5455b76b504a305"
    "@jsquash/jpeg 1.6.0 b546f01dce888337bf132c5113b78a91a8ad76c1fe54740b2632546dda3b41b8 codec/enc/mozjpeg_enc.wasm 24d4177f1c4963e2058b107189249651c61fdef125570e79b1dfb63c8bb49326"
    "@jsquash/png 3.1.1 bd2a9b1ea9f39d1ddaaf088f14e97a62cfb53b1b3868e5a2a65567ccdacb0e2e codec/pkg/squoosh_png_bg.wasm 263d6e658808a74b72a1a99c5cc1d619237e70c150db6e41d5d84d3d117ab9be"
    "@bokuweb/zstd-wasm 0.0.27 680a6ae81375a786c30671cf3824ff8c1d04657b5e540b4f92178897f2210344 dist/common/zstd.wasm 80260eee5795ee8072bb5821e203730c74dca3909938f5ac1128da67f96223df"
    "esbuild-wasm 0.28.2 61594de12ce998652be2aa0ab72dda54bfa49407fb37ee3464468a2aac306baa esbuild.wasm b1831a5c0f6cf688034fb94d0419812f165ea316a3380d3fc00a151e562d2eaf"
)

# Succeeds if file $1 exists and has sha256 $2.
verified() {
    [ -f "$1" ] && echo "$2  $1" | sha256sum -c --status -
}

mkdir -p "$build/npm/tarballs"
for entry in "${modules[@]}"; do
    read -r pkg version tgz_sha path wasm_sha <<<"$entry"
    base="${pkg##*/}"                          # @scope/name -> name
    flat="$(echo "${pkg#@}" | tr / -)"         # @scope/name -> scope-name
    out="$build/npm/$flat-$(basename "$path" .wasm).wasm"
    tgz="$build/npm/tarballs/$flat-$version.tgz"

    if verified "$out" "$wasm_sha"; then
        state="cached"
    else
        if ! verified "$tgz" "$tgz_sha"; then
            curl -fsSL --retry 3 -o "$tgz.part" "$registry/$pkg/-/$base-$version.tgz" ||
                die "download of $pkg@$version failed"
            if ! echo "$tgz_sha  $tgz.part" | sha256sum -c --quiet -; then
                rm -f "$tgz.part"
                die "CHECKSUM MISMATCH for $pkg@$version tarball (expected $tgz_sha)"
            fi
            mv "$tgz.part" "$tgz"
        fi
        tar -xzf "$tgz" -O "package/$path" >"$out.tmp" || die "$path not found in $pkg@$version"
        if ! echo "$wasm_sha  $out.tmp" | sha256sum -c --quiet -; then
            rm -f "$out.tmp"
            die "CHECKSUM MISMATCH for $path in $pkg@$version (expected $wasm_sha)"
        fi
        mv "$out.tmp" "$out"
        state="fetched"
    fi
    printf 'npm     %-40s %10s bytes  %s  (%s@%s %s)\n' "npm/$(basename "$out")" "$(stat -c %s "$out")" "$state" \
        "$pkg" "$version" "$path"
done
