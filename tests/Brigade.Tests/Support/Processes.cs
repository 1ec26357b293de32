using System.Diagnostics;

namespace Brigade.Tests.Support;

/// <summary>Run a command to completion (at most a minute, then it is killed) and capture what it printed.</summary>
public static class Processes
{
    public static async Task<(int Code, string Output, string Error)> RunAsync(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // A command that should have stopped (a server that started when it should have refused)
            // must not outlive its test.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within 60 s:\n{await output}{await error}");
        }
        return (process.ExitCode, await output, await error);
    }
}
