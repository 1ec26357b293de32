using Brigade.Catalog;

namespace Brigade.Kitchen;

// The kitchen's in-memory state. These types are internal and mutable for speed, and only
// Kitchen.Apply changes them. Times are UTC ticks of the kitchen clock.

public enum TaskPhase : byte
{
    /// <summary>Waiting for the previous step of the same unit.</summary>
    Blocked,
    /// <summary>In its station's queue.</summary>
    Queued,
    /// <summary>A chef is working on it (and holds its equipment slot, if any).</summary>
    Working,
    /// <summary>Unattended equipment is running; the chef has moved on.</summary>
    HandsFree,
    Done,
    Dropped,
}

internal sealed class KTask
{
    public required long Id;
    public KOrder? Order;
    public KPrep? Prep;
    public required int Station;
    public required int Equipment;
    /// <summary>The recipe step, shared with every other task of the same step at this kitchen.</summary>
    public required StepSpec Step;
    /// <summary>Which unit of its item this task is for (the second pizza of two is unit 1).</summary>
    public required int ItemUnit;
    public long WorkTicks;
    public long EquipTicks;
    public int IndexInOwner;
    public KTask? Next;
    public TaskPhase Phase;
    public long QueueKey;
    /// <summary>
    /// Its station's queue holds an entry under <see cref="QueueKey"/> (queues delete lazily, so
    /// a started task's entry stays until it reaches the head). A task handed back twice gets the
    /// same key both times, and must not be queued under it twice.
    /// </summary>
    public bool InQueue;
    public int Chef = -1;
    public int Unit = -1;
    public long Token;
    public int Attempts;
    public long LeaseUntil;
    public long StartedAt;
    public long QueuedAt;
    /// <summary>When the chef should be free of it, and when its equipment slot should be (ticks since the kitchen's epoch).</summary>
    public long ChefEnd;
    public long EquipEnd;

    /// <summary>Chef time for a chef of speed 1: the hands-on work, plus the equipment time if attended.</summary>
    public long BacklogTicks => Step.Attended ? WorkTicks + EquipTicks : WorkTicks;
    public long Seq => Order?.Seq ?? Prep!.Seq;
    public bool IsPrep => Prep is not null;
}

/// <summary>
/// What a task does: one recipe step of one item, with the times its queueing event recorded. The
/// kitchen keeps one per distinct step and every task of that step shares it, so an open order
/// holds its tasks' progress and not a copy of its recipe per task.
/// </summary>
internal sealed record StepSpec(string Item, string Name, double WorkSeconds, double EquipmentSeconds, bool Attended);

internal sealed class KOrder
{
    public required string Id;
    public required long Seq;
    public required long QueuedAt;
    public required long EstimatedReady;
    /// <summary>The order's tasks in recipe order, exactly as many as it queued.</summary>
    public required KTask[] Tasks;
    /// <summary>Prepped components taken from stock for this order; null while there are none (most orders).</summary>
    public List<Reservation>? ReservedStock;
    /// <summary>Unfinished tasks per station index: a ticket is done when its count reaches zero.</summary>
    public required int[] RemainingByStation;
    public int Remaining;
    public bool Started;
    public bool Finished;
}

/// <summary>A component an order took from stock, and the task that works on it (0: none; null: not recorded, an older log).</summary>
internal readonly record struct Reservation(string Component, long? TakenBy);

internal sealed class KPrep
{
    public required string Component;
    public required int ComponentIndex;
    public required long Seq;
    public required int Quantity;
    public required KTask[] Tasks;
    public int Remaining;
}

internal sealed class KChef
{
    public required int Index;
    public required string Id;
    public required string Name;
    public required int[] Skills;
    public required double Speed;
    public required bool Standby;
    public bool OnDuty;
    public bool Sick;
    public bool Active;
    public KTask? Task;
    public long BusyTicks;
    public long PaidTicks;
    public long PaidSince;
    public int TasksDone;

    public int Home => Skills[0];
    public bool Available => OnDuty && !Sick && Active;
    public bool Paid => OnDuty && !Sick && Active;
    public bool Free => Available && Task is null;
}

internal sealed class KStation
{
    public required int Index;
    public required StationSpec Spec;
    /// <summary>Queue 0 holds tasks needing no equipment; queue e+1 those needing equipment e. FIFO is by key.</summary>
    public required PriorityQueue<KTask, long>[] Queues;
    public readonly PriorityQueue<KTask, long> PrepQueue = new();
    public int Queued;
    /// <summary>Chef time (at speed 1) of order tasks not yet started: queued and blocked.</summary>
    public long BacklogTicks;
    public int TargetActive;
    public long LastScaledAt = long.MinValue;
    /// <summary>
    /// The first review instant of the current quiet spell (projected wait at most half the target),
    /// or <see cref="long.MinValue"/> outside one. Kept by the fold (see <c>SampleQuiet</c>).
    /// </summary>
    public long QuietSince = long.MinValue;
    public long CompletedTasks;
    public long WaitTicksTotal;
    public long Started;
    /// <summary>Tasks chefs are working on here, and the sum of when each should be done (ticks since the epoch).</summary>
    public int Busy;
    public long BusyEndSum;
}

internal sealed class KEquipment
{
    public required int Index;
    public required EquipmentSpec Spec;
    public required int[] Used;
    public required bool[] Broken;
    /// <summary>Equipment time of order tasks not yet started.</summary>
    public long BacklogTicks;
    /// <summary>Slots in use, and the sum of when each should come free (ticks since the epoch).</summary>
    public int InUse;
    public long InUseEndSum;

    public int FreeUnit()
    {
        for (var u = 0; u < Used.Length; u++)
            if (!Broken[u] && Used[u] < Spec.Capacity) return u;
        return -1;
    }

    public int WorkingSlots()
    {
        var slots = 0;
        for (var u = 0; u < Used.Length; u++)
            if (!Broken[u]) slots += Spec.Capacity;
        return slots;
    }
}

internal enum TimerKind : byte
{
    Work,
    Equipment,
    Lease,
}

internal readonly record struct KTimer(TimerKind Kind, KTask Task, long Token);

internal readonly record struct TimerKey(long Due, long Seq) : IComparable<TimerKey>
{
    public int CompareTo(TimerKey other) => Due != other.Due ? Due.CompareTo(other.Due) : Seq.CompareTo(other.Seq);
}

/// <summary>The kitchen's answer to "can you take this order?".</summary>
public sealed record Admission(bool Accepted, DateTimeOffset EstimatedReadyAt, TimeSpan RetryAfter, string? Reason)
{
    public static Admission Refused(string reason, TimeSpan retryAfter, DateTimeOffset estimate) => new(false, estimate, retryAfter, reason);
}

/// <summary>Outcome of a staff or chef command at the kitchen.</summary>
public enum KitchenOutcome
{
    Ok,
    NotFound,
    Conflict,
    Stale,
    Invalid,
}

public readonly record struct KitchenResult(KitchenOutcome Outcome, string? Message = null, long TaskId = 0, long Token = 0)
{
    public bool IsOk => Outcome == KitchenOutcome.Ok;
    public static KitchenResult Ok(long taskId = 0, long token = 0) => new(KitchenOutcome.Ok, null, taskId, token);
    public static KitchenResult NotFound(string message) => new(KitchenOutcome.NotFound, message);
    public static KitchenResult Conflict(string message) => new(KitchenOutcome.Conflict, message);
    public static KitchenResult Stale(string message) => new(KitchenOutcome.Stale, message);
    public static KitchenResult Invalid(string message) => new(KitchenOutcome.Invalid, message);
}
