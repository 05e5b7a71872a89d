using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sessions.Grains.Passwords;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Attacks;

/// <summary>
/// One API for the attack tests: the real embedded default with the admin API on, and a password pool wide enough that
/// every admitted guess of a burst is really evaluated (so the tests count evaluations, not pool refusals). DEMO lets
/// an identifier hold 100 open logins, so a burst can come from as many device sessions as the attacker used.
/// </summary>
public sealed class AttackFixture : IAsyncLifetime
{
    public const string AdminKey = "attack-tests-admin-key-0123456789abcdef";

    public AttackFixture()
    {
        Factory = new(
            settings: new()
            {
                ["Sessions:Admin:ApiKeys:0:Id"] = "support",
                ["Sessions:Admin:ApiKeys:0:Key"] = AdminKey,
                ["Sessions:PasswordHashing:MaxConcurrency"] = "64",
                [$"Sessions:Brands:{TestBrands.Demo}:MaxOpenLogins"] = "100",
            },
            services: s => s.AddSingleton<ILoggerProvider>(Logs));
    }

    public ApiFactory Factory { get; }

    /// <summary>Every log entry of the API, for the security events an attack must leave.</summary>
    public CapturedLogs Logs { get; } = new();

    public SessionsClient Client { get; private set; } = null!;

    /// <summary>How many password hashes and verifications the silo has run: what a burst really cost.</summary>
    public long PasswordWorkRan => Factory.Services.GetRequiredService<PasswordWork>().Ran;

    public Task InitializeAsync()
    {
        Client = Factory.CreateSessionsClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();

    /// <summary>An admin call with the support key: status and body.</summary>
    public async Task<(System.Net.HttpStatusCode Status, JsonElement Body)> AdminAsync(HttpMethod method, string path)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using var response = await Client.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>DELETE of every family of the customer: what a support agent's "log out everywhere" does.</summary>
    public async Task<int> RevokeAllAsync(string customerId, string brand = TestBrands.Demo) =>
        (await AdminAsync(HttpMethod.Delete, $"/admin/v1/brands/{brand}/customers/{customerId}/sessions")).Body.GetProperty("revoked").GetInt32();

    public static string CustomerOf(ApiResponse login) => Jwt.Payload(login.Token!).GetProperty("uid").GetString()!;
}

[CollectionDefinition(Name)]
public sealed class AttackCollection : ICollectionFixture<AttackFixture>
{
    public const string Name = "attacks";
}
