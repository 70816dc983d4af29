#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# HTTP mocks as a user's CI would use them: a client under test against a mock that fails, then recovers;
# static and scriptblock routes; routes changed while serving; bad routes failing at binding; your own handler.

BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'Netpoll.psd1')) -Force

    # The "client under test": retries 503 with a short pause, as a service client would, and says how it went.
    function Get-WithRetry([string] $Uri, [int] $Attempts = 5) {
        for ($attempt = 1; $attempt -le $Attempts; $attempt++) {
            $response = Invoke-WebRequest -Uri $Uri -SkipHttpErrorCheck -TimeoutSec 10
            if ($response.StatusCode -ne 503) {
                return [pscustomobject]@{ Status = $response.StatusCode; Body = $response.Content; Attempts = $attempt }
            }
            Start-Sleep -Milliseconds 20
        }
        throw "still 503 after $Attempts attempts"
    }

    function Get-Url([object] $Server, [string] $Path) { "http://127.0.0.1:$($Server.Port)$Path" }

    # Sends raw request bytes (as an abusive or broken client would), then reads until the server closes.
    function Send-RawRequest([object] $Server, [string] $Request) {
        $client = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $Server.Port)
        try {
            $stream = $client.GetStream()
            $stream.ReadTimeout = 10000
            $bytes = [System.Text.Encoding]::Latin1.GetBytes($Request)
            $stream.Write($bytes, 0, $bytes.Length)
            Read-ToClose $stream
        }
        finally { $client.Dispose() }
    }

    function Read-ToClose([System.IO.Stream] $Stream) {
        $buffer = [byte[]]::new(4096)
        $text = [System.Text.StringBuilder]::new()
        $deadline = [DateTime]::UtcNow.AddSeconds(30) # each read waits ReadTimeout at most; this bounds a server that never closes
        while (($read = $Stream.Read($buffer, 0, $buffer.Length)) -gt 0 -and [DateTime]::UtcNow -lt $deadline) { [void] $text.Append([System.Text.Encoding]::Latin1.GetString($buffer, 0, $read)) }
        $text.ToString()
    }
}

AfterAll {
    Get-NetpollServer | Stop-NetpollServer -Force
    @(Get-NetpollServer).Count | Should -Be 0
}

Describe 'A client under test against a mock' {
    It 'retries through a mock that answers 503 twice and then 200' {
        $state = @{ Calls = 0 }
        $mock = Start-NetpollServer -Name 'pester-flaky' -Port 0 -State $state -Route @{
            'GET /orders' = { $State.Calls++; if ($State.Calls -le 2) { 503 } else { @{ orders = @(1, 2) } } }
        }
        try {
            $result = Get-WithRetry (Get-Url $mock '/orders')
            $result.Attempts | Should -Be 3
            $result.Status | Should -Be 200
            ($result.Body | ConvertFrom-Json).orders | Should -Be @(1, 2)
            $state.Calls | Should -Be 3 -Because 'the scripts and this session share $State'
            $route = Get-NetpollRoute -Name 'pester-flaky'
            $route.Hits | Should -Be 3
            $route.Kind | Should -Be 'ScriptBlock'
            $route.MeanLatency | Should -BeGreaterThan ([TimeSpan]::Zero)
        }
        finally { $mock | Stop-NetpollServer }
    }
}

Describe 'Static routes' {
    BeforeAll {
        $script:file = Join-Path $TestDrive 'user.json'
        Set-Content -Path $file -Value '{"name":"from file"}' -NoNewline
        $script:mock = Start-NetpollServer -Name 'pester-static' -Port 0 -Route @{
            'GET /health'      = 'ok'
            'GET /teapot'      = @{ Status = 418; Reason = "I'm a teapot"; Headers = @{ 'X-Mock' = 'yes' }; Body = 'short and stout' }
            'GET /json'        = @{ Json = @{ a = 1; b = @('x', 'y') } }
            'GET /file'        = @{ File = $file; ContentType = 'application/json' }
            'GET /big'         = @{ Filler = 100000; Chunked = $true; ChunkSize = 4096 }
            'DELETE /users/*'  = 204
            'GET /users/{id}'  = @{ Status = 200; Body = 'a user' }
            'GET /bytes'       = [byte[]] (1, 2, 3, 250)
            'GET /slow'        = @{ Body = 'late'; Delay = 0.4; Jitter = 0.1 }
            'GET /bye'         = @{ Body = 'bye'; CloseAfter = $true }
        }
    }
    AfterAll { $mock | Stop-NetpollServer }

    It 'answers each with its status, headers and body' {
        (Invoke-WebRequest (Get-Url $mock '/health')).Content | Should -Be 'ok'
        $teapot = Invoke-WebRequest (Get-Url $mock '/teapot') -SkipHttpErrorCheck
        $teapot.StatusCode | Should -Be 418
        $teapot.BaseResponse.ReasonPhrase | Should -Be "I'm a teapot"
        $teapot.Headers['X-Mock'] | Should -Be 'yes'
        $teapot.Content | Should -Be 'short and stout'
        $json = Invoke-RestMethod (Get-Url $mock '/json')
        $json.a | Should -Be 1
        $json.b | Should -Be @('x', 'y')
        (Invoke-RestMethod (Get-Url $mock '/file')).name | Should -Be 'from file'
        $big = Invoke-WebRequest (Get-Url $mock '/big')
        $big.Headers['Transfer-Encoding'] | Should -Be 'chunked'
        $big.RawContentLength | Should -Be 100000
        (Invoke-WebRequest (Get-Url $mock '/users/7') -Method Delete).StatusCode | Should -Be 204
        $bytes = Invoke-WebRequest (Get-Url $mock '/bytes')
        $bytes.Headers['Content-Type'] | Should -Be 'application/octet-stream'
        $bytes.RawContentStream.ToArray() | Should -Be @(1, 2, 3, 250)
    }

    It 'waits the delay (give or take its jitter) and closes after a CloseAfter answer' {
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        (Invoke-WebRequest (Get-Url $mock '/slow') -TimeoutSec 10).Content | Should -Be 'late'
        $clock.Elapsed.TotalMilliseconds | Should -BeGreaterOrEqual 290 -Because 'a 0.4 s delay varies by 0.1 s at most'
        $reply = Send-RawRequest $mock "GET /bye HTTP/1.1`r`nHost: x`r`n`r`nGET /health HTTP/1.1`r`nHost: x`r`n`r`n"
        $reply | Should -BeLike "HTTP/1.1 200 OK`r`n*Connection: close`r`n*"
        $reply | Should -BeLike "*`r`n`r`nbye" -Because 'the pipelined second request is never answered: the connection closed after the first'
    }

    It 'answers 405 with Allow for a method no route takes, and 404 for a path none matches' {
        $refused = Invoke-WebRequest (Get-Url $mock '/health') -Method Post -SkipHttpErrorCheck
        $refused.StatusCode | Should -Be 405
        $refused.Headers['Allow'] -join ', ' | Should -Be 'GET, HEAD'
        (Invoke-WebRequest (Get-Url $mock '/nothing') -SkipHttpErrorCheck).StatusCode | Should -Be 404
    }

    It 'lists its routes in the order they are tried, with their hits' {
        $routes = @(Get-NetpollRoute -Name 'pester-static')
        $routes.Count | Should -Be 10
        $routes[0].ServerName | Should -Be 'pester-static'
        ($routes | Where-Object Pattern -eq 'GET /health').Hits | Should -BeGreaterOrEqual 1
        ($routes | Where-Object Pattern -eq 'GET /teapot').Answer | Should -BeLike '418 *'
        @(Get-NetpollRoute -Name 'pester-static' -Pattern 'GET /users/*').Pattern | Should -Be @('GET /users/{id}')
        (Get-NetpollServer -Name 'pester-static').Routes | Should -Be 10
    }
}

Describe 'Scriptblock routes' {
    It 'get the request and answer with text, a status, a response hashtable or JSON' {
        $mock = Start-NetpollServer -Name 'pester-script' -Port 0 -Route @{
            'POST /orders/{id}' = {
                param($Request)
                @{ id = $Request.RouteValues.id; method = $Request.Method; path = $Request.Path; q = $Request.Query.q; trace = $Request.Headers['X-Trace']; sku = ($Request.BodyText | ConvertFrom-Json).sku }
            }
            'GET /text'      = { "hello $($Request.Query.name)" }
            'GET /status'    = { 418 }
            'GET /response'  = { @{ Status = 201; Headers = @{ Location = '/orders/1' }; Json = @{ created = $true } } }
            'GET /none'      = { }
            'GET /many'      = { 1; 'two'; @{ three = 3 } }
        }
        try {
            $order = Invoke-RestMethod (Get-Url $mock '/orders/o7?q=a%20b') -Method Post -Body '{"sku":"x-1"}' -ContentType 'application/json' -Headers @{ 'X-Trace' = 't1' }
            $order.id | Should -Be 'o7'
            $order.method | Should -Be 'POST'
            $order.path | Should -Be '/orders/o7'
            $order.q | Should -Be 'a b'
            $order.trace | Should -Be 't1'
            $order.sku | Should -Be 'x-1'
            (Invoke-WebRequest (Get-Url $mock '/text?name=you')).Content | Should -Be 'hello you'
            (Invoke-WebRequest (Get-Url $mock '/status') -SkipHttpErrorCheck).StatusCode | Should -Be 418
            $created = Invoke-WebRequest (Get-Url $mock '/response')
            $created.StatusCode | Should -Be 201
            $created.Headers['Location'] | Should -Be '/orders/1'
            ($created.Content | ConvertFrom-Json).created | Should -BeTrue
            (Invoke-WebRequest (Get-Url $mock '/none')).StatusCode | Should -Be 204
            $many = Invoke-WebRequest (Get-Url $mock '/many')
            $many.Headers['Content-Type'] | Should -BeLike 'application/json*'
            $many.Content | Should -Be '[1,"two",{"three":3}]'
        }
        finally { $mock | Stop-NetpollServer }
    }

    It 'see trailers the way they see headers: by name in any case, a repeated field joined with ", "' {
        $mock = Start-NetpollServer -Name 'pester-trailers' -Port 0 -Route @{
            'PUT /upload' = {
                @{
                    headers = $Request.Headers.GetType().FullName; trailers = $Request.Trailers.GetType().FullName
                    trace = $Request.Headers.'x-trace'; sum = $Request.Trailers['x-checksum']; tag = $Request.Trailers.'X-TAG'
                    count = $Request.Trailers.Count; body = $Request.BodyText
                }
            }
        }
        try {
            $reply = Send-RawRequest $mock ("PUT /upload HTTP/1.1`r`nHost: x`r`nX-Trace: a`r`nx-trace: b`r`nTransfer-Encoding: chunked`r`nConnection: close`r`n`r`n" +
                "5`r`nhello`r`n0`r`nX-Checksum: 42`r`nX-Tag: a`r`nx-tag: b`r`n`r`n")
            $reply | Should -BeLike "HTTP/1.1 200 OK`r`n*"
            $seen = ($reply -split "`r`n`r`n", 2)[1] | ConvertFrom-Json
            $seen.trailers | Should -Be $seen.headers
            $seen.trace | Should -Be 'a, b'
            $seen.sum | Should -Be '42'
            $seen.tag | Should -Be 'a, b'
            $seen.count | Should -Be 2
            $seen.body | Should -Be 'hello'
        }
        finally { $mock | Stop-NetpollServer }
    }

    It 'match the normalised path and still see the target as sent' {
        $mock = Start-NetpollServer -Name 'pester-normalised' -Port 0 -Route @{
            'GET /files/report' = 'the report'
            'GET /files/{name}' = { @{ name = $Request.RouteValues.name; path = $Request.Path; target = $Request.Target } }
        }
        try {
            # Raw requests: HttpClient and Invoke-WebRequest resolve dot-segments before sending.
            foreach ($target in '/files/%72eport', '/files/./report', '/x/../files/report', '/files/%2E%2e/files/report') {
                Send-RawRequest $mock "GET $target HTTP/1.1`r`nHost: x`r`nConnection: close`r`n`r`n" | Should -BeLike "HTTP/1.1 200 OK`r`n*the report" -Because $target
            }
            $reply = Send-RawRequest $mock "GET /x/../files/a%2fb%c3%a9 HTTP/1.1`r`nHost: x`r`nConnection: close`r`n`r`n"
            $seen = [System.Text.Encoding]::UTF8.GetString([System.Text.Encoding]::Latin1.GetBytes(($reply -split "`r`n`r`n", 2)[1])) | ConvertFrom-Json
            $seen.name | Should -Be "a%2Fb$([char]0xe9)" -Because "an encoded slash stays encoded in a route value, as in Kestrel"
            $seen.path | Should -Be "/files/a%2Fb$([char]0xe9)"
            $seen.target | Should -Be '/x/../files/a%2fb%c3%a9'
            foreach ($target in '/../etc/passwd', '/files/%2e%2e/%2e%2e/etc/passwd', '/files/a%00') {
                Send-RawRequest $mock "GET $target HTTP/1.1`r`nHost: x`r`n`r`n" | Should -BeLike "HTTP/1.1 400 Bad Request`r`n*" -Because $target
            }
            $mock.HttpStatistics.Rejected | Should -Be 3
        }
        finally { $mock | Stop-NetpollServer }
    }

    It 'take a Content-Length with any number of leading zeros' {
        $mock = Start-NetpollServer -Name 'pester-zeros' -Port 0 -Route @{ 'POST /echo' = { "got $($Request.BodyText)" } }
        try {
            Send-RawRequest $mock ("POST /echo HTTP/1.1`r`nHost: x`r`nContent-Length: 0000000000000000000005`r`nConnection: close`r`n`r`nhello") | Should -BeLike "HTTP/1.1 200 OK`r`n*got hello"
            Send-RawRequest $mock ("POST /echo HTTP/1.1`r`nHost: x`r`nContent-Length: 9223372036854775808`r`n`r`n") | Should -BeLike "HTTP/1.1 400 Bad Request`r`n*"
        }
        finally { $mock | Stop-NetpollServer }
    }

    It 'answers 500 for a script that throws, shows the failure, and keeps serving' {
        $mock = Start-NetpollServer -Name 'pester-throw' -Port 0 -Route @{
            'GET /boom'   = { throw 'the database is down' }
            'GET /writes' = { Write-Error 'no such order'; 'never sent' }
            'GET /exits'  = { exit 3 }
            'GET /ok'     = { 'fine' }
        }
        try {
            (Invoke-WebRequest (Get-Url $mock '/boom') -SkipHttpErrorCheck).StatusCode | Should -Be 500
            (Invoke-WebRequest (Get-Url $mock '/writes') -SkipHttpErrorCheck).StatusCode | Should -Be 500
            (Invoke-WebRequest (Get-Url $mock '/exits') -SkipHttpErrorCheck).StatusCode | Should -Be 500
            (Invoke-WebRequest (Get-Url $mock '/ok')).Content | Should -Be 'fine'
            $boom = Get-NetpollRoute -Name 'pester-throw' -Pattern 'GET /boom'
            $boom.Failures | Should -Be 1
            $boom.LastError | Should -Match 'the database is down'
            (Get-NetpollRoute -Name 'pester-throw' -Pattern 'GET /writes').LastError | Should -Match 'no such order'
            $mock.HttpStatistics.RouteFailures | Should -Be 3
        }
        finally { $mock | Stop-NetpollServer }
    }

    It 'logs a failing script as an engine error, with its route and message' {
        $manifest = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'Netpoll.psd1'))
        $script = @"
Import-Module '$manifest'
`$mock = Start-NetpollServer -Name logged -Port 0 -LogLevel Error -Route @{ 'GET /boom' = { throw 'the cache is cold' } }
(Invoke-WebRequest "http://127.0.0.1:`$(`$mock.Port)/boom" -SkipHttpErrorCheck -TimeoutSec 10).StatusCode
Start-Sleep -Milliseconds 500
`$mock | Stop-NetpollServer
Disable-NetpollTelemetry
'DONE'
"@
        $lines = @(& (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -Command $script 2>&1 | ForEach-Object { "$_" })
        $lines[-1] | Should -Be 'DONE' -Because ($lines -join "`n")
        $lines | Should -Contain '500'
        $lines | Where-Object { $_ -match "GET /boom.*route 'GET /boom'.*failed.*the cache is cold" } | Should -Not -BeNullOrEmpty -Because ($lines -join "`n")
    }

    It 'never block a poller: a slow script does not hold up the server''s other requests' {
        $mock = Start-NetpollServer -Name 'pester-slow' -Port 0 -Pollers 1 -Route @{
            'GET /slow' = { Start-Sleep -Seconds 2; 'late' }
            'GET /fast' = 'now'
        }
        $http = [System.Net.Http.HttpClient]::new()
        try {
            $http.Timeout = [TimeSpan]::FromSeconds(10)
            $slow = $http.GetStringAsync((Get-Url $mock '/slow'))
            Start-Sleep -Milliseconds 200
            (Invoke-WebRequest (Get-Url $mock '/fast') -TimeoutSec 10).Content | Should -Be 'now'
            $slow.IsCompleted | Should -BeFalse -Because 'the slow script still sleeps in its runspace'
            $slow.GetAwaiter().GetResult() | Should -Be 'late'
        }
        finally {
            $http.Dispose()
            $mock | Stop-NetpollServer
        }
    }

    It 'drop requests whose clients reset while they waited for a script thread, so live clients are not kept waiting' {
        $state = @{ Runs = 0 }
        $mock = Start-NetpollServer -Name 'pester-abandoned' -Port 0 -ScriptThreads 1 -State $state -Route @{
            'GET /slow' = { $State.Runs++; Start-Sleep -Milliseconds 300; 'slow' }
        }
        try {
            # 20 clients ask and reset at once: 6 s of script work if every one ran on the one script thread.
            foreach ($i in 1..20) {
                $client = [System.Net.Sockets.Socket]::new([System.Net.Sockets.SocketType]::Stream, [System.Net.Sockets.ProtocolType]::Tcp)
                $client.Connect('127.0.0.1', $mock.Port)
                [void] $client.Send([System.Text.Encoding]::ASCII.GetBytes("GET /slow HTTP/1.1`r`nHost: x`r`n`r`n"))
                $client.LingerState = [System.Net.Sockets.LingerOption]::new($true, 0) # close() resets
                $client.Close()
            }
            Start-Sleep -Milliseconds 100 # the pollers see the resets
            (Invoke-WebRequest (Get-Url $mock '/slow') -TimeoutSec 20).Content | Should -Be 'slow'
            $state.Runs | Should -BeLessThan 5 -Because 'scripts whose clients were gone before they started were never run'
            (Get-NetpollRoute -Name 'pester-abandoned').Failures | Should -Be 0 -Because 'a client that left is not a failure of the route'
        }
        finally {
            $mock | Stop-NetpollServer
        }
    }
}

Describe 'Routes changed while the server runs' {
    It 'adds, replaces and removes routes, taking effect at once' {
        $mock = Start-NetpollServer -Name 'pester-live' -Port 0 -Route @{ 'GET /v' = 'one' }
        try {
            (Invoke-WebRequest (Get-Url $mock '/v')).Content | Should -Be 'one'
            Set-NetpollRoute -Name 'pester-live' -Route @{ 'GET /v' = 'two'; 'GET /w' = { 'new' } }
            (Invoke-WebRequest (Get-Url $mock '/v')).Content | Should -Be 'two'
            (Invoke-WebRequest (Get-Url $mock '/w')).Content | Should -Be 'new'
            Set-NetpollRoute -Name 'pester-live' -Route @{ 'GET /v' = 'three' } -WhatIf
            (Invoke-WebRequest (Get-Url $mock '/v')).Content | Should -Be 'two'
            $removed = Get-NetpollRoute -Name 'pester-live' -Pattern 'GET /w' | Remove-NetpollRoute -PassThru
            $removed.Pattern | Should -Be 'GET /w'
            Remove-NetpollRoute -Name 'pester-live' -Pattern 'GET /v'
            (Invoke-WebRequest (Get-Url $mock '/v') -SkipHttpErrorCheck).StatusCode | Should -Be 404
            Remove-NetpollRoute -Name 'pester-live' -Pattern 'GET /v' -ErrorAction SilentlyContinue -ErrorVariable missing
            $missing[0].FullyQualifiedErrorId | Should -BeLike 'NetpollRouteNotFound,*'
        }
        finally { $mock | Stop-NetpollServer }
    }

    It 'refuses route changes on a server without routes' {
        $echo = Start-NetpollServer -Name 'pester-echo-routes' -Protocol Echo -Port 0
        try {
            Set-NetpollRoute -Name 'pester-echo-routes' -Route @{ 'GET /' = 'x' } -ErrorAction SilentlyContinue -ErrorVariable refused
            $refused[0].FullyQualifiedErrorId | Should -BeLike 'NetpollNotHttpServer,*'
            @(Get-NetpollRoute).ServerName | Should -Not -Contain 'pester-echo-routes'
        }
        finally { $echo | Stop-NetpollServer }
    }
}

Describe 'Bad routes fail at parameter binding' {
    It 'says what is wrong with <Case> and what is allowed' -ForEach @(
        @{ Case = 'a path without /'; Route = @{ 'GET users' = 'x' }; Message = "*must start with '/'*" }
        @{ Case = 'a method that is not a token'; Route = @{ 'G(T /' = 'x' }; Message = '*is not a token*' }
        @{ Case = 'an unknown response key'; Route = @{ 'GET /' = @{ Stauts = 200 } }; Message = "*'Stauts'*Status, Reason, ContentType*" }
        @{ Case = 'two bodies'; Route = @{ 'GET /' = @{ Body = 'x'; Filler = 10 } }; Message = '*one body*' }
        @{ Case = 'a Body that is a hashtable'; Route = @{ 'GET /' = @{ Body = @{ Filler = 10 } } }; Message = '*Body is text or bytes*Hashtable*Json*' }
        @{ Case = 'a status out of range'; Route = @{ 'GET /' = 99 }; Message = '*200–599*' }
        @{ Case = 'a header the server sets'; Route = @{ 'GET /' = @{ Headers = @{ 'Content-Length' = '1' } } }; Message = '*set by the server*' }
        @{ Case = 'a missing file'; Route = @{ 'GET /' = @{ File = '/nonexistent/netpoll.json' } }; Message = '*does not exist*' }
        @{ Case = 'an answer of the wrong kind'; Route = @{ 'GET /' = [datetime]::Now }; Message = '*response hashtable*scriptblock*' }
    ) {
        { Start-NetpollServer -Name 'pester-bad' -Port 0 -Route $Route } |
            Should -Throw -ErrorId 'ParameterArgumentTransformationError,Netpoll.PowerShell.StartNetpollServerCommand' -ExpectedMessage $Message
        @(Get-NetpollServer -Name 'pester-bad*').Count | Should -Be 0
    }

    It 'refuses -Route with another protocol, and -Handler with -Route' {
        { Start-NetpollServer -Port 0 -Protocol Echo -Route @{ 'GET /' = 'x' } } | Should -Throw -ErrorId 'NetpollConflictingParameters,*'
        { Start-NetpollServer -Port 0 -Handler ([Netpoll.Protocols.EchoHandler]) -Route @{ 'GET /' = 'x' } } | Should -Throw -ErrorId 'NetpollConflictingParameters,*'
        { Start-NetpollServer -Port 0 -Handler ([string]) } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,*' -ExpectedMessage '*ConnectionHandler*'
    }
}

Describe 'A hardened HTTP server' {
    It 'answers a client dripping its request head 408 after -RequestHeadTimeout, and counts it' {
        $web = Start-NetpollServer -Name 'pester-slowloris' -Protocol Http -Port 0 -RequestHeadTimeout 1
        $client = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $web.Port)
        try {
            $stream = $client.GetStream()
            $stream.ReadTimeout = 10000
            $head = [System.Text.Encoding]::ASCII.GetBytes("GET / HTTP/1.1`r`nHost: x`r`nX-Drip: $('a' * 100)`r`n`r`n")
            for ($sent = 0; $sent -lt $head.Length -and -not $stream.DataAvailable; $sent++) {
                try { $stream.Write($head, $sent, 1) } catch { break }
                Start-Sleep -Milliseconds 100
            }
            $sent | Should -BeLessThan $head.Length -Because 'the head never completed: only the deadline can have answered'
            Read-ToClose $stream | Should -BeLike "HTTP/1.1 408 Request Timeout`r`n*Connection: close*"
            $web.HttpStatistics.HeadTimeouts | Should -Be 1
        }
        finally {
            $client.Dispose()
            $web | Stop-NetpollServer
        }
    }

    It 'closes a keep-alive client idle past -KeepAliveTimeout without a word, and says which rule a refused request broke' {
        $web = Start-NetpollServer -Name 'pester-keepalive' -Protocol Http -Port 0 -KeepAliveTimeout 300ms
        try {
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            Send-RawRequest $web "GET / HTTP/1.1`r`nHost: x`r`n`r`n" | Should -BeLike "HTTP/1.1 200 OK`r`n*Hello, World!" -Because 'the answer, then the FIN of the idle close: no 408'
            $watch.Elapsed.TotalMilliseconds | Should -BeGreaterThan 250
            $web.HttpStatistics.HeadTimeouts | Should -Be 0 -Because 'an idle keep-alive close is no fault'

            Send-RawRequest $web "GET / HTTP/1.1`nHost: x`n`n" | Should -BeLike '*Bad Request: a LF not preceded by CR in the request head'
        }
        finally {
            $web | Stop-NetpollServer
        }
    }

    It 'refuses <Case> with 400 and closes' -ForEach @(
        @{ Case = 'a NUL in a field value'; Request = "GET / HTTP/1.1`r`nHost: x`r`nX-Bad: a`0b`r`n`r`n" }
        @{ Case = 'a bare CR in a field value'; Request = "GET / HTTP/1.1`r`nHost: x`r`nX-Bad: a`rb`r`n`r`n" }
        @{ Case = 'a space in a field name'; Request = "GET / HTTP/1.1`r`nHost: x`r`nX Bad: a`r`n`r`n" }
        @{ Case = 'a method that is not a token'; Request = "G(T / HTTP/1.1`r`nHost: x`r`n`r`n" }
        @{ Case = 'a control character in the target'; Request = "GET /a`tb HTTP/1.1`r`nHost: x`r`n`r`n" }
        @{ Case = 'a missing Host'; Request = "GET / HTTP/1.1`r`n`r`n" }
    ) {
        $web = Start-NetpollServer -Name 'pester-strict' -Port 0 -Route @{ '* /**' = 'should not be answered' }
        try {
            Send-RawRequest $web ($Request + "GET / HTTP/1.1`r`nHost: x`r`n`r`n") | Should -BeLike "HTTP/1.1 400 Bad Request`r`n*Connection: close`r`n*" -Because 'the request after the bad one is never answered either'
            $web.HttpStatistics.Rejected | Should -Be 1
            (Invoke-WebRequest (Get-Url $web '/') -TimeoutSec 10).Content | Should -Be 'should not be answered' -Because 'the server keeps serving others'
        }
        finally { $web | Stop-NetpollServer }
    }

    It 'refuses a body over -MaxBodySize with 413' {
        $web = Start-NetpollServer -Name 'pester-maxbody' -Port 0 -MaxBodySize 1000 -Route @{ 'POST /upload' = { "got $($Request.Body.Length) bytes" } }
        try {
            (Invoke-WebRequest (Get-Url $web '/upload') -Method Post -Body ('x' * 1000) -TimeoutSec 10).Content | Should -Be 'got 1000 bytes'
            (Invoke-WebRequest (Get-Url $web '/upload') -Method Post -Body ('x' * 1001) -TimeoutSec 10 -SkipHttpErrorCheck).StatusCode | Should -Be 413
        }
        finally { $web | Stop-NetpollServer }
    }

    It 'takes its HTTP limits only for an HTTP server' {
        { Start-NetpollServer -Port 0 -Protocol Echo -RequestHeadTimeout 5 } | Should -Throw -ErrorId 'NetpollConflictingParameters,*' -ExpectedMessage '*-RequestHeadTimeout limits HTTP requests*'
        { Start-NetpollServer -Port 0 -MinBodyDataRate -1 -Protocol Http } | Should -Throw -ErrorId 'ParameterArgumentValidationError,*'
        @(Get-NetpollServer).Count | Should -Be 0
    }
}

Describe 'Your own handler' {
    It 'runs a ConnectionHandler compiled with Add-Type like a built-in' {
        if (-not ('PesterUpperHandler' -as [type])) {
            Add-Type -ReferencedAssemblies ([Netpoll.Connections.ConnectionHandler].Assembly.Location) -TypeDefinition @'
public sealed class PesterUpperHandler : Netpoll.Connections.ConnectionHandler
{
    public override bool NeverBlocks => true;
    public override System.Threading.Tasks.ValueTask OnRequestAsync(Netpoll.Connections.Connection connection)
    {
        string text = connection.Reader.ReadString(connection.Reader.Length);
        connection.Writer.WriteString(text.ToUpperInvariant());
        return connection.Writer.FlushAsync();
    }
}
'@
        }
        $upper = Start-NetpollServer -Name 'pester-upper' -Port 0 -Handler ([PesterUpperHandler])
        try {
            $upper.Protocol | Should -BeNullOrEmpty
            $upper.Handler | Should -Be 'PesterUpperHandler'
            $upper.Dispatch | Should -Be 'Inline' -Because 'it declares NeverBlocks'
            $client = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $upper.Port)
            try {
                $stream = $client.GetStream()
                $stream.ReadTimeout = 10000
                $stream.Write([byte[]][char[]]'netpoll', 0, 7)
                $buffer = [byte[]]::new(7)
                $read = 0
                while ($read -lt 7 -and ($n = $stream.Read($buffer, $read, 7 - $read)) -gt 0) { $read += $n } # a 0 read is EOF: stop
                [System.Text.Encoding]::ASCII.GetString($buffer) | Should -Be 'NETPOLL'
            }
            finally { $client.Dispose() }
            (Get-NetpollStats -Name 'pester-upper' -Aggregate).Accepted | Should -Be 1
            $upper | Invoke-NetpollLoad -Requests 10 -ErrorAction SilentlyContinue -ErrorVariable noPattern | Out-Null
            $noPattern[0].FullyQualifiedErrorId | Should -BeLike 'NetpollPatternMismatch,*'
        }
        finally { $upper | Stop-NetpollServer }
    }

    It 'runs an instance as given, on the ThreadPool when it may block, and stops like a built-in' {
        if (-not ('PesterCountingHandler' -as [type])) {
            Add-Type -ReferencedAssemblies ([Netpoll.Connections.ConnectionHandler].Assembly.Location), 'System.Threading' -TypeDefinition @'
public sealed class PesterCountingHandler : Netpoll.Connections.ConnectionHandler
{
    public long Calls;
    public override System.Threading.Tasks.ValueTask OnRequestAsync(Netpoll.Connections.Connection connection)
    {
        System.Threading.Interlocked.Increment(ref Calls);
        byte[] bytes = connection.Reader.ReadBinary(connection.Reader.Length);
        connection.Writer.WriteBinary(bytes);
        return connection.Writer.FlushAsync();
    }
}
'@
        }
        $instance = [PesterCountingHandler]::new()
        $counting = Start-NetpollServer -Name 'pester-counting' -Port 0 -Handler $instance
        try {
            $counting.Handler | Should -Be 'PesterCountingHandler'
            $counting.Dispatch | Should -Be 'ThreadPool' -Because 'it does not declare NeverBlocks, so it may block'
            $result = $counting | Invoke-NetpollLoad -Pattern PingPong -Connections 2 -Requests 50 -MessageSize 16
            $result.Requests | Should -Be 50
            $instance.Calls | Should -BeGreaterOrEqual 1 -Because 'the server runs the very instance given'
            (Get-NetpollStats -Name 'pester-counting' -Aggregate).Accepted | Should -Be 2
        }
        finally { $counting | Stop-NetpollServer }
        $counting.State | Should -Be 'Stopped'
        @(Get-NetpollServer).Name | Should -Not -Contain 'pester-counting'
    }
}
