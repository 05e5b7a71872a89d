using System.Net;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Cluster;

/// <summary>
/// Device binding across a cluster (API.md §4.7): the family's grain is the one judge of a proof's id wherever the
/// requests land, and a server nonce made by one API process is good on every other, with no state shared but keys.
/// </summary>
public sealed class DeviceBindingClusterTests
{
    [Fact]
    public async Task OneProofSentToTwoApiProcessesAtOnceSucceedsExactlyOnceAndANonceOfOneIsGoodOnTheOther()
    {
        var cluster = TestCluster.OnTestStore("binding");
        await using var silo1 = new ApiFactory(settings: TestCluster.Node(cluster, "Silo"));
        await using var silo2 = new ApiFactory(settings: TestCluster.Node(cluster, "Silo"));
        var via1 = silo1.CreateSessionsClient();
        var via2 = silo2.CreateSessionsClient();
        using var deviceKey = new DeviceKey(silo1.Clock);
        var phone = TestDevice.NewMobile(TestBrands.Bound);
        var login = await via1.LoginAsync(phone, deviceKey);

        // The same proof through both processes, several times each, at once.
        var proof = deviceKey.Proof(via1.Url("token/regenerate"));
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            (i % 2 == 0 ? via1 : via2).PostWithProofAsync("token/regenerate", phone.Body(("key", login.Key)), proof)));

        var succeeded = Assert.Single(answers, a => a.Status == HttpStatusCode.OK);
        Assert.All(answers.Where(a => a != succeeded), a => Assert.Equal(1560, a.Code));

        // A phone whose clock is an hour off: process 1 hands out the nonce, process 2 takes it.
        var anHourAgo = silo1.Clock.GetUtcNow().AddHours(-1);
        var stale = await via1.PostWithProofAsync("token/regenerate", phone.Body(("key", succeeded.Key)), deviceKey.Proof(via1.Url("token/regenerate"), issuedAt: anHourAgo));
        var withNonce = await via2.PostWithProofAsync("token/regenerate", phone.Body(("key", succeeded.Key)),
            deviceKey.Proof(via2.Url("token/regenerate"), stale.DeviceNonce, issuedAt: anHourAgo));

        Assert.Equal(1563, stale.Code);
        Assert.Equal(HttpStatusCode.OK, withNonce.Status);
        Assert.Equal(deviceKey.Thumbprint, Jwt.Payload(withNonce.Key!).GetProperty("cnf").GetProperty("jkt").GetString());
    }
}
