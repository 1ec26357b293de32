using System.Collections.Concurrent;
using System.Diagnostics;

namespace Brigade.Storage;

/// <summary>Read-model rows and the checkpoint they bring the projection to, written with the log's writer.</summary>
internal sealed record SummaryWrite(IReadOnlyCollection<SummaryRow> Rows, string CheckpointName, long Checkpoint);

/// <summary>A commit, or a read-model write, waiting for a store's writer.</summary>
internal sealed class Pending(Commit? commit, SummaryWrite? summaries, long enqueued)
{
    public Commit? Commit { get; } = commit;
    public SummaryWrite? Summaries { get; } = summaries;
    public long Enqueued { get; } = enqueued;
    public TaskCompletionSource<CommitResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Why this commit is refused. The caller is told only once the batch has settled the chain (see <see cref="GroupCommitQueue.FailRefused"/>).</summary>
    public Exception? Refusal { get; private set; }

    public void Refuse(Exception e) => Refusal ??= e;
}

/// <summary>
/// What both event stores put in front of their single writer: callers enqueue commits, and one
/// dedicated thread gathers them into batches, each written in one transaction with one flush.
/// A blocking queue, not a channel: adding wakes the writer thread directly, with no thread-pool
/// hop; the writer blocks on the disk and must never hold a thread-pool thread while it does.
/// </summary>
internal sealed class GroupCommitQueue(string store) : IDisposable
{
    public const int MaxBatch = 4096;

    private readonly BlockingCollection<Pending> _queue = new(new ConcurrentQueue<Pending>());
    // Copied on write: a listener may subscribe while the writer runs.
    private volatile Action<IReadOnlyList<CommittedEvent>>[] _listeners = [];

    public void Subscribe(Action<IReadOnlyList<CommittedEvent>> onCommitted)
    {
        lock (_queue) _listeners = [.. _listeners, onCommitted];
    }

    /// <summary>
    /// Tell the listeners of a durable batch, on the writer thread, in log order. A listener that
    /// throws is counted (<c>brigade.eventlog.listener.failures</c>) and the others are still told:
    /// the batch is durable whatever a read model makes of it, and an exception let out here would
    /// end the writer thread and leave every later commit waiting.
    /// </summary>
    public void Notify(IReadOnlyList<CommittedEvent> committed)
    {
        if (committed.Count == 0) return;
        foreach (var listener in _listeners)
        {
            try
            {
                listener(committed);
            }
            catch (Exception e)
            {
                StoreMetrics.ListenerFailed(store, e);
            }
        }
    }

    public Task<CommitResult> Enqueue(Pending pending)
    {
        try
        {
            _queue.Add(pending);
        }
        catch (InvalidOperationException)
        {
            throw new ObjectDisposedException(store);
        }
        return pending.Completion.Task;
    }

    public Task<CommitResult> Enqueue(Commit commit)
    {
        if (commit.Events.Count == 0) throw new ArgumentException("A commit needs at least one event.", nameof(commit));
        return Enqueue(new Pending(commit, null, Stopwatch.GetTimestamp()));
    }

    public Task<CommitResult> Enqueue(SummaryWrite summaries) => Enqueue(new Pending(null, summaries, Stopwatch.GetTimestamp()));

    /// <summary>
    /// The writer loop; returns once <see cref="Complete"/> was called and the queue drained. After
    /// a batch completes, the callers it answered usually come straight back; waiting a moment for
    /// them (at most <paramref name="gatherWindow"/>, and only while fewer than the last batch have
    /// arrived) lets one flush carry them all instead of splitting them over two. The window is a
    /// fraction of a flush.
    /// </summary>
    public void Run(TimeSpan gatherWindow, Action<List<Pending>> writeBatch, Action? afterBatch = null)
    {
        // Named for the OS as well (top -H, perf, bench/http.sh's CPU accounting).
        Thread.CurrentThread.Name = "brigade-log";
        var batch = new List<Pending>(MaxBatch);
        var lastBatch = 0;
        var window = (long)(gatherWindow.TotalSeconds * Stopwatch.Frequency);
        while (_queue.TryTake(out var first, Timeout.Infinite))
        {
            batch.Add(first);
            var gatherUntil = Stopwatch.GetTimestamp() + window;
            while (true)
            {
                while (batch.Count < MaxBatch && _queue.TryTake(out var p)) batch.Add(p);
                if (batch.Count >= lastBatch || batch.Count >= MaxBatch) break;
                var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), gatherUntil);
                if (left <= TimeSpan.Zero) break;
                // Wait for the next (the queue spins briefly, then sleeps). Sleeping at once costs more:
                // a wake from sleep per commit that arrives (docs/benchmarks.md, "tried and dropped").
                if (_queue.TryTake(out var next, left)) batch.Add(next);
                else break;
            }
            lastBatch = batch.Count;
            writeBatch(batch);
            batch.Clear();
            afterBatch?.Invoke();
        }
    }

    /// <summary>No more commits: the writer loop finishes what is queued and returns.</summary>
    public void Complete() => _queue.CompleteAdding();

    /// <summary>
    /// Tell the refused callers, after the batch has set the chain's state: a caller that resets the
    /// chain as soon as it hears of the failure must not have its reset overwritten by this batch.
    /// </summary>
    public static void FailRefused(List<Pending> batch)
    {
        foreach (var p in batch)
            if (p.Refusal is { } e) p.Completion.TrySetException(e);
    }

    public void Dispose() => _queue.Dispose();
}
