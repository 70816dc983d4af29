#!/usr/bin/env bash
# Builds everything and runs scripts/Demo.ps1: with pwsh when it is installed, else with the project's
# own PowerShell host (netpoll-host), which needs only the .NET SDK. Arguments go to the demo script.
set -euo pipefail
cd "$(dirname "$0")"
dotnet build Netpoll.slnx -c Release --nologo -v quiet -clp:ErrorsOnly
if command -v pwsh >/dev/null 2>&1; then
  exec pwsh -NoProfile -File scripts/Demo.ps1 "$@"
fi
exec dotnet artifacts/bin/NetpollHost/release/netpoll-host.dll -NoProfile -File scripts/Demo.ps1 "$@"
