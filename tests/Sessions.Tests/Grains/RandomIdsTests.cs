using System.Buffers.Text;
using Sessions.Grains;

namespace Sessions.Tests.Grains;

public sealed class RandomIdsTests
{
    // Ids are handed out from per-thread draws of 1 KiB (64 ids): these cross many draws on several threads at once.
    [Fact]
    public async Task TokenIdsAre128BitsAndNeverRepeatAcrossDrawsAndThreads()
    {
        var perThread = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Enumerable.Range(0, 1_000).Select(_ => RandomIds.NewTokenId()).ToList())));
        var ids = perThread.SelectMany(batch => batch).ToList();

        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(ids, id => Assert.Equal(16, Base64Url.DecodeFromChars(id).Length));
        // A slice wiped after use and handed out again would show as an id of zero bytes.
        Assert.DoesNotContain(Base64Url.EncodeToString(new byte[16]), ids);
    }
}
