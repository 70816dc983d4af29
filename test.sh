#!/usr/bin/env bash
# The README's test command, and exactly what CI (.ci/run) runs, on a machine with only the .NET SDK:
# restores the pinned tools (pwsh 7.6.9, dotnet-counters), installs the Debian packages the tests run against the
# servers when root (tests/install-test-packages.sh: curl, openssl, wrk, redis-server, openssh-server, ncat, nginx-light), builds
# everything (which restores Pester 5.9.1 and packs the module), runs the xunit projects, then every Pester suite in
# real pwsh. Results (TRX and JUnit XML) go to artifacts/test-results; the last line counts both: "tests: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")"
results=artifacts/test-results
rm -rf "$results"
mkdir -p "$results"

dotnet tool restore
bash tests/install-test-packages.sh
dotnet build Netpoll.slnx --nologo -v quiet -clp:ErrorsOnly

status=0
dotnet test Netpoll.slnx --no-build --nologo --logger trx --results-directory "$results" || status=$?
dotnet pwsh -NoProfile -NonInteractive -File tests/Pester/Invoke-PesterSuites.ps1 -OutputPath "$results/pester.junit.xml" || status=$?

dotnet pwsh -NoProfile -NonInteractive -File tests/Measure-TestResults.ps1 -Folder "$results" || status=$?
exit "$status"
