namespace Brigade.Storage;

/// <summary>A row of the order-summary read model: a few indexed columns and the order as JSON (UTF-8, as stored).</summary>
public sealed record SummaryRow(string Id, string Status, string? OutletId, string CustomerId, DateTimeOffset PlacedAt, DateTimeOffset UpdatedAt, long Version, byte[] Body)
{
    // Rows are values: two rows are equal when their columns and their JSON bytes are.
    public bool Equals(SummaryRow? other) =>
        other is not null && Id == other.Id && Status == other.Status && OutletId == other.OutletId && CustomerId == other.CustomerId &&
        PlacedAt == other.PlacedAt && UpdatedAt == other.UpdatedAt && Version == other.Version && Body.AsSpan().SequenceEqual(other.Body);

    public override int GetHashCode() => HashCode.Combine(Id, Version);
}

/// <summary>Storage of read models projected from the log. They can always be dropped and rebuilt from it.</summary>
public interface IReadModelStore
{
    Task<long> GetCheckpointAsync(string name, CancellationToken ct = default);

    /// <summary>Upsert rows and move the checkpoint, in one transaction.</summary>
    Task SaveSummariesAsync(IReadOnlyCollection<SummaryRow> rows, string checkpointName, long checkpoint, CancellationToken ct = default);

    /// <summary>Move a checkpoint alone (a follower of the log that keeps no rows here, such as the message relay).</summary>
    Task SaveCheckpointAsync(string name, long position, CancellationToken ct = default) => SaveSummariesAsync([], name, position, ct);

    Task<SummaryRow?> GetSummaryAsync(string id, CancellationToken ct = default);

    Task<IReadOnlyList<SummaryRow>> ListSummariesAsync(string? customerId, string? outletId, int limit, CancellationToken ct = default);

    /// <summary>Drop the read model and its checkpoint, so the projector rebuilds it from the start of the log.</summary>
    Task ResetReadModelAsync(string checkpointName, CancellationToken ct = default);
}
