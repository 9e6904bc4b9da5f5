#!/usr/bin/env bash
# Declares the public API a change added or removed, in PublicAPI.Unshipped.txt, for every library that tracks
# its public API (a PublicAPI.Shipped.txt beside its .csproj), or for the projects given:
#
#   bash eng/update-public-api.sh                    # all libraries
#   bash eng/update-public-api.sh Kekbit.Core        # one (a folder or a .csproj)
#
# Added members (RS0016) are declared by the analyzer's own code fix, through `dotnet format analyzers`.
# Removed members (RS0017) are taken from the build's messages: a removed member that was only in
# PublicAPI.Unshipped.txt loses its line there; one that shipped gets a *REMOVED* line in PublicAPI.Unshipped.txt.
# Then the library is built again, and the script fails if any public-API diagnostic remains.
# Review the diff of the PublicAPI files before committing: it is the public change, member by member.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -gt 0 ]; then
  projects=("$@")
else
  mapfile -t projects < <(find . -name PublicAPI.Shipped.txt -not -path '*/bin/*' -not -path '*/obj/*' -printf '%h\n' | sort)
fi

api_errors() { # the public-API diagnostics a build of $1 reports, one line each
  dotnet build "$1" -c Release -p:TreatWarningsAsErrors=false 2>&1 | grep -E ': (error|warning) RS00[0-9]{2}:' | sort -u || true
}

for project in "${projects[@]}"; do
  folder=$project
  [ -d "$folder" ] || folder=$(dirname "$project")
  [ -f "$folder/PublicAPI.Shipped.txt" ] || { echo "$folder has no PublicAPI.Shipped.txt" >&2; exit 2; }
  unshipped="$folder/PublicAPI.Unshipped.txt"
  [ -f "$unshipped" ] || printf '#nullable enable\n' > "$unshipped"
  echo "== $folder"

  # Added members: the analyzer's code fix appends them to PublicAPI.Unshipped.txt.
  dotnet format analyzers "$folder" --diagnostics RS0016 --severity warn --verbosity quiet

  # Removed members: RS0017 "Symbol 'X' is part of the declared API, but is either not public or could not be found".
  api_errors "$folder" | { grep -E 'RS0017' || true; } | sed -E "s/.*RS0017: Symbol '(.*)' is part of the declared API.*/\1/" | sort -u |
  while IFS= read -r symbol; do
    if grep -qxF -- "$symbol" "$unshipped"; then
      grep -vxF -- "$symbol" "$unshipped" > "$unshipped.tmp" && mv "$unshipped.tmp" "$unshipped"
      echo "removed from Unshipped: $symbol"
    else
      echo "*REMOVED*$symbol" >> "$unshipped"
      echo "declared removed: $symbol"
    fi
  done

  # Keep the file sorted after its #nullable header, as the code fix writes it.
  { head -n 1 "$unshipped"; tail -n +2 "$unshipped" | LC_ALL=C sort -u; } > "$unshipped.tmp" && mv "$unshipped.tmp" "$unshipped"

  remaining=$(api_errors "$folder")
  if [ -n "$remaining" ]; then
    echo "$remaining" >&2
    echo "$folder: public-API diagnostics remain (above); fix them by hand" >&2
    exit 1
  fi
  echo "$folder: PublicAPI files up to date"
done
