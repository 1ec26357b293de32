using System.Globalization;
using System.Net;
using System.Text;

namespace Brigade.Simulation;

/// <summary>
/// The simulation report: one self-contained HTML file (inline CSS and SVG, no script, nothing
/// fetched), with a side-by-side summary of the variants, then for each variant its charts:
/// orders per minute, queue length and wait per station, courier utilisation, and the
/// click-to-door and ready-to-door distributions, with incidents marked on every timeline.
/// </summary>
public static class SimulationReport
{
    private static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22", "#393b79", "#637939"];
    private const int W = 760, H = 250, Left = 52, Right = 16, Top = 38, Bottom = 34;

    private static string E(string s) => WebUtility.HtmlEncode(s);
    private static string N(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
    private static string F1(double v) => v.ToString("0.0", CultureInfo.InvariantCulture);

    public static string Html(SimulationReportFile file)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $$"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Brigade simulation: {{E(file.Scenario)}}</title>
            <style>
            body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:820px;padding:1rem;color:#222}
            h1{font-size:1.5rem} h2{font-size:1.2rem;margin-top:2.5rem;border-bottom:1px solid #ccc} h3{font-size:1rem;margin:1.2rem 0 .3rem}
            table{border-collapse:collapse;width:100%;font-size:.9rem} th,td{padding:.25rem .5rem;border-bottom:1px solid #eee;text-align:right}
            th:first-child,td:first-child{text-align:left} .ok{color:#196c2e} .bad{color:#b00020;font-weight:bold}
            svg{width:100%;height:auto;background:#fafafa;border:1px solid #eee} .legend span{margin-right:1rem;white-space:nowrap}
            .sw{display:inline-block;width:.8em;height:.8em;margin-right:.3em;vertical-align:middle} .muted{color:#666}
            </style></head><body>
            <h1>Brigade simulation: {{E(file.Scenario)}}</h1>
            <p class="muted">Seed {{file.Seed}}. Virtual time {{E(Local(file.Variants[0], file.Variants[0].Start).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture))}} to {{E(Local(file.Variants[0], file.Variants.Max(v => v.End)).ToString("HH:mm", CultureInfo.InvariantCulture))}}. {{E(file.Variants[0].Description)}}</p>
            """);
        Summary(sb, file.Variants);
        if (file.Variants.Count > 1)
        {
            sb.Append("<h2>Click-to-door, all variants</h2>");
            sb.Append(Distribution("Click-to-door (delivered orders)", file.Variants.Select((v, i) => (v.Variant, v.ClickToDoor, Palette[i % Palette.Length])).ToList()));
        }
        foreach (var v in file.Variants) Variant(sb, v);
        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    /// <summary>An instant on the scenario's clocks, summer time included (the start's offset if the zone is unknown here).</summary>
    private static DateTimeOffset Local(SimulationResult r, DateTimeOffset t) =>
        TimeZoneInfo.TryFindSystemTimeZoneById(r.TimeZone, out var zone) ? TimeZoneInfo.ConvertTime(t, zone) : t.ToOffset(r.Start.Offset);

    private static void Summary(StringBuilder sb, IReadOnlyList<SimulationResult> results)
    {
        sb.Append("<h2>Summary</h2><table><thead><tr><th scope=\"col\">metric</th>");
        foreach (var r in results) sb.Append(CultureInfo.InvariantCulture, $"<th scope=\"col\">{E(r.Variant)}</th>");
        sb.Append("</tr></thead><tbody>");
        void Row(string name, Func<SimulationResult, string> f)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(name)}</td>");
            foreach (var r in results) sb.Append(CultureInfo.InvariantCulture, $"<td>{f(r)}</td>");
            sb.Append("</tr>");
        }
        Row("orders placed", r => N(r.Summary.OrdersPlaced));
        Row("refused", r => N(r.Summary.OrdersRefused));
        Row("delivered / collected", r => $"{r.Summary.Delivered} / {r.Summary.Collected}");
        Row("failed / cancelled / unfinished", r => $"{r.Summary.Failed} / {r.Summary.Cancelled} / {r.Summary.Unfinished}");
        Row("moved to another outlet", r => N(r.Summary.Rerouted));
        Row("click-to-door mean / p50 / p90 (min)", r => $"{F1(r.Summary.ClickToDoor.Mean)} / {F1(r.Summary.ClickToDoor.P50)} / {F1(r.Summary.ClickToDoor.P90)}");
        Row("ready-to-door mean / p90 (min)", r => $"{F1(r.Summary.ReadyToDoor.Mean)} / {F1(r.Summary.ReadyToDoor.P90)}");
        Row("click-to-ready mean / p90 (min)", r => $"{F1(r.Summary.ClickToReady.Mean)} / {F1(r.Summary.ClickToReady.P90)}");
        Row("ready on time (≤ 1 min after first estimate)", r => F1(r.Summary.ReadyOnTimeShare * 100) + " %");
        foreach (var key in results[0].Summary.Stations.Select(s => s.Key))
            Row($"{key}: wait mean / p90 (min), longest queue", r => r.Summary.Stations.FirstOrDefault(s => s.Key == key) is { } st
                ? $"{F1(st.WaitMinutes.Mean)} / {F1(st.WaitMinutes.P90)}, {st.QueueMax}" : "–");
        Row("courier utilisation", r => F1(r.Summary.CourierUtilisation * 100) + " %");
        Row("courier hours / chef paid hours", r => $"{F1(r.Summary.CourierHours)} / {F1(r.Summary.ChefPaidHours)}");
        Row("scale-outs / scale-ins / standby calls / prep batches", r => $"{r.Summary.ScaleOuts} / {r.Summary.ScaleIns} / {r.Summary.StandbyActivations} / {r.Summary.PrepBatches}");
        Row("invariants", r => r.InvariantsHold ? "<span class=\"ok\">hold</span>" : "<span class=\"bad\">BROKEN</span>");
        sb.Append("</tbody></table>");
    }

    private static void Variant(StringBuilder sb, SimulationResult r)
    {
        sb.Append(CultureInfo.InvariantCulture, $"<h2>{E(r.Variant)}</h2>");
        if (r.Description.Length > 0 && r.Variant != ScenarioCompiler.Baseline) sb.Append(CultureInfo.InvariantCulture, $"<p>{E(r.Description)}</p>");
        var t = r.Timeline;
        var bin = Math.Max(1, (int)Math.Ceiling(t.Placed.Count / 120.0)); // about 120 points a chart
        var perMinute = 1.0 / (t.SampleMinutes * bin);
        sb.Append(Line(r, "Orders per minute", "orders/min", bin,
        [
            ("placed", Rebin(t.Placed.Select(x => (double?)x).ToList(), bin, sum: true, perMinute), Palette[0]),
            ("delivered", Rebin(t.Delivered.Select(x => (double?)x).ToList(), bin, sum: true, perMinute), Palette[2]),
            ("refused", Rebin(t.Refused.Select(x => (double?)x).ToList(), bin, sum: true, perMinute), Palette[1]),
        ]));
        sb.Append(Line(r, "Queue length per station (tasks waiting)", "tasks", bin,
            t.Stations.Select((s, i) => (s.Key, Rebin(s.Queue.Select(x => (double?)x).ToList(), bin, sum: false, 1), Palette[i % Palette.Length])).ToList()));
        sb.Append(Line(r, "Wait per station (minutes from startable to started)", "min", bin,
            t.Stations.Select((s, i) => (s.Key, Rebin(s.WaitMinutes.ToList(), bin, sum: false, 1), Palette[i % Palette.Length])).ToList()));
        sb.Append(Line(r, "Courier utilisation (share of couriers on shift holding an order)", "%", bin,
            [("utilisation", Rebin(t.CourierUtilisation.Select(x => (double?)(x * 100)).ToList(), bin, sum: false, 1), Palette[4])], yMax: 100));
        sb.Append(Distribution("Click-to-door (delivered orders)", [(r.Variant, r.ClickToDoor, Palette[0])]));
        sb.Append(Distribution("Ready-to-door (delivered orders)", [(r.Variant, r.ReadyToDoor, Palette[2])]));

        sb.Append("<h3>Incidents</h3>");
        if (r.Incidents.Count == 0) sb.Append("<p class=\"muted\">None.</p>");
        else
        {
            sb.Append("<ul>");
            foreach (var i in r.Incidents)
            {
                var when = Local(r, i.At).ToString("HH:mm", CultureInfo.InvariantCulture) + (i.Until is { } u ? "–" + Local(r, u).ToString("HH:mm", CultureInfo.InvariantCulture) : "");
                sb.Append(CultureInfo.InvariantCulture, $"<li>{E(when)} {E(i.Label)}{(i.Notes.Count > 0 ? " (" + E(string.Join("; ", i.Notes)) + ")" : "")}</li>");
            }
            sb.Append("</ul>");
        }
        sb.Append("<h3>Invariants</h3><ul>");
        foreach (var inv in r.Invariants)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<li class=\"{(inv.Holds ? "ok" : "bad")}\">{(inv.Holds ? "✓" : "✗")} {E(inv.Name)}{(inv.Holds ? "" : $": broken {inv.Violations} time(s)")}");
            if (!inv.Holds) sb.Append("<ul>").AppendJoin("", inv.Examples.Take(10).Select(x => "<li>" + E(x) + "</li>")).Append("</ul>");
            sb.Append("</li>");
        }
        sb.Append("</ul>");
        if (r.Notes.Count > 0)
        {
            sb.Append("<h3>Scheduled commands the engine refused</h3><ul>");
            foreach (var n in r.Notes) sb.Append(CultureInfo.InvariantCulture, $"<li>{E(n)}</li>");
            sb.Append("</ul>");
        }
        if (r.Summary.RefusalReasons.Count > 0)
        {
            sb.Append("<h3>Why orders were refused</h3><ul>");
            foreach (var (reason, n) in r.Summary.RefusalReasons) sb.Append(CultureInfo.InvariantCulture, $"<li>{E(reason)}: {n}</li>");
            sb.Append("</ul>");
        }
    }

    /// <summary>Merges every <paramref name="bin"/> samples into one point: their sum (counts) or their mean (levels), skipping gaps.</summary>
    private static List<double?> Rebin(List<double?> values, int bin, bool sum, double scale)
    {
        var output = new List<double?>();
        for (var i = 0; i < values.Count; i += bin)
        {
            double total = 0;
            var n = 0;
            for (var j = i; j < Math.Min(values.Count, i + bin); j++)
                if (values[j] is { } v) { total += v; n++; }
            output.Add(n == 0 ? (sum ? 0 : null) : (sum ? total : total / n) * scale);
        }
        return output;
    }

    private static string Line(SimulationResult r, string title, string unit, int bin, List<(string Name, List<double?> Values, string Colour)> series, double? yMax = null)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<h3>{E(title)}</h3>");
        var points = series.Count == 0 ? 0 : series.Max(s => s.Values.Count);
        var max = yMax ?? Math.Max(1, series.SelectMany(s => s.Values).Max(v => v ?? 0));
        max = Nice(max);
        var minutes = points * r.Timeline.SampleMinutes * bin;
        double X(double minute) => Left + (W - Left - Right) * (minutes <= 0 ? 0 : minute / minutes);
        double Y(double v) => Top + (H - Top - Bottom) * (1 - v / max);
        sb.Append(CultureInfo.InvariantCulture, $"<svg viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{E(title)}\">");
        Axes(sb, r, minutes, max, unit, X, Y);
        for (var n = 0; n < r.Incidents.Count; n++) Incident(sb, r, r.Incidents[n], n, minutes, X);
        foreach (var (name, values, colour) in series)
        {
            var path = new StringBuilder();
            var pen = false;
            for (var p = 0; p < values.Count; p++)
            {
                if (values[p] is not { } v) { pen = false; continue; }
                path.Append(pen ? 'L' : 'M').Append(N(X((p + 0.5) * r.Timeline.SampleMinutes * bin))).Append(',').Append(N(Y(v))).Append(' ');
                pen = true;
            }
            sb.Append(CultureInfo.InvariantCulture, $"<path d=\"{path}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.6\"><title>{E(name)}</title></path>");
        }
        sb.Append("</svg>");
        Legend(sb, series.Select(s => (s.Name, s.Colour)));
        return sb.ToString();
    }

    private static void Axes(StringBuilder sb, SimulationResult r, double minutes, double max, string unit, Func<double, double> x, Func<double, double> y)
    {
        for (var i = 0; i <= 4; i++)
        {
            var v = max * i / 4;
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{W - Right}\" y1=\"{N(y(v))}\" y2=\"{N(y(v))}\" stroke=\"#e4e4e4\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{N(y(v) + 4)}\" font-size=\"11\" text-anchor=\"end\">{N(v)}</text>");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"4\" y=\"14\" font-size=\"11\" fill=\"#666\">{E(unit)}</text>");
        var step = minutes <= 180 ? 30 : minutes <= 480 ? 60 : 120;
        var start = r.Start;
        var first = (step - (start.Hour * 60 + start.Minute) % step) % step;
        for (var m = (double)first; m <= minutes; m += step)
        {
            var label = Local(r, start.AddMinutes(m)).ToString("HH:mm", CultureInfo.InvariantCulture);
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{N(x(m))}\" x2=\"{N(x(m))}\" y1=\"{Top}\" y2=\"{H - Bottom}\" stroke=\"#f0f0f0\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(x(m))}\" y=\"{H - Bottom + 16}\" font-size=\"11\" text-anchor=\"middle\">{label}</text>");
        }
    }

    private static void Incident(StringBuilder sb, SimulationResult r, IncidentMark i, int index, double minutes, Func<double, double> x)
    {
        var from = (i.At - r.Start).TotalMinutes;
        if (from < 0 || from > minutes) return;
        var to = i.Until is { } u ? Math.Min(minutes, (u - r.Start).TotalMinutes) : from;
        if (to > from)
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{N(x(from))}\" y=\"{Top}\" width=\"{N(x(to) - x(from))}\" height=\"{H - Top - Bottom}\" fill=\"#d62728\" opacity=\".08\"/>");
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{N(x(from))}\" x2=\"{N(x(from))}\" y1=\"{Top - 4}\" y2=\"{H - Bottom}\" stroke=\"#d62728\" stroke-dasharray=\"4 3\"><title>{E(i.Label)}</title></line>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(x(from) + 3)}\" y=\"{Top - 8 - index % 2 * 11}\" font-size=\"10\" fill=\"#b00020\">{E(i.Label)}</text>");
    }

    private static string Distribution(string title, List<(string Name, Histogram Histogram, string Colour)> series)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<h3>{E(title)}</h3>");
        var bins = series.Max(s => s.Histogram.Counts.Count);
        var binMinutes = series[0].Histogram.BinMinutes;
        // Shares, so that variants with different order counts compare.
        var shares = series.Select(s =>
        {
            var total = Math.Max(1, s.Histogram.Counts.Sum());
            return s.Histogram.Counts.Select(c => 100.0 * c / total).ToList();
        }).ToList();
        var max = Nice(Math.Max(1, shares.SelectMany(x => x).DefaultIfEmpty(0).Max()));
        double X(double bin) => Left + (W - Left - Right) * bin / bins;
        double Y(double v) => Top + (H - Top - Bottom) * (1 - v / max);
        sb.Append(CultureInfo.InvariantCulture, $"<svg viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{E(title)}\">");
        for (var i = 0; i <= 4; i++)
        {
            var v = max * i / 4;
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{W - Right}\" y1=\"{N(Y(v))}\" y2=\"{N(Y(v))}\" stroke=\"#e4e4e4\"/><text x=\"{Left - 6}\" y=\"{N(Y(v) + 4)}\" font-size=\"11\" text-anchor=\"end\">{N(v)}</text>");
        }
        sb.Append("<text x=\"4\" y=\"14\" font-size=\"11\" fill=\"#666\">% of orders</text>");
        for (var b = 0; b <= bins; b += 4)
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(X(b))}\" y=\"{H - Bottom + 16}\" font-size=\"11\" text-anchor=\"middle\">{N(b * binMinutes)}{(b == bins ? "+" : "")}</text>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{W - Right}\" y=\"{H - 4}\" font-size=\"11\" text-anchor=\"end\" fill=\"#666\">minutes</text>");
        var width = (X(1) - X(0)) / series.Count;
        for (var s = 0; s < series.Count; s++)
            for (var b = 0; b < shares[s].Count; b++)
            {
                if (shares[s][b] <= 0) continue;
                sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{N(X(b) + s * width)}\" y=\"{N(Y(shares[s][b]))}\" width=\"{N(Math.Max(0.5, width - 0.5))}\" height=\"{N(Y(0) - Y(shares[s][b]))}\" fill=\"{series[s].Colour}\"><title>{E(series[s].Name)}: {N(b * binMinutes)}–{N((b + 1) * binMinutes)} min, {F1(shares[s][b])} %</title></rect>");
            }
        sb.Append("</svg>");
        Legend(sb, series.Select(s => (s.Name, s.Colour)));
        return sb.ToString();
    }

    private static void Legend(StringBuilder sb, IEnumerable<(string Name, string Colour)> items)
    {
        sb.Append("<p class=\"legend\">");
        foreach (var (name, colour) in items) sb.Append(CultureInfo.InvariantCulture, $"<span><span class=\"sw\" style=\"background:{colour}\"></span>{E(name)}</span>");
        sb.Append("</p>");
    }

    /// <summary>A round axis maximum at or above <paramref name="v"/>: 1, 2 or 5 times a power of ten.</summary>
    private static double Nice(double v)
    {
        var p = Math.Pow(10, Math.Floor(Math.Log10(v)));
        foreach (var m in new[] { 1.0, 2, 5, 10 })
            if (m * p >= v) return m * p;
        return 10 * p;
    }
}
