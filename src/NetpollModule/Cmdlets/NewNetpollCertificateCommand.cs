using System.Management.Automation;
using System.Net;
using System.Security;
using System.Security.Cryptography.X509Certificates;

namespace Netpoll.PowerShell;

/// <summary>New-NetpollCertificate: a self-signed server certificate with SANs, for tests (Start-NetpollServer -Certificate).</summary>
[Cmdlet(VerbsCommon.New, "NetpollCertificate", SupportsShouldProcess = true, HelpUri = HelpLinks.Module)]
[OutputType(typeof(X509Certificate2))]
public sealed class NewNetpollCertificateCommand : PSCmdlet
{
    /// <summary>Host names the certificate is valid for; the first is also its subject (CN).</summary>
    [Parameter(Position = 0)]
    [ValidateNotNull]
    public string[] DnsName { get; set; } = ["localhost"];

    [Parameter]
    [ValidateNotNull]
    public IPAddress[] IPAddress { get; set; } = [System.Net.IPAddress.Loopback, System.Net.IPAddress.IPv6Loopback];

    [Parameter]
    [ValidateRange(1, 3650)]
    public int ValidDays { get; set; } = 30;

    /// <summary>Also write it here: .pfx/.p12 as PKCS#12, otherwise PEM (certificate and key in one file, owner-only).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Protects the .pfx written to -Path.</summary>
    [Parameter]
    public SecureString? Password { get; set; }

    protected override void EndProcessing()
    {
        if (DnsName.Length == 0 && IPAddress.Length == 0)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("Give at least one -DnsName or -IPAddress for the certificate to be valid for."),
                ErrorIds.CertificateInvalid, ErrorCategory.InvalidArgument, null));
        }

        foreach (string name in DnsName)
        {
            if (System.Uri.CheckHostName(name.StartsWith("*.", StringComparison.Ordinal) ? name[2..] : name) != UriHostNameType.Dns)
            {
                ThrowTerminatingError(new ErrorRecord(new ArgumentException($"'{name}' is not a host name (letters, digits, hyphens and dots; '*.' for a wildcard)."),
                    ErrorIds.CertificateInvalid, ErrorCategory.InvalidArgument, name));
            }
        }

        X509Certificate2 certificate = SelfSignedCertificate.Create(DnsName, IPAddress, TimeSpan.FromDays(ValidDays));
        if (Path is not null)
        {
            string path = GetUnresolvedProviderPathFromPSPath(Path);
            if (!ShouldProcess(path, "Write certificate and private key"))
            {
                return;
            }

            try
            {
                CertificateFile.Write(certificate, path, Password);
            }
            catch (Exception ex) when (ex is ArgumentException or IOException or UnauthorizedAccessException)
            {
                ThrowTerminatingError(new ErrorRecord(ex, ErrorIds.CertificateInvalid, ErrorCategory.WriteError, path));
            }

            WriteVerbose($"Wrote {certificate.Subject} ({certificate.Thumbprint}) to {path}.");
        }

        WriteObject(certificate);
    }
}
