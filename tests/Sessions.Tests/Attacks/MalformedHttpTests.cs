using System.Net;
using System.Text;
using System.Text.Json;
using Sessions.Tests.ClientLibrary;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Attacks;

/// <summary>
/// HTTP/1.1 written by hand to the API process's own server, as an attacker (or a broken proxy) sends it and no HTTP
/// client does. What the server can parse reaches the pipeline and gets the envelope; what it cannot is refused before
/// any handler; a request that could carry a second one inside it is answered once and its connection closed.
/// </summary>
[Collection(ClientProcessCollection.Name)]
public sealed class MalformedHttpTests(ClientProcessFixture fixture)
{
    private const string Regenerate = "POST /auth/v1/mfa/token/regenerate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n";

    [Fact]
    public async Task ABrokenChunkedBodyGetsTheEnvelopesBadRequest()
    {
        var answers = await ExchangeAsync(Regenerate + "Transfer-Encoding: chunked\r\n\r\nZZ\r\nnot a chunk\r\n0\r\n\r\n");

        var answer = Assert.Single(answers.Responses);
        Assert.Equal(400, answer.Status);
        Assert.Equal((400, "Bad request."), Envelope(answer));
    }

    [Fact]
    public async Task ABodyTrickledInToHoldTheConnectionIsCutOffWithTheEnvelopesTimeout()
    {
        using var connection = await RawHttpConnection.OpenAsync(fixture.Api.Port);
        await connection.SendAsync(Regenerate + "Content-Length: 200\r\n\r\n");

        // One byte a second, far under the server's minimum rate (240 bytes a second after a 5 s grace).
        var answered = connection.ReadResponseAsync(TimeSpan.FromSeconds(40));
        var trickled = 0;
        while (!answered.IsCompleted && trickled < 30)
        {
            await connection.SendAsync("{");
            trickled++;
            await Task.WhenAny(answered, Task.Delay(TimeSpan.FromSeconds(1)));
        }

        Assert.True(answered.IsCompleted, $"still open after {trickled} bytes in {trickled} s");
        var answer = Assert.IsType<RawResponse>(await answered);
        Assert.Equal(408, answer.Status);
        Assert.Equal((408, "Request body too slow."), Envelope(answer));
        Assert.InRange(trickled, 4, 15);
    }

    [Fact]
    public async Task ARequestWithBothContentLengthAndChunkedCannotSmuggleASecondRequest()
    {
        // Content-Length says the body is 5 bytes; the chunked body ends after 5 bytes too ("0\r\n\r\n"). A server that
        // believed Content-Length would read the next request from what follows; one that believes the chunking
        // (RFC 9112 §6.3) must not keep the connection for it either, since a proxy in front may have split it the other way.
        var device = TestDevice.NewMobile();
        var smuggled = device.Body().ToJsonString();
        var answers = await ExchangeAsync(Regenerate + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
            + $"POST /auth/v1/token/generate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(smuggled)}\r\n\r\n{smuggled}");

        var answer = Assert.Single(answers.Responses);
        Assert.Equal((400, 1519), (answer.Status, Envelope(answer).Code));
        Assert.Equal("close", answer.Headers["connection"]);
        Assert.True(answers.ClosedByServer);
    }

    [Theory]
    [InlineData("headers over the server's limit", 431)]
    [InlineData("an HTTP version it does not speak", 505)]
    [InlineData("no Host header", 400)]
    [InlineData("a Content-Length that is not a number", 400)]
    public async Task HttpTheServerCannotParseIsRefusedBeforeAnyHandlerAndTheServiceKeepsServing(string what, int status)
    {
        var request = what switch
        {
            "headers over the server's limit" => Regenerate + $"X-Padding: {new string('a', 40_000)}\r\nContent-Length: 0\r\n\r\n",
            "an HTTP version it does not speak" => "POST /auth/v1/mfa/token/regenerate HTTP/9.9\r\nHost: localhost\r\n\r\n",
            "no Host header" => "POST /auth/v1/mfa/token/regenerate HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
            _ => Regenerate + "Content-Length: twelve\r\n\r\n",
        };

        var answers = await ExchangeAsync(request);
        var afterwards = await fixture.Api.Client.PostAsync("mfa/token/regenerate", TestDevice.NewMobile().Body(("key", "not-a-key")));

        var answer = Assert.Single(answers.Responses);
        Assert.Equal(status, answer.Status);
        Assert.True(answers.ClosedByServer, what);
        Assert.Equal((HttpStatusCode.Unauthorized, 1597), (afterwards.Status, afterwards.Code));
    }

    private static (int Code, string Message) Envelope(RawResponse answer)
    {
        var status = JsonDocument.Parse(answer.Body).RootElement.GetProperty("status");
        Assert.False(status.GetProperty("success").GetBoolean());
        return (status.GetProperty("code").GetInt32(), status.GetProperty("message").GetString()!);
    }

    /// <summary>Writes <paramref name="request"/> on a fresh connection and reads every answer until the server closes it or goes quiet.</summary>
    private async Task<(IReadOnlyList<RawResponse> Responses, bool ClosedByServer)> ExchangeAsync(string request)
    {
        using var connection = await RawHttpConnection.OpenAsync(fixture.Api.Port);
        await connection.SendAsync(request);
        return await connection.ReadUntilQuietAsync(TimeSpan.FromSeconds(3));
    }
}
