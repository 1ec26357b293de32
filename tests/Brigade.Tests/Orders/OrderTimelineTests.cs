using Brigade.Orders;

namespace Brigade.Tests.Orders;

public class OrderTimelineTests
{
    private static readonly DateTimeOffset Placed = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_timeline_reads_back_each_instant_it_was_given_and_null_for_the_rest()
    {
        var timeline = new OrderTimeline { PlacedAt = Placed, AcceptedAt = Placed.AddSeconds(1) }
            with { ReadyAt = Placed.AddMinutes(12), FailedAt = Placed.AddMinutes(40) };

        Assert.Equal(Placed, timeline.PlacedAt);
        Assert.Equal(Placed.AddSeconds(1), timeline.AcceptedAt);
        Assert.Equal(Placed.AddMinutes(12), timeline.ReadyAt);
        Assert.Equal(Placed.AddMinutes(40), timeline.FailedAt);
        Assert.All(
            new[] { timeline.PreparingAt, timeline.CourierAssignedAt, timeline.PickedUpAt, timeline.DeliveredAt, timeline.CollectedAt, timeline.CancelledAt, timeline.RejectedAt },
            at => Assert.Null(at));
        Assert.Null((timeline with { ReadyAt = null }).ReadyAt);
    }

    [Fact]
    public void An_instant_given_with_an_offset_reads_back_as_the_same_instant_in_utc()
    {
        var berlin = new DateTimeOffset(2026, 11, 21, 13, 0, 0, TimeSpan.FromHours(1));

        var timeline = new OrderTimeline { PlacedAt = berlin };

        Assert.Equal(berlin.UtcTicks, timeline.PlacedAt!.Value.UtcTicks);
        Assert.Equal(TimeSpan.Zero, timeline.PlacedAt.Value.Offset);
        Assert.Equal(new OrderTimeline { PlacedAt = Placed }, timeline);
        Assert.NotEqual(new OrderTimeline { PlacedAt = Placed, ReadyAt = Placed }, timeline);
    }
}
