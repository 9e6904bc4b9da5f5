using System.Text;
using NATS.Client.Core;

namespace Kekbit.Replication.Nats;

/// <summary>
/// How to reach the NATS server, passed to NATS.Net as they are. Secrets (password, token) are never logged or put in
/// exception messages.
/// </summary>
public sealed record NatsConnectionOptions
{
    /// <summary>The server URL, such as <c>nats://127.0.0.1:4222</c> (or <c>tls://…</c>).</summary>
    public string Url { get; init; } = "nats://127.0.0.1:4222";

    /// <summary>The client name the server shows in its connection list.</summary>
    public string Name { get; init; } = "kekbit-replication";

    /// <summary>A NATS credentials file (JWT and NKey seed), or null.</summary>
    public string? CredentialsFile { get; init; }

    /// <summary>The user name for user/password authentication, or null.</summary>
    public string? User { get; init; }

    /// <summary>The password for user/password authentication, or null. Never logged.</summary>
    public string? Password { get; init; }

    /// <summary>A token for token authentication, or null. Never logged.</summary>
    public string? Token { get; init; }

    /// <summary>Requires TLS (otherwise TLS is used when the URL or the server asks for it).</summary>
    public bool RequireTls { get; init; }

    /// <summary>A PEM file of the certificate authorities that sign the server's certificate, or null for the system's.</summary>
    public string? TlsCaFile { get; init; }

    /// <summary>The client certificate (PEM) for mutual TLS, or null.</summary>
    public string? TlsCertFile { get; init; }

    /// <summary>The client certificate's private key (PEM) for mutual TLS, or null.</summary>
    public string? TlsKeyFile { get; init; }

    /// <summary>How long one connection attempt may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a request (a publish acknowledgement, a stream query) may take before it is retried.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Writes the options for logs with every secret redacted (the compiler's record printing would show the password).</summary>
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Url = ").Append(DisplayUrl)
            .Append(", Name = ").Append(Name)
            .Append(", CredentialsFile = ").Append(CredentialsFile)
            .Append(", User = ").Append(User)
            .Append(", Password = ").Append(Password is null ? "" : "***")
            .Append(", Token = ").Append(Token is null ? "" : "***")
            .Append(", RequireTls = ").Append(RequireTls)
            .Append(", TlsCaFile = ").Append(TlsCaFile)
            .Append(", TlsCertFile = ").Append(TlsCertFile)
            .Append(", TlsKeyFile = ").Append(TlsKeyFile)
            .Append(", ConnectTimeout = ").Append(ConnectTimeout)
            .Append(", RequestTimeout = ").Append(RequestTimeout);
        return true;
    }

    /// <summary>The URL without any user information, for logs and messages.</summary>
    internal string DisplayUrl => Uri.TryCreate(Url, UriKind.Absolute, out Uri? uri) && uri.UserInfo.Length > 0
        ? new UriBuilder(uri) { UserName = "", Password = "" }.Uri.ToString()
        : Url;

    internal NatsOpts ToNatsOpts() => NatsOpts.Default with
    {
        Url = Url,
        Name = Name,
        AuthOpts = NatsAuthOpts.Default with
        {
            CredsFile = CredentialsFile,
            Username = User,
            Password = Password,
            Token = Token,
        },
        TlsOpts = NatsTlsOpts.Default with
        {
            Mode = RequireTls ? TlsMode.Require : TlsMode.Auto,
            CaFile = TlsCaFile,
            CertFile = TlsCertFile,
            KeyFile = TlsKeyFile,
        },
        ConnectTimeout = ConnectTimeout,
        RequestTimeout = RequestTimeout,
        // The replicators bound their own retries; the client keeps reconnecting between them.
        MaxReconnectRetry = -1,
        ReconnectWaitMin = TimeSpan.FromMilliseconds(100),
        ReconnectWaitMax = TimeSpan.FromSeconds(2),
    };
}
