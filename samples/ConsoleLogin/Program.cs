using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Sessions.Client;

// dotnet run --project samples/ConsoleLogin -- PHONE [--code-from-dev-outbox] [--calls N] [--every SECONDS]
// Beside `dotnet run --project src/Api` (http://localhost:5080) and the resource server sample (http://localhost:5090).
var phone = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "18765550101";
var codeFromOutbox = args.Contains("--code-from-dev-outbox");
var calls = Option("--calls", int.MaxValue);
var every = TimeSpan.FromSeconds(Option("--every", 5));
var sessionsUrl = Environment.GetEnvironmentVariable("SESSIONS_URL") ?? "http://localhost:5080/";
var shopUrl = Environment.GetEnvironmentVariable("RESOURCE_URL") ?? "http://localhost:5090/";
var storeDirectory = Path.Combine(AppContext.BaseDirectory, "session-store");

var services = new ServiceCollection();
services.AddSessionsClient(options =>
{
    options.BaseAddress = new Uri(sessionsUrl);
    options.Brand = "DEMO";
    options.BindToDevice = true;            // the Development DEMO brand binds devices (DeviceBinding: Optional)
    options.StoreDirectory = storeDirectory;
});
services.AddHttpClient("shop", http => http.BaseAddress = new Uri(shopUrl)).AddSessionToken();
await using var provider = services.BuildServiceProvider();
var sessions = provider.GetRequiredService<SessionsClient>();
var session = sessions.GetSession();
session.SessionEnded += (_, e) => Console.WriteLine($"The session ended: {e.Reason}. Run again to log in.");
session.TokenRefreshed += (_, e) => Console.WriteLine($"{DateTime.Now:T} a new token, valid until {e.ExpiresAt.ToLocalTime():T}");

if (!await sessions.HasSessionAsync())
{
    var login = await sessions.StartLoginAsync(DeviceIdentity.Mobile(phone, DeviceId(storeDirectory)));
    var outbox = $"{sessionsUrl}dev/otp?brand=DEMO&identifierType=MOBILE&identifierValue={phone}";
    string code;
    if (codeFromOutbox)
    {
        using var http = new HttpClient();
        code = (await http.GetFromJsonAsync(outbox, OutboxJson.Default.OutboxEntry))!.Otp;
    }
    else
    {
        Console.Write($"The code sent to {phone} (Development: {outbox}): ");
        code = Console.ReadLine()?.Trim() ?? "";
    }
    var signIn = await login.VerifyOtpAsync(code);
    Console.WriteLine($"Logged in ({signIn.Role}); the session is kept in {storeDirectory}.");
}
else
{
    Console.WriteLine($"Resuming the session kept in {storeDirectory}.");
}

var shop = provider.GetRequiredService<IHttpClientFactory>().CreateClient("shop");
for (var call = 1; call <= calls; call++)
{
    try
    {
        Console.WriteLine($"{DateTime.Now:T} GET /me -> {await shop.GetStringAsync("me")}");
    }
    catch (SessionEndedException)
    {
        return 1;
    }
    catch (Exception e) when (e is HttpRequestException or SessionsUnavailableException)
    {
        Console.WriteLine($"{DateTime.Now:T} not now: {e.Message}");
    }
    if (call < calls)
    {
        await Task.Delay(every);
    }
}
return 0;

int Option(string name, int fallback) =>
    Array.IndexOf(args, name) is var at and >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;

// The app's installation id: made once, kept beside the session.
static string DeviceId(string directory)
{
    var file = Path.Combine(directory, "device-id");
    if (!File.Exists(file))
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(file, $"console-{Guid.NewGuid():N}");
    }
    return File.ReadAllText(file);
}

internal sealed record OutboxEntry(string Otp);

// Source-generated, like the library's, so that the sample publishes trimmed or native AOT without warnings.
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true)]
[System.Text.Json.Serialization.JsonSerializable(typeof(OutboxEntry))]
internal sealed partial class OutboxJson : System.Text.Json.Serialization.JsonSerializerContext;
