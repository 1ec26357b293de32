# Node.js for the browser tests. Source this file, then call `use_node 20`.
#
# playwright-core needs Node.js 20 or later. Debian 12's own nodejs package is 18, so when the
# node on PATH is older, this fetches the official Node.js build for this machine from the npm
# registry (the node-linux-<arch> package: the same binaries as nodejs.org's tarballs) into
# tests/browser/.node, once, and puts it first on PATH. Nothing outside the repository changes.

NODE_FALLBACK_VERSION=20.19.5

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

use_node() {
    local want=$1 dir arch tmp
    if [ "$(node_major)" -ge "$want" ]; then return 0; fi
    dir="$PWD/tests/browser/.node/$NODE_FALLBACK_VERSION"
    if [ ! -x "$dir/bin/node" ]; then
        case $(uname -m) in
            x86_64) arch=x64 ;;
            aarch64) arch=arm64 ;;
            *) echo "no Node.js $want build for $(uname -m): install Node.js $want or later" >&2; return 1 ;;
        esac
        echo "   Node.js $(node --version 2>/dev/null || echo missing) is older than $want: fetching Node.js $NODE_FALLBACK_VERSION from the npm registry"
        tmp=$(mktemp -d)
        (cd "$tmp" && npm pack --silent "node-linux-$arch@$NODE_FALLBACK_VERSION" >/dev/null) || { rm -rf "$tmp"; return 1; }
        mkdir -p "$dir"
        tar -xzf "$tmp"/node-linux-*.tgz -C "$dir" --strip-components=1
        rm -rf "$tmp"
    fi
    export PATH="$dir/bin:$PATH"
    if [ "$(node_major)" -lt "$want" ]; then echo "Node.js $want is needed, and $dir/bin/node is $(node --version)" >&2; return 1; fi
}
