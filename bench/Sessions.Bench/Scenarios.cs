using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Sessions.Bench;

/// <summary>The lean loader's virtual users, and the logins that set every scenario up.</summary>
internal static class Scenarios
{
    public const string Otp = "123456";
    public const int Identifiers = 64;
    public const string RegeneratePath = "/auth/v1/mfa/token/regenerate";
    public const string IntrospectPath = "/auth/v1/token/introspect";

    /// <summary>
    /// Proofs made ahead per device-bound family for <c>regenerate-bound</c>: few, as a real device sends one a quarter of
    /// an hour, and well under the 100 a family takes while they are fresh.
    /// </summary>
    public const int ProofsPerBoundFamily = 25;

    public static string Mobile(int i) => (19990000000L + i).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The full flow: token/generate, otp/generate, otp/validate, mfa/token/generate, mfa/otp/generate, mfa/otp/validate.</summary>
    public static async Task<(int Status, string? Key)> MfaLoginAsync(LeanConnection connection, string brand, string mobile, string device)
    {
        var answer = await connection.SendAsync(Post("/auth/v1/token/generate", brand, mobile, device));
        if (answer.Status != 200) return (answer.Status, null);
        var session = answer.Field("\"sessionId\":\""u8)!;
        answer = await connection.SendAsync(Post("/auth/v1/otp/generate", brand, mobile, device, ("sessionId", session)));
        if (answer.Status != 200) return (answer.Status, null);
        answer = await connection.SendAsync(Post("/auth/v1/otp/validate", brand, mobile, device, ("sessionId", session), ("otp", Otp)));
        if (answer.Status != 200) return (answer.Status, null);
        var token = answer.Field("\"token\":\""u8)!;
        answer = await connection.SendAsync(Post("/auth/v1/mfa/token/generate", brand, mobile, device, ("authorizedToken", token)));
        if (answer.Status != 200) return (answer.Status, null);
        session = answer.Field("\"sessionId\":\""u8)!;
        answer = await connection.SendAsync(Post("/auth/v1/mfa/otp/generate", brand, mobile, device, ("sessionId", session)));
        if (answer.Status != 200) return (answer.Status, null);
        answer = await connection.SendAsync(Post("/auth/v1/mfa/otp/validate", brand, mobile, device, ("sessionId", session), ("otp", Otp)));
        return answer.Status != 200 ? (answer.Status, null) : (200, answer.Field("\"key\":\""u8));
    }

    public static byte[] Post(string path, string brand, string mobile, string device, params (string Name, string Value)[] fields) =>
        LeanConnection.Post(path, Loader.Json(brand, mobile, device, fields));

    /// <summary>
    /// Regenerate requests of device-bound families, each with a proof of its own by the family's device key, made before
    /// the measurement so that the loader stays as light as for <c>regenerate</c>: <paramref name="proofsPerFamily"/>
    /// rounds over the families (the first proof binds each one). The proofs carry the URL the server sees (Host
    /// 127.0.0.1) and stay fresh through the brand's 5-minute window.
    /// </summary>
    public static List<byte[]> BoundRegenerates(string brand, IReadOnlyList<(string Mobile, string Device, string Key)> sessions, int proofsPerFamily)
    {
        var makers = sessions.Select(_ => new Sessions.Samples.DeviceProof.DeviceProofMaker(
            System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256))).ToArray();
        var bodies = sessions.Select(s => Loader.Json(brand, s.Mobile, s.Device, ("key", s.Key))).ToArray();
        var requests = new byte[proofsPerFamily * sessions.Count][];
        var now = DateTimeOffset.UtcNow;
        Parallel.For(0, requests.Length, i =>
        {
            var family = i % sessions.Count;
            var proof = makers[family].Create("POST", "http://127.0.0.1" + RegeneratePath, now);
            requests[i] = LeanConnection.Post(RegeneratePath, bodies[family], deviceProof: proof);
        });
        return [.. requests];
    }

    /// <summary>Sends one fixed request again and again (the ceiling check, and the paced regenerate).</summary>
    public sealed class Fixed(byte[] request) : IVirtualUser
    {
        public async ValueTask<OperationResult> RunOnceAsync(LeanConnection connection) => new(1, (await connection.SendAsync(request)).Status);
    }

    /// <summary>Cycles through fixed requests, one per device session, as wrk's script does.</summary>
    public sealed class Cycling(IReadOnlyList<byte[]> requests) : IVirtualUser
    {
        private int _next;

        public async ValueTask<OperationResult> RunOnceAsync(LeanConnection connection)
        {
            var request = requests[_next];
            _next = (_next + 1) % requests.Count;
            return new(1, (await connection.SendAsync(request)).Status);
        }
    }

    /// <summary>
    /// Chains the keys of its device sessions, in turn: each answer's key is that session's next request (rotation on:
    /// one storage write per call).
    /// </summary>
    public sealed class RegenerateRotating(string brand, IReadOnlyList<(string Mobile, string Device, string Key)> sessions) : IVirtualUser
    {
        private readonly string[] _keys = [.. sessions.Select(s => s.Key)];
        private int _next;

        public async ValueTask<OperationResult> RunOnceAsync(LeanConnection connection)
        {
            var i = _next;
            _next = (_next + 1) % _keys.Length;
            var (mobile, device, _) = sessions[i];
            var answer = await connection.SendAsync(Post(RegeneratePath, brand, mobile, device, ("key", _keys[i])));
            if (answer.Status == 200)
            {
                _keys[i] = answer.Field("\"key\":\""u8)!;
            }
            return new(1, answer.Status);
        }
    }

    /// <summary>Logs one device session in, start to finish, again and again.</summary>
    public sealed class Login(string brand, string mobile, string device) : IVirtualUser
    {
        public async ValueTask<OperationResult> RunOnceAsync(LeanConnection connection) => new(6, (await MfaLoginAsync(connection, brand, mobile, device)).Status);
    }

    /// <summary>Takes device sessions off a shared queue and regenerates each once: every call activates a grain.</summary>
    public sealed class Cold(string brand, ConcurrentQueue<(string Mobile, string Device, string Key)> sessions) : IVirtualUser
    {
        public async ValueTask<OperationResult> RunOnceAsync(LeanConnection connection)
        {
            if (!sessions.TryDequeue(out var session))
            {
                return new(0, 0);
            }
            return new(1, (await connection.SendAsync(Post(RegeneratePath, brand, session.Mobile, session.Device, ("key", session.Key)))).Status);
        }
    }

    /// <summary>Password-bearing anonymous requests per second in the <c>regenerate@half+flood</c> scenario (issue 18's figure).</summary>
    public const int FloodPerSecond = 50;

    /// <summary>
    /// For every test identifier of <paramref name="brand"/>: a customer with a password (first login sets it), and a
    /// second device's open login session; answers one wrong-password <c>password/validate</c> request per session.
    /// </summary>
    public static async Task<List<byte[]>> OpenFloodSessionsAsync(int port, string brand)
    {
        using var connection = await LeanConnection.OpenAsync(port);
        var requests = new List<byte[]>();
        for (var i = 0; i < Identifiers; i++)
        {
            var mobile = Mobile(i);
            var answer = await connection.SendAsync(Post("/auth/v1/token/generate", brand, mobile, "owner", ("password", "owner secret 1"), ("confirmPassword", "owner secret 1")));
            var session = answer.Field("\"sessionId\":\""u8)!;
            await connection.SendAsync(Post("/auth/v1/otp/generate", brand, mobile, "owner", ("sessionId", session)));
            answer = await connection.SendAsync(Post("/auth/v1/otp/validate", brand, mobile, "owner", ("sessionId", session), ("otp", Otp)));
            if (answer.Status != 200)
            {
                throw new InvalidOperationException($"set-up of the flood's customers failed with {answer.Status}");
            }
            answer = await connection.SendAsync(Post("/auth/v1/token/generate", brand, mobile, "guesser"));
            requests.Add(Post("/auth/v1/password/validate", brand, mobile, "guesser", ("sessionId", answer.Field("\"sessionId\":\""u8)!), ("password", "a wrong guess")));
        }
        return requests;
    }

    /// <summary>Forged-token requests per second in the <c>regenerate@half+token-flood</c> scenario.</summary>
    public const int TokenFloodPerSecond = 2000;

    /// <summary>
    /// Logout (<c>mfa/token/expire</c>) requests, one per test identifier, whose USER token names <paramref name="brand"/>
    /// and its ES256 key <paramref name="keyId"/>, as a real one does, but carries 64 random bytes for a signature: the API
    /// refuses each only after an ECDSA verification.
    /// </summary>
    public static List<byte[]> ForgedTokenRequests(string brand, string keyId)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return [.. Enumerable.Range(0, Identifiers).Select(i =>
        {
            var (mobile, device) = (Mobile(i), $"forger-{i}");
            var header = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
            {
                ["alg"] = "ES256", ["kid"] = keyId, ["typ"] = "JWT", ["org"] = brand, ["dev"] = device, ["idv"] = new[] { $"MOBILE|{mobile}" },
            });
            var payload = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
            {
                ["role"] = "USER", ["iat"] = now, ["exp"] = now + 900, ["jti"] = $"forged-{i}",
            });
            var token = $"{Base64Url.EncodeToString(header)}.{Base64Url.EncodeToString(payload)}.{Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(64))}";
            return Post("/auth/v1/mfa/token/expire", brand, mobile, device, ("token", token));
        })];
    }

    /// <summary>An introspection request (RFC 7662 form body with the brand's Basic credentials) of one token.</summary>
    public static byte[] IntrospectionRequest(string token, string authorization) =>
        LeanConnection.Post(IntrospectPath, Encoding.UTF8.GetBytes(IntrospectionBody(token)), "application/x-www-form-urlencoded", authorization);

    public static string IntrospectionBody(string token) => "token=" + Uri.EscapeDataString(token);
}
