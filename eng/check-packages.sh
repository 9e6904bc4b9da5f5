#!/usr/bin/env bash
# Checks packed packages: usage: eng/check-packages.sh FOLDER VERSION ID...
# Each ID must have ID.VERSION.nupkg and .snupkg in FOLDER, the nupkg holding README.md, LICENSE, the
# repository metadata and its assembly. Prints one line per problem; exits 1 if there is any.
set -uo pipefail
folder=$1; version=$2; shift 2
problems=0
fail() { echo "FAIL: $*"; problems=$((problems + 1)); }
for id in "$@"; do
  package="$folder/$id.$version.nupkg"
  if [ ! -f "$package" ]; then fail "$package is missing"; continue; fi
  [ -f "$folder/$id.$version.snupkg" ] || fail "$id.$version.snupkg (symbols) is missing"
  files=$(unzip -Z1 "$package")
  for needed in README.md LICENSE "$id.nuspec"; do
    grep -qx "$needed" <<<"$files" || fail "$package has no $needed"
  done
  grep -q '\.dll$' <<<"$files" || fail "$package holds no assembly"
  nuspec=$(unzip -p "$package" "$id.nuspec")
  grep -q "<version>$version</version>" <<<"$nuspec" || fail "$package does not say version $version"
  grep -q '<repository type="git" url="https://' <<<"$nuspec" || fail "$package has no repository metadata"
  grep -q '<license type="expression">Apache-2.0</license>' <<<"$nuspec" || fail "$package does not declare Apache-2.0"
  grep -q '<readme>README.md</readme>' <<<"$nuspec" || fail "$package does not declare its README"
done
others=$(find "$folder" -name '*.nupkg' | wc -l)
[ "$others" -eq "$#" ] || fail "$folder holds $others packages, expected $#: $(ls "$folder")"
[ "$problems" -eq 0 ] && echo "packages OK: $* at $version"
exit $((problems > 0))
