using System.Net.Http.Headers;
using System.Text;

namespace Sessions.Bench;

/// <summary>The virtual users of each scenario, and the logins that set them up.</summary>
internal static class Scenarios
{
    public const string Otp = "123456";
    public const int Identifiers = 64;

    public static string Mobile(int i) => (19990000000L + i).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The full flow: token/generate, otp/generate, otp/validate, mfa/token/generate, mfa/otp/generate, mfa/otp/validate.</summary>
    public static async Task<(int Code, string? Key)> MfaLoginAsync(HttpClient http, string api, string brand, string mobile, string device)
    {
        var (code, body) = await Loader.PostAsync(http, $"{api}/auth/v1/token/generate", Loader.Json(brand, mobile, device));
        if (code != 200) return (code, null);
        var session = body.GetProperty("user").GetProperty("sessionId").GetString()!;
        (code, _) = await Loader.PostAsync(http, $"{api}/auth/v1/otp/generate", Loader.Json(brand, mobile, device, ("sessionId", session)));
        if (code != 200) return (code, null);
        (code, body) = await Loader.PostAsync(http, $"{api}/auth/v1/otp/validate", Loader.Json(brand, mobile, device, ("sessionId", session), ("otp", Otp)));
        if (code != 200) return (code, null);
        var token = body.GetProperty("auth").GetProperty("token").GetString()!;
        (code, body) = await Loader.PostAsync(http, $"{api}/auth/v1/mfa/token/generate", Loader.Json(brand, mobile, device, ("authorizedToken", token)));
        if (code != 200) return (code, null);
        session = body.GetProperty("user").GetProperty("sessionId").GetString()!;
        (code, _) = await Loader.PostAsync(http, $"{api}/auth/v1/mfa/otp/generate", Loader.Json(brand, mobile, device, ("sessionId", session)));
        if (code != 200) return (code, null);
        (code, body) = await Loader.PostAsync(http, $"{api}/auth/v1/mfa/otp/validate", Loader.Json(brand, mobile, device, ("sessionId", session), ("otp", Otp)));
        return code != 200 ? (code, null) : (code, body.GetProperty("auth").GetProperty("key").GetString());
    }

    public sealed class Baseline(string url, byte[] body) : IVirtualUser
    {
        public async Task<OperationResult> RunOnceAsync(HttpClient http) => new(1, (await Loader.PostAsync(http, url, body)).Code);
    }

    /// <summary>Regenerates with one key, again and again (rotation off: the key stays valid).</summary>
    public sealed class Regenerate(string url, byte[] body) : IVirtualUser
    {
        public string Url => url;
        public byte[] Body => body;

        public async Task<OperationResult> RunOnceAsync(HttpClient http) => new(1, (await Loader.PostAsync(http, url, body)).Code);
    }

    /// <summary>Chains its own keys: each answer's key is the next request's (rotation on: one storage write per call).</summary>
    public sealed class RegenerateRotating(string url, string brand, string mobile, string device, string key) : IVirtualUser
    {
        private string _key = key;

        public async Task<OperationResult> RunOnceAsync(HttpClient http)
        {
            var (code, body) = await Loader.PostAsync(http, url, Loader.Json(brand, mobile, device, ("key", _key)));
            if (code == 200)
            {
                _key = body.GetProperty("auth").GetProperty("key").GetString()!;
            }
            return new(1, code);
        }
    }

    /// <summary>
    /// A gateway introspecting one USER token again and again (RFC 7662 form body, the brand's Basic credentials):
    /// signature, expiry and one read-only call to the device session, which answers from memory. An inactive
    /// answer counts as an error (code 0).
    /// </summary>
    public sealed class Introspect(string url, string authorization, string token) : IVirtualUser
    {
        private readonly byte[] _body = Encoding.UTF8.GetBytes("token=" + Uri.EscapeDataString(token));

        public async Task<OperationResult> RunOnceAsync(HttpClient http)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(_body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
            using var response = await http.SendAsync(request);
            var answer = await response.Content.ReadAsByteArrayAsync();
            var active = response.IsSuccessStatusCode && answer.AsSpan().IndexOf("\"active\":true"u8) >= 0;
            return new(1, active ? 200 : 0);
        }
    }

    /// <summary>Logs one device session in, start to finish, again and again.</summary>
    public sealed class Login(string api, string brand, string mobile, string device) : IVirtualUser
    {
        public async Task<OperationResult> RunOnceAsync(HttpClient http) => new(6, (await MfaLoginAsync(http, api, brand, mobile, device)).Code);
    }

    /// <summary>Takes device sessions off a shared queue and regenerates each once: every call activates a grain.</summary>
    public sealed class Cold(string url, string brand, System.Collections.Concurrent.ConcurrentQueue<(string Mobile, string Device, string Key)> sessions) : IVirtualUser
    {
        public async Task<OperationResult> RunOnceAsync(HttpClient http)
        {
            if (!sessions.TryDequeue(out var session))
            {
                return new(0, 0);
            }
            return new(1, (await Loader.PostAsync(http, url, Loader.Json(brand, session.Mobile, session.Device, ("key", session.Key)))).Code);
        }
    }
}
