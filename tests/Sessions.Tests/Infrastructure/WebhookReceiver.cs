using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Sessions.Tests.Infrastructure;

/// <summary>
/// A brand's webhook endpoint on loopback, as the OTP and security events webhooks post to it: every body it takes, with
/// its <c>X-Sessions-Signature</c>. <c>/down</c> answers 503 to every call; <c>/flaky</c> to its first
/// <see cref="FlakyRefusals"/>, then takes them (an endpoint that was down and came back); <c>/held</c> holds every call
/// unanswered until <see cref="ReleaseHeld"/> (a try under way), and takes it then; any other path takes every call.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _flakyCalls;

    private WebhookReceiver(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }

    public ConcurrentQueue<(string Body, string Signature)> Received { get; } = new();

    /// <summary>The bodies <c>/down</c> and <c>/flaky</c> refused.</summary>
    public ConcurrentQueue<string> Refused { get; } = new();

    /// <summary>The bodies <c>/held</c> was sent, each as it arrived.</summary>
    public ConcurrentQueue<string> Held { get; } = new();

    /// <summary>The bodies <c>/held</c> held until their caller went away (a silo killed), never answered.</summary>
    public ConcurrentQueue<string> Abandoned { get; } = new();

    /// <summary>How many of its first calls <c>/flaky</c> refuses (2 unless a test says otherwise).</summary>
    public int FlakyRefusals { get; set; } = 2;

    /// <summary>How many calls <c>/flaky</c> has had, refused ones included.</summary>
    public int FlakyCalls => Volatile.Read(ref _flakyCalls);

    public static async Task<WebhookReceiver> StartAsync()
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var receiver = new WebhookReceiver(builder.Build(), $"http://127.0.0.1:{port}");
        receiver._app.MapPost("/{path}", receiver.TakeAsync);
        await receiver._app.StartAsync();
        return receiver;
    }

    /// <summary>Answers the calls <c>/held</c> holds, and every later one at once.</summary>
    public void ReleaseHeld() => _released.TrySetResult();

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private async Task<IResult> TakeAsync(string path, HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync();
        if (path == "held")
        {
            Held.Enqueue(body);
            try
            {
                await _released.Task.WaitAsync(request.HttpContext.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The caller went away (a silo killed): the call was never answered.
                Abandoned.Enqueue(body);
                return Results.Empty;
            }
        }
        if (path == "down" || path == "flaky" && Interlocked.Increment(ref _flakyCalls) <= FlakyRefusals)
        {
            Refused.Enqueue(body);
            return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }
        Received.Enqueue((body, request.Headers["X-Sessions-Signature"].ToString()));
        return Results.Ok();
    }
}
