using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Sessions.Tests.Infrastructure;

/// <summary>
/// The support keys of the admin API's tests: one for every brand, one for every brand configured by its hash, a
/// read-only one for DEMO, and one for GUARDED only.
/// </summary>
public static class TestAdminKeys
{
    public const string Support = "support-key-0123456789-abcdefghijklmnop";
    public const string Ops = "ops-key-0123456789-abcdefghijklmnopqrstuv";
    public const string DemoReader = "demo-reader-key-0123456789-abcdefghijklmn";
    public const string Guarded = "guarded-key-0123456789-abcdefghijklmnopqr";

    /// <summary>The settings that configure the four keys (ids <c>support</c>, <c>ops</c>, <c>demo-reader</c>, <c>guarded-support</c>).</summary>
    public static Dictionary<string, string?> Settings() => new()
    {
        ["Sessions:Admin:ApiKeys:0:Id"] = "support",
        ["Sessions:Admin:ApiKeys:0:Key"] = Support,
        ["Sessions:Admin:ApiKeys:1:Id"] = "ops",
        ["Sessions:Admin:ApiKeys:1:Key"] = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Ops))),
        ["Sessions:Admin:ApiKeys:2:Id"] = "demo-reader",
        ["Sessions:Admin:ApiKeys:2:Key"] = DemoReader,
        ["Sessions:Admin:ApiKeys:2:Brands:0"] = "demo",
        ["Sessions:Admin:ApiKeys:2:ReadOnly"] = "true",
        ["Sessions:Admin:ApiKeys:3:Id"] = "guarded-support",
        ["Sessions:Admin:ApiKeys:3:Key"] = Guarded,
        ["Sessions:Admin:ApiKeys:3:Brands:0"] = TestBrands.Guarded,
    };

    /// <summary>An admin call with <paramref name="key"/> as its bearer key, or with none.</summary>
    public static async Task<HttpResponseMessage> SendAdminAsync(this SessionsClient client, HttpMethod method, string path, string? key)
    {
        using var request = new HttpRequestMessage(method, path);
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return await client.Http.SendAsync(request);
    }

    /// <summary>A store sweep started through the admin API with <paramref name="key"/>, and what it did once it is done (30 s at most).</summary>
    public static async Task<JsonElement> SweepStoreAsync(this SessionsClient client, string key)
    {
        var before = await StatusAsync();
        using var started = await client.SendAdminAsync(HttpMethod.Post, "/admin/v1/store/sweep", key);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        JsonElement last = default;
        await Eventually.HoldsAsync(async () => (last = (await StatusAsync()).GetProperty("last")).ValueKind == JsonValueKind.Object
            && last.ToString() != before.GetProperty("last").ToString(), TimeSpan.FromSeconds(30), "the sweep done");
        return last;

        async Task<JsonElement> StatusAsync()
        {
            using var status = await client.SendAdminAsync(HttpMethod.Get, "/admin/v1/store/sweep", key);
            return await status.OkJsonAsync();
        }
    }

    /// <summary>The body of an admin answer that must be a 200.</summary>
    public static async Task<JsonElement> OkJsonAsync(this HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }
}
