#!/usr/bin/env bash
# Builds everything and runs scripts/Demo.ps1 in the repository's pwsh 7.6.9 (a local .NET tool, pinned in
# .config/dotnet-tools.json): needs only the .NET SDK. Arguments go to the demo script, e.g. -Connections 500.
set -euo pipefail
cd "$(dirname "$0")"
dotnet tool restore >/dev/null
dotnet build Netpoll.slnx -c Release --nologo -v quiet -clp:ErrorsOnly
exec dotnet pwsh -NoProfile -File scripts/Demo.ps1 "$@"
