using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Brigade.Dispatch;

namespace Brigade.Benchmarks;

/// <summary>
/// <c>redis-geo</c> mode: the same courier workload through Redis GEOADD / GEOSEARCH (pipelined
/// over loopback) and through <see cref="GeoIndex"/> in this process, printed side by side.
/// Redis runs commands on one thread and the index is driven from one thread, so this compares
/// one core against one core.
/// </summary>
internal static class RedisGeoComparison
{
    private const string Key = "brigade:couriers";
    private const long Tick = TimeSpan.TicksPerSecond;

    private sealed record Settings(
        string Host, int Port, int Couriers, int Updates, int Queries, int RedisQueries, int Batch, int Rounds,
        double CellSizeMetres, int CheckQueries, bool SkipRedis);

    public static int Run(string[] args)
    {
        Settings settings;
        try
        {
            settings = Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine("usage: redis-geo [--host 127.0.0.1] [--port 6379] [--couriers 1000000] [--updates N] " +
                "[--queries 100000] [--redis-queries 2000] [--batch 1000] [--rounds 3] [--cell 400] [--check 1000] [--skip-redis]");
            return 2;
        }

        var s = settings;
        Console.WriteLine($"Workload: {s.Couriers:N0} couriers in Berlin, all available; {s.Updates:N0} updates per round " +
            $"(10-50 m moves, random courier order); \"10 nearest within 1 km\" queries at random points: {s.Queries:N0} " +
            $"for GeoIndex, the first {s.RedisQueries:N0} of them for Redis; median of {s.Rounds} rounds.");
        var workload = GeoWorkload.Create(s.Couriers, s.Queries, availableFraction: 1.0);

        var ours = MeasureIndex(workload, s, out var ourAnswers, out var bytesPerCourier, out var index);
        Console.WriteLine($"GeoIndex: cell {s.CellSizeMetres} m, {bytesPerCourier:F1} bytes/courier held.");

        Measurement? redis = null;
        List<string>[]? redisAnswers = null;
        var redisVersion = "not run";
        if (!s.SkipRedis)
        {
            redis = MeasureRedis(workload, s, out redisAnswers, out redisVersion);
        }

        Console.WriteLine();
        Console.WriteLine($"One core vs one core: Redis {redisVersion} executes commands on a single thread; GeoIndex runs on one thread here.");
        Console.WriteLine($"Redis is driven over loopback TCP, pipelined in batches of {s.Batch} commands (one writer and one reader thread " +
            "in this process), so its figures include protocol and network costs that an in-process index does not pay.");
        Console.WriteLine();
        Console.WriteLine("| operation | GeoIndex ops/s | Redis ops/s | ratio (GeoIndex ÷ Redis) |");
        Console.WriteLine("|---|---:|---:|---:|");
        Row($"initial load ({s.Couriers:N0} inserts)", ours.Load, redis?.Load);
        Row("update, 10-50 m move (GeoIndex: one Update call each)", ours.Update, redis?.Update);
        Row("update, 10-50 m move (GeoIndex: UpdateMany batch)", ours.BatchUpdate, redis?.BatchUpdate);
        Row("10 nearest within 1 km", ours.Query, redis?.Query);

        if (redisAnswers is not null)
        {
            // Where the two answers differ, how far (by our metric) is each courier that only one
            // side returned from the boundary of the answer: the 10th distance or the 1 km limit?
            var same = 0;
            var worstGap = 0.0;
            for (var q = 0; q < ourAnswers.Length; q++)
            {
                if (SameSet(ourAnswers[q], redisAnswers[q]))
                {
                    same++;
                    continue;
                }
                var (lat, lon) = (workload.QueryLat[q], workload.QueryLon[q]);
                double Distance(string member)
                {
                    index.TryGetPosition(int.Parse(member.AsSpan(1), CultureInfo.InvariantCulture), out var p, out _);
                    return GeoIndex.DistanceMetres(lat, lon, p.Lat, p.Lon);
                }
                var boundary = ourAnswers[q].Count == 10 ? Distance(ourAnswers[q][9]) : 1_000;
                foreach (var member in ourAnswers[q].Except(redisAnswers[q]).Concat(redisAnswers[q].Except(ourAnswers[q])))
                    worstGap = Math.Max(worstGap, Math.Abs(Distance(member) - boundary));
            }
            Console.WriteLine();
            Console.WriteLine($"Answers agree (same couriers) on {same:N0} of {ourAnswers.Length:N0} checked queries. Where they differ, every " +
                $"courier returned by only one side is within {worstGap:F2} m of the answer's boundary (10th distance or 1 km): Redis " +
                "stores positions as a 52-bit geohash (±~0.2 m) and uses another Earth radius, which reorders near-ties.");
        }
        return 0;
    }

    private static bool SameSet(List<string> a, List<string> b) =>
        a.Count == b.Count && a.ToHashSet().SetEquals(b);

    private static void Row(string name, double ours, double? redis) =>
        Console.WriteLine(redis is { } r
            ? $"| {name} | {ours:N0} | {r:N0} | {ours / r:F1}x |"
            : $"| {name} | {ours:N0} | - | - |");

    private static Settings Parse(string[] args)
    {
        var s = new Settings("127.0.0.1", 6379, 1_000_000, -1, 100_000, 2_000, 1_000, 3, 400, 1_000, false);
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int NextInt() => int.TryParse(Next(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0
                ? v : throw new ArgumentException($"{args[i]} needs a positive integer");
            s = args[i] switch
            {
                "--host" => s with { Host = Next() },
                "--port" => s with { Port = NextInt() },
                "--couriers" => s with { Couriers = NextInt() },
                "--updates" => s with { Updates = NextInt() },
                "--queries" => s with { Queries = NextInt() },
                "--redis-queries" => s with { RedisQueries = NextInt() },
                "--batch" => s with { Batch = NextInt() },
                "--rounds" => s with { Rounds = NextInt() },
                "--cell" => s with { CellSizeMetres = NextInt() },
                "--check" => s with { CheckQueries = NextInt() },
                "--skip-redis" => s with { SkipRedis = true },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }
        var updates = s.Updates < 0 ? s.Couriers : Math.Min(s.Updates, s.Couriers);
        var redisQueries = Math.Min(s.RedisQueries, s.Queries);
        return s with { Updates = updates, RedisQueries = redisQueries, CheckQueries = Math.Min(s.CheckQueries, redisQueries) };
    }

    private sealed record Measurement(double Load, double Update, double BatchUpdate, double Query);

    // ------------------------------------------------------------------ GeoIndex

    private static Measurement MeasureIndex(GeoWorkload w, Settings s, out List<string>[] answers, out double bytesPerCourier, out GeoIndex index)
    {
        var clock = 1_000 * Tick;
        var watch = Stopwatch.StartNew();
        index = GeoIndexBenchmarks.Fill(w, s.CellSizeMetres, clock);
        var load = w.Couriers / watch.Elapsed.TotalSeconds;
        bytesPerCourier = index.ApproximateBytesPerCourier;

        var updateRates = new List<double>();
        for (var round = 0; round < s.Rounds + 1; round++)
        {
            var (lat, lon) = round % 2 == 0 ? (w.MoveLat, w.MoveLon) : (w.OrderStartLat, w.OrderStartLon);
            clock += Tick;
            watch.Restart();
            for (var i = 0; i < s.Updates; i++)
                index.Update(w.Order[i], lat[i], lon[i], clock);
            if (round > 0) // round 0 warms up the JIT
                updateRates.Add(s.Updates / watch.Elapsed.TotalSeconds);
        }

        var batch = new CourierPosition[s.Updates];
        var batchRates = new List<double>();
        for (var round = 0; round < s.Rounds + 1; round++)
        {
            var (lat, lon) = round % 2 == 0 ? (w.OrderStartLat, w.OrderStartLon) : (w.MoveLat, w.MoveLon);
            clock += Tick;
            for (var i = 0; i < s.Updates; i++)
                batch[i] = new CourierPosition(w.Order[i], lat[i], lon[i], clock);
            watch.Restart();
            index.UpdateMany(batch);
            if (round > 0)
                batchRates.Add(s.Updates / watch.Elapsed.TotalSeconds);
        }

        var results = new Neighbour[10];
        var queryRates = new List<double>();
        var found = 0L;
        for (var round = 0; round < s.Rounds + 1; round++)
        {
            watch.Restart();
            for (var q = 0; q < s.Queries; q++)
                found += index.Nearest(w.QueryLat[q], w.QueryLon[q], 10, 1_000, clock, results);
            if (round > 0)
                queryRates.Add(s.Queries / watch.Elapsed.TotalSeconds);
        }
        Console.WriteLine($"GeoIndex: {found / (double)(s.Queries * (s.Rounds + 1)):F2} couriers per query on average.");

        answers = new List<string>[s.CheckQueries];
        for (var q = 0; q < answers.Length; q++)
        {
            var n = index.Nearest(w.QueryLat[q], w.QueryLon[q], 10, 1_000, clock, results);
            answers[q] = [.. results.AsSpan(0, n).ToArray().Select(r => Member(r.Courier))];
        }
        return new Measurement(load, Median(updateRates), Median(batchRates), Median(queryRates));
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    private static string Member(int courier) => "c" + courier.ToString(CultureInfo.InvariantCulture);

    // ------------------------------------------------------------------ Redis

    private static Measurement MeasureRedis(GeoWorkload w, Settings s, out List<string>[] answers, out string version)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(s.Host, s.Port);
        using var stream = new NetworkStream(socket, ownsSocket: false);
        var reader = new RespReader(stream);

        stream.Write(Command("INFO", "server"));
        var info = new List<string>();
        reader.ReadReply(info);
        version = info.SelectMany(l => l.Split('\n')).FirstOrDefault(l => l.StartsWith("redis_version:"))?
            .Split(':')[1].Trim() ?? "unknown";
        stream.Write(Command("DEL", Key));
        reader.ReadReply(null);

        // Commands are encoded before the clock starts, like the index's precomputed inputs.
        var all = Enumerable.Range(0, w.Couriers).ToArray();
        var load = Batches(s.Batch, all.Length, i => GeoAdd(w.StartLon[i], w.StartLat[i], i));
        var move = Batches(s.Batch, s.Updates, i => GeoAdd(w.MoveLon[i], w.MoveLat[i], w.Order[i]));
        var back = Batches(s.Batch, s.Updates, i => GeoAdd(w.OrderStartLon[i], w.OrderStartLat[i], w.Order[i]));
        var queries = Batches(s.Batch, s.RedisQueries, q => Command("GEOSEARCH", Key, "FROMLONLAT", F(w.QueryLon[q]), F(w.QueryLat[q]),
            "BYRADIUS", "1000", "m", "ASC", "COUNT", "10"));

        var loadRate = Pipeline(stream, reader, load, w.Couriers, null);
        var updateRates = new List<double>();
        for (var round = 0; round < s.Rounds; round++)
            updateRates.Add(Pipeline(stream, reader, round % 2 == 0 ? move : back, s.Updates, null));
        // Leave Redis at the positions the index ended on: its last batched round (number
        // Rounds, counting from 0) applied the start positions when Rounds is even.
        Pipeline(stream, reader, s.Rounds % 2 == 0 ? back : move, s.Updates, null);

        // The last round also captures the answers of the first CheckQueries queries.
        answers = new List<string>[s.CheckQueries];
        for (var q = 0; q < answers.Length; q++)
            answers[q] = [];
        var queryRates = new List<double>();
        for (var round = 0; round < s.Rounds; round++)
            queryRates.Add(Pipeline(stream, reader, queries, s.RedisQueries, round == s.Rounds - 1 ? answers : null));
        return new Measurement(loadRate, Median(updateRates), Median(updateRates), Median(queryRates));
    }

    /// <summary>Writes all batches from a second thread while this thread reads replies; returns commands/s.</summary>
    private static double Pipeline(NetworkStream stream, RespReader reader, byte[][] batches, int commands, List<string>[]? capture)
    {
        var watch = Stopwatch.StartNew();
        var writer = Task.Run(() =>
        {
            foreach (var batch in batches)
                stream.Write(batch);
        });
        for (var i = 0; i < commands; i++)
            reader.ReadReply(capture is not null && i < capture.Length ? capture[i] : null);
        writer.Wait();
        return commands / watch.Elapsed.TotalSeconds;
    }

    private static byte[][] Batches(int batchSize, int count, Func<int, byte[]> command)
    {
        var batches = new List<byte[]>();
        var buffer = new MemoryStream();
        for (var i = 0; i < count; i++)
        {
            buffer.Write(command(i));
            if ((i + 1) % batchSize == 0 || i == count - 1)
            {
                batches.Add(buffer.ToArray());
                buffer.SetLength(0);
            }
        }
        return [.. batches];
    }

    private static byte[] GeoAdd(double lon, double lat, int courier) =>
        Command("GEOADD", Key, F(lon), F(lat), Member(courier));

    private static string F(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static byte[] Command(params string[] parts)
    {
        var text = new StringBuilder();
        text.Append('*').Append(parts.Length).Append("\r\n");
        foreach (var part in parts)
            text.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Minimal RESP2 reply reader over a buffered stream.</summary>
    private sealed class RespReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[1 << 16];
        private int _position;
        private int _length;

        /// <summary>Reads one reply; bulk strings (also inside arrays) are appended to <paramref name="strings"/> if given.</summary>
        public void ReadReply(List<string>? strings)
        {
            var type = ReadByte();
            switch (type)
            {
                case (byte)':':
                case (byte)'+':
                    SkipLine();
                    break;
                case (byte)'-':
                    throw new InvalidOperationException("Redis error: " + ReadLine());
                case (byte)'$':
                {
                    var length = ReadInteger();
                    if (length < 0)
                        break;
                    var bytes = ReadBytes((int)length);
                    strings?.Add(Encoding.UTF8.GetString(bytes));
                    ReadBytes(2);
                    break;
                }
                case (byte)'*':
                {
                    var count = ReadInteger();
                    for (var i = 0; i < count; i++)
                        ReadReply(strings);
                    break;
                }
                default:
                    throw new InvalidOperationException($"Unexpected RESP type byte {type}.");
            }
        }

        private byte ReadByte()
        {
            if (_position == _length)
            {
                _length = stream.Read(_buffer, 0, _buffer.Length);
                _position = 0;
                if (_length == 0)
                    throw new EndOfStreamException("Redis closed the connection.");
            }
            return _buffer[_position++];
        }

        private long ReadInteger()
        {
            var negative = false;
            var value = 0L;
            while (true)
            {
                var b = ReadByte();
                if (b == '-')
                    negative = true;
                else if (b == '\r')
                {
                    ReadByte();
                    return negative ? -value : value;
                }
                else
                    value = (value * 10) + (b - '0');
            }
        }

        private void SkipLine()
        {
            while (ReadByte() != '\n')
            {
            }
        }

        private string ReadLine()
        {
            var text = new StringBuilder();
            for (var b = ReadByte(); b != '\r'; b = ReadByte())
                text.Append((char)b);
            ReadByte();
            return text.ToString();
        }

        private byte[] ReadBytes(int count)
        {
            var bytes = new byte[count];
            for (var i = 0; i < count; i++)
                bytes[i] = ReadByte();
            return bytes;
        }
    }
}
