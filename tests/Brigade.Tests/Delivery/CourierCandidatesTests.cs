using Brigade.Delivery;
using Brigade.Dispatch;
using Brigade.Geo;

namespace Brigade.Tests.Delivery;

/// <summary>
/// The live engine's candidate search: idle couriers come from the geo index, couriers finishing a
/// job are planned from their last drop-off. Both kinds are ranked by distance from the pickup.
/// </summary>
public class CourierCandidatesTests
{
    private static readonly long Now = new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero).UtcTicks;
    private static readonly LocalProjection Berlin = new(new GeoPoint(52.52, 13.40));

    /// <summary>A round of couriers: idle ones are put in the index as available, busy ones are not.</summary>
    private static (GeoIndexCandidates Candidates, DispatchCourier[] Round) RoundOf(params (Position Where, bool Busy)[] couriers)
    {
        var index = new GeoIndex(new GeoIndexOptions { StaleAfter = TimeSpan.FromMinutes(2), InitialCapacity = 8 });
        var round = new DispatchCourier[couriers.Length];
        for (var i = 0; i < couriers.Length; i++)
        {
            var handle = 100 + i;
            var (where, busy) = couriers[i];
            round[i] = new DispatchCourier(handle, where, busy ? 600 : 0, 1e7);
            if (busy) continue;
            var geo = Berlin.ToGeo(where);
            index.Update(handle, geo.Lat, geo.Lon, Now);
            index.SetAvailable(handle, true);
        }
        var candidates = new GeoIndexCandidates(index, Berlin, radiusMetres: 15_000);
        candidates.Begin(Now);
        candidates.Prepare(round);
        return (candidates, round);
    }

    private static int[] Nearest(ICourierCandidates candidates, Position pickup, int k)
    {
        var result = new int[k];
        return result[..candidates.Nearest(pickup, result)];
    }

    [Fact]
    public void A_courier_finishing_a_job_next_to_the_pickup_is_a_candidate_even_when_enough_idle_couriers_are_farther()
    {
        var (candidates, _) = RoundOf(
            (new(3000, 0), false),
            (new(0, 3200), false),
            (new(-3400, 0), false),
            (new(9000, 0), true),   // drops off far away
            (new(0, 9500), true),   // drops off far away
            (new(200, 0), true),    // drops off next to the pickup
            (new(0, -300), true));  // drops off next to the pickup

        Assert.Equal([5, 6, 0], Nearest(candidates, new(0, 0), 3));
    }

    [Fact]
    public void Idle_couriers_the_index_holds_but_the_round_leaves_out_do_not_crowd_out_one_that_is_in_it()
    {
        // Six couriers near the pickup are available in the index but sit this round out (resting after
        // declining an offer, say); the one idle courier of the round is farther away.
        var index = new GeoIndex(new GeoIndexOptions { StaleAfter = TimeSpan.FromMinutes(2), InitialCapacity = 8 });
        for (var i = 0; i < 6; i++)
        {
            var near = Berlin.ToGeo(new Position(100 * (i + 1), 0));
            index.Update(200 + i, near.Lat, near.Lon, Now);
            index.SetAvailable(200 + i, true);
        }
        var far = new Position(5000, 0);
        var farGeo = Berlin.ToGeo(far);
        index.Update(100, farGeo.Lat, farGeo.Lon, Now);
        index.SetAvailable(100, true);
        var candidates = new GeoIndexCandidates(index, Berlin, radiusMetres: 15_000);
        candidates.Begin(Now);
        candidates.Prepare([new DispatchCourier(100, far, 0, 1e7)]);

        Assert.Equal([0], Nearest(candidates, new(0, 0), 2));
    }

    [Fact]
    public void When_there_are_more_couriers_finishing_jobs_than_candidates_the_nearest_of_them_are_taken()
    {
        var (candidates, _) = RoundOf(
            (new(5000, 0), false),
            (new(9000, 0), true),
            (new(8000, 0), true),
            (new(7000, 0), true),
            (new(400, 0), true),
            (new(600, 0), true));

        Assert.Equal([4, 5, 0], Nearest(candidates, new(0, 0), 3));
    }

    [Fact]
    public void Idle_and_busy_couriers_are_ranked_as_the_brute_force_reference_ranks_them()
    {
        var rng = new Random(20261122);
        var couriers = Enumerable.Range(0, 120)
            .Select(_ => (new Position((rng.NextDouble() - 0.5) * 10_000, (rng.NextDouble() - 0.5) * 10_000), rng.NextDouble() < 0.5))
            .ToArray();
        var (candidates, round) = RoundOf(couriers);
        var reference = new BruteForceCourierCandidates();
        reference.Prepare(round);

        for (var p = 0; p < 25; p++)
        {
            var pickup = new Position((rng.NextDouble() - 0.5) * 8_000, (rng.NextDouble() - 0.5) * 8_000);
            Assert.Equal(Nearest(reference, pickup, 16), Nearest(candidates, pickup, 16));
        }
    }
}
