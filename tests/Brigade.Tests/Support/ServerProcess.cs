using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Brigade.Tests.Support;

/// <summary>A real <c>brigade serve</c> process on a free loopback port, for crash and load tests.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();

    private readonly string _dataDir;

    private ServerProcess(Process process, int port, string dataDir)
    {
        _process = process;
        _dataDir = dataDir;
        Port = port;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public int Port { get; }
    public Uri BaseAddress { get; }
    public string Output { get { lock (_output) return _output.ToString(); } }
    public bool HasExited => _process.HasExited;

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static Task<ServerProcess> StartAsync(string dataDir, params string[] extraArgs)
    {
        var port = FreePort();
        return StartAsync(dataDir, port, ["--urls", $"http://127.0.0.1:{port}", .. extraArgs], new Dictionary<string, string>());
    }

    /// <summary>A server told where to listen by <paramref name="args"/> or <paramref name="environment"/>; it must end up on <paramref name="port"/>.</summary>
    public static async Task<ServerProcess> StartAsync(string dataDir, int port, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "brigade.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: the test project must reference the Brigade host");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { dll, "serve", "--data-dir", dataDir }.Concat(args)) info.ArgumentList.Add(a);
        foreach (var (name, value) in environment) info.Environment[name] = value;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        // Load tests hammer the API from one client; the limits have their own tests.
        info.Environment["Brigade__Limits__RequestsPerSecond"] = "100000";
        info.Environment["Brigade__Limits__Burst"] = "100000";
        var process = Process.Start(info)!;
        var server = new ServerProcess(process, port, dataDir);
        process.OutputDataReceived += (_, e) => { lock (server._output) server._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (server._output) server._output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitReadyAsync();
        }
        catch
        {
            // Not ready (or listening elsewhere): the caller has no server to dispose, so stop it here.
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>An administrator's client, with a token signed with the key in the server's data directory.</summary>
    public HttpClient Client(TimeSpan? timeout = null)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = BaseAddress, Timeout = timeout ?? TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token("admin", "test-admin"));
        return client;
    }

    public string Token(string role, string subject, string? outletId = null) =>
        new Brigade.Auth.TokenService(Brigade.Auth.SigningKey.LoadOrCreate(_dataDir), TimeSpan.FromSeconds(30)).Issue(role, subject, outletId, TimeSpan.FromHours(1));

    private async Task WaitReadyAsync()
    {
        using var client = Client(TimeSpan.FromSeconds(2));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                // Exited is not the end of its output: wait until the readers have had the last line.
                await _process.WaitForExitAsync();
                throw new InvalidOperationException("brigade exited during start-up:\n" + Output);
            }
            try
            {
                using var r = await client.GetAsync("/health/ready");
                if (r.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException("brigade did not become ready:\n" + Output);
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public void Kill9()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>SIGTERM and wait for a graceful exit.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited) return;
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) Kill9();
        _process.Dispose();
        await Task.CompletedTask;
    }
}
