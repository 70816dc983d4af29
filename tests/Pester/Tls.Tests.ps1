#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# TLS from the module: a test certificate, servers that serve it (from an object, a PFX, a PEM), real clients and
# the load generator against them, and the errors a user gets for a bad certificate or TLS switches without TLS.

BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'Netpoll.psd1')) -Force
    $script:work = Join-Path ([System.IO.Path]::GetTempPath()) "netpoll-tls-$PID"
    New-Item -ItemType Directory -Path $work -Force | Out-Null
    $script:certificate = New-NetpollCertificate -DnsName localhost
}

AfterAll {
    Get-NetpollServer | Stop-NetpollServer -Force
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
}

Describe 'New-NetpollCertificate' {
    It 'makes a self-signed server certificate with the names and addresses as SANs and its private key' {
        $made = New-NetpollCertificate -DnsName 'api.test', '*.api.test' -IPAddress 127.0.0.1 -ValidDays 2
        $made | Should -BeOfType [System.Security.Cryptography.X509Certificates.X509Certificate2]
        $made.HasPrivateKey | Should -BeTrue
        $made.Subject | Should -Be 'CN=api.test'
        $made.NotAfter | Should -BeLessThan (Get-Date).AddDays(3)
        $san = $made.Extensions | Where-Object { $_.Oid.Value -eq '2.5.29.17' }
        $san.Format($false) | Should -Match 'api\.test'
        $san.Format($false) | Should -Match '\*\.api\.test'
        $san.Format($false) | Should -Match '127\.0\.0\.1'
        $made.MatchesHostname('x.api.test') | Should -BeTrue
    }

    It 'writes a PFX protected by -Password and a PEM readable only by its owner' {
        $password = ConvertTo-SecureString 'pester-secret' -AsPlainText -Force
        $null = New-NetpollCertificate -Path (Join-Path $work 'made.pfx') -Password $password
        $null = New-NetpollCertificate -Path (Join-Path $work 'made.pem')
        { [System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadPkcs12FromFile((Join-Path $work 'made.pfx'), 'wrong') } | Should -Throw
        Get-Content -Raw (Join-Path $work 'made.pem') | Should -Match '-----BEGIN CERTIFICATE-----[\s\S]+-----BEGIN PRIVATE KEY-----'
        if (-not $IsWindows) {
            (Get-Item (Join-Path $work 'made.pem')).UnixFileMode | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite')
        }
    }

    It 'refuses a name that is not a host name' {
        { New-NetpollCertificate -DnsName 'not a host' -ErrorAction Stop } | Should -Throw -ErrorId 'NetpollCertificateInvalid,Netpoll.PowerShell.NewNetpollCertificateCommand'
    }
}

Describe 'Start-NetpollServer -Certificate' {
    It 'serves HTTPS that curl accepts with the certificate as its CA, and counts the handshake' -Skip:(-not (Get-Command curl -ErrorAction SilentlyContinue)) {
        $pem = Join-Path $work 'ca.pem'
        Set-Content -Path $pem -Value $certificate.ExportCertificatePem()
        $https = Start-NetpollServer -Name 'pester-https' -Protocol Http -Certificate $certificate
        try {
            $https.Tls | Should -BeTrue
            "$https" | Should -Match 'over TLS'
            $body = curl --silent --show-error --max-time 10 --cacert $pem "https://localhost:$($https.Port)/"
            $LASTEXITCODE | Should -Be 0
            $body | Should -Be 'Hello, World!'
            (Get-NetpollStats -Name 'pester-https' -Aggregate).TlsHandshakes | Should -Be 1
        }
        finally {
            $https | Stop-NetpollServer -Force
        }
    }

    It 'answers plain HTTP sent to its HTTPS port with a 400 in the clear, as nginx does, and counts a protocol failure' -Skip:(-not (Get-Command curl -ErrorAction SilentlyContinue)) {
        $https = Start-NetpollServer -Name 'pester-https-plain' -Protocol Http -Certificate $certificate
        try {
            $answer = curl --silent --show-error --max-time 10 --write-out '%{http_code}' "http://127.0.0.1:$($https.Port)/"
            $LASTEXITCODE | Should -Be 0
            $answer | Should -Be 'The plain HTTP request was sent to HTTPS port', '400'
            (Get-NetpollStats -Name 'pester-https-plain' -Aggregate).TlsHandshakeFailures | Should -Be 1
            $body = curl --silent --show-error --max-time 10 --insecure "https://localhost:$($https.Port)/"
            $body | Should -Be 'Hello, World!' -Because 'the port still serves HTTPS'
        }
        finally {
            $https | Stop-NetpollServer -Force
        }
    }

    It 'serves HTTPS on io_uring with -Backend IoUring to the load generator' {
        $https = Start-NetpollServer -Name 'pester-https-uring' -Protocol Http -Certificate $certificate -Backend IoUring -WarningAction SilentlyContinue
        try {
            if ($https.Backend -ne 'IoUring' -and $https.BackendReason -match 'unavailable|could not start') {
                Set-ItResult -Skipped -Because "io_uring is refused here: $($https.BackendReason)"
                return
            }

            $https.Backend | Should -Be 'IoUring' -Because $https.BackendReason
            $result = Invoke-NetpollLoad -Uri "https://localhost:$($https.Port)/" -SkipCertificateCheck -Connections 2 -Requests 200
            $result.Requests | Should -Be 200
            $result.Errors | Should -Be 0
            (Get-NetpollStats -Name 'pester-https-uring' -Aggregate).TlsHandshakes | Should -Be 2
        }
        finally {
            $https | Stop-NetpollServer -Force
        }
    }

    It 'loads the certificate from a <Kind> file and serves echo over TLS to the load generator' -ForEach @(
        @{ Kind = 'PFX'; File = 'server.pfx'; Password = 'pfx-secret' }
        @{ Kind = 'PEM'; File = 'server.pem'; Password = $null }
    ) {
        $path = Join-Path $work $File
        $secure = if ($Password) { ConvertTo-SecureString $Password -AsPlainText -Force } else { $null }
        $null = New-NetpollCertificate -Path $path -Password $secure
        $echo = Start-NetpollServer -Name "pester-tls-$Kind" -Protocol Echo -Certificate $path -CertificatePassword $secure
        try {
            $result = $echo | Invoke-NetpollLoad -Connections 4 -Requests 400 -MessageSize 64
            $result.Requests | Should -Be 400
            $result.Errors | Should -Be 0
            $result.TlsHandshakes | Should -Be $result.ConnectionsOpened -Because 'one handshake per connection (the budget may end before the last connection opens)'
            $result.ConnectionsOpened | Should -BeGreaterThan 0
        }
        finally {
            $echo | Stop-NetpollServer -Force
        }
    }

    It 'offers ALPN http/1.1 from a <Kind> server, so a client offering h2 first speaks HTTP/1.1, and one offering only h2 is refused with no_application_protocol' -Skip:(-not (Get-Command openssl -ErrorAction SilentlyContinue)) -ForEach @(
        @{ Kind = '-Route'; Parameters = @{ Route = @{ 'GET /' = 'ok' } } }
        @{ Kind = '-Protocol Http'; Parameters = @{ Protocol = 'Http' } }
    ) {
        $https = Start-NetpollServer -Name 'pester-alpn' -Certificate $certificate @Parameters
        try {
            $both = 'Q' | openssl s_client -connect "127.0.0.1:$($https.Port)" -alpn 'h2,http/1.1' 2>&1 | Out-String
            $both | Should -Match 'ALPN protocol: http/1\.1'
            $h2Only = 'Q' | openssl s_client -connect "127.0.0.1:$($https.Port)" -alpn 'h2' 2>&1 | Out-String
            # RFC 7301 §3.2: nothing in common is a fatal alert, not a session in an unnamed protocol.
            $h2Only | Should -Match 'no application protocol'
            $h2Only | Should -Not -Match 'ALPN protocol: h2'
            $none = 'Q' | openssl s_client -connect "127.0.0.1:$($https.Port)" 2>&1 | Out-String
            $none | Should -Match 'No ALPN negotiated'
            $none | Should -Match 'New, TLSv1\.3'
        }
        finally {
            $https | Stop-NetpollServer -Force
        }
    }

    It 'refuses <Given> without -Certificate rather than serve plaintext, and starts nothing' -ForEach @(
        @{ Given = '-CertificateKeyPath'; Parameters = @{ CertificateKeyPath = 'key.pem' } }
        @{ Given = '-CertificatePassword'; Parameters = @{ CertificatePassword = (ConvertTo-SecureString 'pw' -AsPlainText -Force) } }
        @{ Given = '-HandshakeTimeout'; Parameters = @{ HandshakeTimeout = 5 } }
    ) {
        { Start-NetpollServer -Protocol Http @Parameters -ErrorAction Stop } |
            Should -Throw -ErrorId 'NetpollConflictingParameters,Netpoll.PowerShell.StartNetpollServerCommand' -ExpectedMessage "*$Given*add -Certificate*"
        @(Get-NetpollServer).Count | Should -Be 0
    }

    It 'names the problem of a missing file, a wrong password and a certificate without a key, and starts nothing' {
        $password = ConvertTo-SecureString 'right' -AsPlainText -Force
        $null = New-NetpollCertificate -Path (Join-Path $work 'locked.pfx') -Password $password
        $wrong = ConvertTo-SecureString 'wrong' -AsPlainText -Force
        $id = 'NetpollCertificateInvalid,Netpoll.PowerShell.StartNetpollServerCommand'
        { Start-NetpollServer -Certificate (Join-Path $work 'absent.pfx') -ErrorAction Stop } | Should -Throw -ErrorId $id -ExpectedMessage '*does not exist*'
        { Start-NetpollServer -Certificate (Join-Path $work 'locked.pfx') -CertificatePassword $wrong -ErrorAction Stop } | Should -Throw -ErrorId $id -ExpectedMessage '*-CertificatePassword*'
        $publicOnly = [System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadCertificate($certificate.RawData)
        { Start-NetpollServer -Certificate $publicOnly -ErrorAction Stop } | Should -Throw -ErrorId $id -ExpectedMessage '*no private key*'
        @(Get-NetpollServer).Count | Should -Be 0
    }
}

Describe 'Invoke-NetpollLoad over TLS' {
    BeforeAll {
        $script:https = Start-NetpollServer -Name 'pester-https-load' -Protocol Http -Certificate $certificate
    }

    AfterAll {
        $https | Stop-NetpollServer -Force
    }

    It 'loads -Uri https://... with -SkipCertificateCheck' {
        $result = Invoke-NetpollLoad -Uri "https://localhost:$($https.Port)/" -SkipCertificateCheck -Connections 2 -Requests 200
        $result.Pattern | Should -Be 'Http'
        $result.Requests | Should -Be 200
        $result.Errors | Should -Be 0
        $result.TlsHandshakes | Should -Be $result.ConnectionsOpened
        $result.ConnectionsOpened | Should -BeGreaterThan 0
    }

    It 'sends the paths of https:// URIs, and runs them -Isolated, with -Pattern Handshake' -ForEach @(
        @{ Isolation = 'in process'; Isolated = $false }
        @{ Isolation = 'isolated'; Isolated = $true }
    ) {
        $uris = "https://localhost:$($https.Port)/", "https://localhost:$($https.Port)/missing"
        $result = Invoke-NetpollLoad -Uri $uris -SkipCertificateCheck -Connections 1 -Requests 40 -Isolated:$Isolated
        $result.Pattern | Should -Be 'Http'
        $result.Isolated | Should -Be $Isolated
        $result.StatusCodes[200] | Should -Be 20
        $result.StatusCodes[404] | Should -Be 20
        $result.TlsHandshakes | Should -Be 1

        $each = Invoke-NetpollLoad -Uri $uris[1] -Pattern Handshake -SkipCertificateCheck -TlsResumption -Connections 1 -Requests 6 -Isolated:$Isolated
        $each.Pattern | Should -Be 'Handshake'
        $each.StatusCodes[404] | Should -Be 6
        $each.TlsHandshakes | Should -Be 6
        $each.TlsResumedHandshakes | Should -Be 5   # one connection at a time: each after the first resumes the last ticket
    }

    It 'counts a certificate the system does not trust as TlsHandshake errors without -SkipCertificateCheck' {
        $result = Invoke-NetpollLoad -Uri "https://localhost:$($https.Port)/" -Connections 2 -Requests 5 -Pattern Handshake -ErrorAction SilentlyContinue -ErrorVariable failed
        $result.Requests | Should -Be 0
        $result.ErrorsByKind.TlsHandshake | Should -Be 2 -Because 'no response ever came, so each connection''s failed handshake is its last, as for a refused target'
        $result.StopReason | Should -Be 'NoConnections'
        $failed | Should -Not -BeNullOrEmpty
    }

    It 'measures handshakes with -Pattern Handshake, full without -TlsResumption and resumed with it (<Isolation>)' -ForEach @(
        @{ Isolation = 'in process'; Isolated = $false }
        @{ Isolation = 'isolated'; Isolated = $true }
    ) {
        $full = $https | Invoke-NetpollLoad -Pattern Handshake -Connections 2 -Requests 20 -Isolated:$Isolated
        $full.Requests | Should -Be 20
        $full.Errors | Should -Be 0
        $full.ConnectionsOpened | Should -Be 20
        $full.TlsHandshakes | Should -Be 20
        $full.TlsResumedHandshakes | Should -Be 0

        $resumed = $https | Invoke-NetpollLoad -Pattern Handshake -TlsResumption -Connections 2 -Requests 20 -Isolated:$Isolated
        $resumed.Requests | Should -Be 20
        $resumed.TlsResumedHandshakes | Should -BeGreaterThan 0
    }

    It 'refuses TLS switches against a plain target' {
        { Invoke-NetpollLoad -Target '127.0.0.1:9' -SkipCertificateCheck -Requests 1 -ErrorAction Stop } | Should -Throw -ErrorId 'NetpollInvalidTarget,Netpoll.PowerShell.InvokeNetpollLoadCommand' -ExpectedMessage '*apply to TLS*'
        { Invoke-NetpollLoad -Uri "http://127.0.0.1:9/" -TlsResumption -Requests 1 -ErrorAction Stop } | Should -Throw -ErrorId 'NetpollInvalidTarget,Netpoll.PowerShell.InvokeNetpollLoadCommand' -ExpectedMessage '*apply to TLS*'
        { Invoke-NetpollLoad -Uri "https://127.0.0.1:9/" -Pattern PingPong -Requests 1 -ErrorAction Stop } | Should -Throw -ExpectedMessage '*Handshake*'
        { Invoke-NetpollLoad -Uri 'ftp://localhost/' -Requests 1 -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError,Netpoll.PowerShell.InvokeNetpollLoadCommand' -ExpectedMessage '*https://*'
    }
}

Describe 'Start-NetpollProxy over TLS' {
    It 'terminates TLS from clients with -Certificate and forwards plaintext to the server' -Skip:(-not (Get-Command curl -ErrorAction SilentlyContinue)) {
        $web = Start-NetpollServer -Name 'pester-proxied-http' -Protocol Http
        $proxy = Start-NetpollProxy -Name 'pester-tls-proxy' -Upstream "127.0.0.1:$($web.Port)" -Certificate $certificate
        try {
            $pem = Join-Path $work 'proxy-ca.pem'
            Set-Content -Path $pem -Value $certificate.ExportCertificatePem()
            $body = curl --silent --show-error --max-time 10 --cacert $pem "https://localhost:$($proxy.Port)/"
            $LASTEXITCODE | Should -Be 0
            $body | Should -Be 'Hello, World!'
            (Get-NetpollStats -Name 'pester-proxied-http' -Aggregate).TlsHandshakes | Should -Be 0 -Because 'the server behind the proxy speaks plain HTTP'
        }
        finally {
            $proxy | Stop-NetpollProxy -Timeout 0
            $web | Stop-NetpollServer -Force
        }
    }

    It 'originates TLS to an HTTPS upstream with -UpstreamTls' {
        $https = Start-NetpollServer -Name 'pester-upstream-https' -Protocol Http -Certificate $certificate
        $proxy = Start-NetpollProxy -Name 'pester-plain-proxy' -Upstream "localhost:$($https.Port)" -UpstreamTls -UpstreamSkipCertificateCheck
        try {
            $result = Invoke-NetpollLoad -Target "127.0.0.1:$($proxy.Port)" -Pattern Http -Connections 2 -Requests 100
            $result.Requests | Should -Be 100
            $result.Errors | Should -Be 0
            (Get-NetpollStats -Name 'pester-upstream-https' -Aggregate).TlsHandshakes | Should -BeGreaterThan 0 -Because 'the proxy reached the server over TLS'
        }
        finally {
            $proxy | Stop-NetpollProxy -Timeout 0
            $https | Stop-NetpollServer -Force
        }
    }

    It 'names a certificate it cannot load, and starts nothing' {
        { Start-NetpollProxy -Upstream '127.0.0.1:9' -Certificate (Join-Path $work 'absent.pem') -ErrorAction Stop } |
            Should -Throw -ErrorId 'NetpollCertificateInvalid,Netpoll.PowerShell.StartNetpollProxyCommand' -ExpectedMessage '*does not exist*'
        @(Get-NetpollProxy).Count | Should -Be 0
    }

    It 'warns that its certificate expired, as the server does' {
        # The upstream address is never dialed: no client connects to the proxy.
        $key = [System.Security.Cryptography.ECDsa]::Create()
        $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=localhost', $key, [System.Security.Cryptography.HashAlgorithmName]::SHA256)
        $expired = $request.CreateSelfSigned([DateTimeOffset]::UtcNow.AddDays(-10), [DateTimeOffset]::UtcNow.AddDays(-1))
        $proxy = Start-NetpollProxy -Upstream '127.0.0.1:9' -Certificate $expired -WarningVariable warned -WarningAction SilentlyContinue
        try {
            "$warned" | Should -BeLike '*expired on*'
        }
        finally {
            $proxy | Stop-NetpollProxy -Timeout 0
        }
    }

    It 'refuses -CertificateKeyPath or -CertificatePassword without -Certificate rather than accept plaintext, and starts nothing' {
        $id = 'NetpollConflictingParameters,Netpoll.PowerShell.StartNetpollProxyCommand'
        { Start-NetpollProxy -Upstream '127.0.0.1:9' -CertificateKeyPath 'key.pem' -ErrorAction Stop } | Should -Throw -ErrorId $id -ExpectedMessage '*-CertificateKeyPath*'
        { Start-NetpollProxy -Upstream '127.0.0.1:9' -CertificatePassword (ConvertTo-SecureString 'pw' -AsPlainText -Force) -ErrorAction Stop } | Should -Throw -ErrorId $id -ExpectedMessage '*-CertificatePassword*'
        @(Get-NetpollProxy).Count | Should -Be 0
    }

    It 'refuses -UpstreamSkipCertificateCheck without -UpstreamTls' {
        { Start-NetpollProxy -Upstream '127.0.0.1:9' -UpstreamSkipCertificateCheck -ErrorAction Stop } | Should -Throw -ErrorId 'NetpollInvalidTarget,Netpoll.PowerShell.StartNetpollProxyCommand'
    }
}
