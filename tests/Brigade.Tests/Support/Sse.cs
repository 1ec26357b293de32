using System.Text.Json;

namespace Brigade.Tests.Support;

public sealed record SseMessage(string? Id, string Event, JsonElement Data);

/// <summary>Reads a text/event-stream the way a browser EventSource does.</summary>
public static class Sse
{
    /// <summary>How long a stream read without a token of the caller's may stay open before the read fails.</summary>
    public static readonly TimeSpan DefaultLimit = TimeSpan.FromSeconds(60);

    /// <remarks>
    /// A test that reads until the server closes the stream gives no token: a stream that never closes
    /// then fails that test after <see cref="DefaultLimit"/> with a <see cref="TimeoutException"/>, instead of hanging it.
    /// </remarks>
    public static async IAsyncEnumerable<SseMessage> ReadAsync(Stream stream, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        using var limit = ct.CanBeCanceled ? null : new CancellationTokenSource(DefaultLimit);
        if (limit is not null) ct = limit.Token;
        using var reader = new StreamReader(stream);
        string? id = null, ev = null;
        var data = new List<string>();
        while (true)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(ct);
            }
            catch (OperationCanceledException) when (limit?.IsCancellationRequested == true)
            {
                throw new TimeoutException($"The event stream was still open after {DefaultLimit.TotalSeconds:0} s.");
            }
            if (line is null) yield break;
            if (line.Length == 0)
            {
                if (data.Count > 0) yield return new SseMessage(id, ev ?? "message", JsonDocument.Parse(string.Join("\n", data)).RootElement.Clone());
                ev = null;
                data.Clear();
                continue;
            }
            if (line.StartsWith(':')) continue;
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "id": id = value; break;
                case "event": ev = value; break;
                case "data": data.Add(value); break;
            }
        }
    }

    public static async Task<(HttpResponseMessage Response, Stream Body)> OpenAsync(HttpClient client, string url, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId);
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return (response, await response.Content.ReadAsStreamAsync());
    }
}
