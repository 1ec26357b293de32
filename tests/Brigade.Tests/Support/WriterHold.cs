using Brigade.Storage;

namespace Brigade.Tests.Support;

/// <summary>
/// Holds the log's writer inside one durable batch (the first, or the first that <c>matches</c>), as
/// a listener that does not return, so that the commits after it queue up behind it: what is decided
/// meanwhile is not yet durable. Released by <see cref="Release"/> or on dispose, whichever comes first.
/// </summary>
public sealed class WriterHold : IDisposable
{
    private readonly SemaphoreSlim _held = new(0);
    private readonly ManualResetEventSlim _release = new();
    private int _armed = 1;

    public WriterHold(IEventStore store, Func<IReadOnlyList<CommittedEvent>, bool>? matches = null) =>
        store.Subscribe(batch =>
        {
            if (matches is not null && !matches(batch)) return;
            if (Interlocked.Exchange(ref _armed, 0) == 0) return;
            _held.Release();
            _release.Wait(TimeSpan.FromSeconds(30));
        });

    /// <summary>Waits (bounded) until the writer is held.</summary>
    public async Task HeldAsync(string otherwise = "no batch reached the log's writer") =>
        Assert.True(await _held.WaitAsync(TimeSpan.FromSeconds(10)), otherwise);

    public void Release() => _release.Set();

    // The writer may still be inside the listener when the test ends: release it, and leave the two
    // signals to the collector rather than dispose them under it.
    public void Dispose() => Release();
}
