#!/usr/bin/env bash
# Consumer builds (DESIGN section 10): the README's first example
# (tests/consumers/main.cpp) built the ways a user's project builds against
# tempio, each with -Wall -Wextra -Werror, then run and its output checked:
#   add_subdirectory  tests/consumers/add_subdirectory, on this checkout
#   FetchContent      tests/consumers/fetchcontent, cloning this checkout's
#                     HEAD (committed work only) over file://
#   find_package      tests/consumers/find_package against fresh prefixes: the
#                     static library, the shared one (BUILD_SHARED_LIBS=ON),
#                     and the static build tree (-Dtempio_DIR=<build dir>)
#   pkg-config        c++ main.cpp $(pkg-config --cflags --libs tempio),
#                     against the static and the shared prefix
# Everything is configured from scratch each run (a first-configure bug hides
# in a reused cache); ccache makes the rebuilds cheap.
#   TEMPIO_CONSUMERS_DIR  work directory (default build/consumers)
#   TEMPIO_JOBS           parallel jobs (default: nproc)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh pkgconf git
src=$PWD
work=${TEMPIO_CONSUMERS_DIR:-$src/build/consumers}
jobs=${TEMPIO_JOBS:-$(nproc)}
cxx=${CXX:-g++}
cmake_args=(-G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
library_only=(-DTEMPIO_BUILD_TESTS=OFF -DTEMPIO_BUILD_EXAMPLES=OFF -DTEMPIO_BUILD_BENCH=OFF)
expected="Temporary file content"

# main.cpp is the README's first example, apart from its leading comment.
readme_example=$(awk '/^```cpp$/ { inside = 1; next } inside && /^```$/ { exit } inside' README.md)
if [ "$readme_example" != "$(grep -v '^//' tests/consumers/main.cpp)" ]; then
  echo "tests/consumers/main.cpp differs from the README's first example:" >&2
  diff <(echo "$readme_example") <(grep -v '^//' tests/consumers/main.cpp) >&2 || true
  exit 1
fi

# check NAME COMMAND...: runs the consumer's program, which must print the
# example's output and nothing else.
check() {
  local name=$1 out
  shift
  out=$("$@")
  if [ "$out" != "$expected" ]; then
    echo "consumer $name printed \"$out\", expected \"$expected\"" >&2
    exit 1
  fi
  echo "== consumer $name: ok"
}

# consumer NAME PROJECT CMAKE_ARGS...: configures and builds a consumer project.
consumer() {
  local name=$1 project=$2
  shift 2
  echo "== consumer $name"
  cmake -S "tests/consumers/$project" -B "$work/$name" "${cmake_args[@]}" "$@" >/dev/null
  cmake --build "$work/$name" -j "$jobs"
}

rm -rf "$work"
mkdir -p "$work"

# The library, installed as a user would: the static one with the prefix
# given at configure time, the shared one with `cmake --install --prefix`.
echo "== library, static"
cmake -S . -B "$work/lib-static" "${cmake_args[@]}" "${library_only[@]}" \
  -DCMAKE_INSTALL_PREFIX="$work/prefix-static" >/dev/null
cmake --build "$work/lib-static" -j "$jobs"
cmake --install "$work/lib-static" >/dev/null
echo "== library, shared"
cmake -S . -B "$work/lib-shared" "${cmake_args[@]}" "${library_only[@]}" -DBUILD_SHARED_LIBS=ON >/dev/null
cmake --build "$work/lib-shared" -j "$jobs"
cmake --install "$work/lib-shared" --prefix "$work/prefix-shared" >/dev/null

# find_package, from each prefix and from the build tree.
consumer find_package-static find_package -DCMAKE_PREFIX_PATH="$work/prefix-static"
consumer find_package-shared find_package -DCMAKE_PREFIX_PATH="$work/prefix-shared"
consumer find_package-build-tree find_package -Dtempio_DIR="$work/lib-static"
# Each found the tempio it was pointed at, not one installed elsewhere.
for pair in static:prefix-static/lib/cmake/tempio shared:prefix-shared/lib/cmake/tempio \
            build-tree:lib-static; do
  used=$(sed -n 's/^tempio_DIR:[A-Z]*=//p' "$work/find_package-${pair%%:*}/CMakeCache.txt")
  [ "$used" = "$work/${pair#*:}" ] \
    || { echo "find_package-${pair%%:*} used $used, not $work/${pair#*:}" >&2; exit 1; }
done
# The shared consumer runs on the installed libtempio.so (its RPATH).
ldd "$work/find_package-shared/app" | grep "$work/prefix-shared/lib/libtempio.so.0" >/dev/null \
  || { echo "find_package-shared does not use the installed libtempio.so" >&2; exit 1; }
check find_package-static "$work/find_package-static/app"
check find_package-shared "$work/find_package-shared/app"
check find_package-build-tree "$work/find_package-build-tree/app"

# pkg-config, with each prefix.
for kind in static shared; do
  echo "== consumer pkg-config-$kind"
  prefix=$work/prefix-$kind
  flags=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs tempio)
  echo "pkg-config --cflags --libs tempio: $flags"
  # shellcheck disable=SC2086 # $flags is a list of flags
  ccache "$cxx" -std=c++20 -O2 -Wall -Wextra -Werror tests/consumers/main.cpp \
    -o "$work/pkg-config-$kind" $flags
  check "pkg-config-$kind" env LD_LIBRARY_PATH="$prefix/lib" "$work/pkg-config-$kind"
done

# add_subdirectory and FetchContent build tempio inside the consumer.
consumer add_subdirectory add_subdirectory -DTEMPIO_SOURCE_DIR="$src"
check add_subdirectory "$work/add_subdirectory/app"
consumer fetchcontent fetchcontent -DTEMPIO_GIT_REPOSITORY="file://$src" \
  -DTEMPIO_GIT_TAG="$(git rev-parse HEAD)"
check fetchcontent "$work/fetchcontent/app"
echo "== all consumers ok"
